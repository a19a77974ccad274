import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Io } from "../../src/cli/command";
import { checkCommand, gcCommand } from "../../src/cli/drift";
import { lockProject } from "../../src/cli/project-lock";
import { HostnetError } from "../../src/errors";

// check and gc synthesize into the working copy's outdir and act on hosts: in the
// middle of a deploy of the same working copy they would change the plan it applies
// (and gc --yes could judge objects that deploy is still creating), so they wait
// for its lock like a second deploy does.

const io: Io = { out: () => undefined, err: () => undefined };
let dir: string;
let cwd: string;
beforeEach(() => {
  cwd = process.cwd();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-drift-lock-"));
  process.chdir(dir);
});
afterEach(() => {
  process.chdir(cwd);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ["check", checkCommand, ["--no-synth"]],
  ["gc --yes", gcCommand, ["--no-synth", "--yes"]],
])("hostnet %s", (_name, command, args) => {
  test.each([
    ["the default outdir", undefined, "cdktf.out"],
    ["cdktf.json's output", "build/tf", "build/tf"],
  ])(
    "waits for a deploy holding the working copy's lock in %s, then fails naming the holder",
    async (_what, output, outdir) => {
      fs.writeFileSync(path.join(dir, "cdktf.json"), JSON.stringify({ app: "true", ...(output ? { output } : {}) }));
      const deploy = await lockProject(path.join(dir, outdir), { command: "hostnet deploy web", waitSeconds: 5, wait: () => undefined });
      try {
        const run = command.run([...args, "--lock-wait", "1"], io);
        await expect(run).rejects.toThrow(HostnetError);
        await expect(run).rejects.toThrow(/`hostnet deploy web` \(pid \d+ on .+\) holds .*hostnet-deploy\.lock/);
      } finally {
        deploy.release();
      }
    },
    20_000,
  );
});

test("once the deploy lets go, check runs (here: finds no synthesized stack) and releases the lock itself", async () => {
  fs.writeFileSync(path.join(dir, "cdktf.json"), JSON.stringify({ app: "true" }));
  await expect(checkCommand.run(["--no-synth", "--lock-wait", "1"], io)).rejects.toThrow(/the app wrote no readable .*manifest.json/);
  const next = await lockProject(path.join(dir, "cdktf.out"), { command: "hostnet deploy", waitSeconds: 1, wait: () => undefined });
  next.release();
});
