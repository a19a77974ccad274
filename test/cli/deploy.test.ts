import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Io } from "../../src/cli/command";
import { main } from "../../src/cli/main";
import { lockProject, OWNER_FILE } from "../../src/cli/project-lock";
import { needsInit, signalExitCode } from "../../src/cli/terraform";
import { HostnetError } from "../../src/errors";

function capture(): Io & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-deploy-unit-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("project lock: one deploy per working copy", () => {
  test("a second run waits, saying who holds the lock, and fails after its wait naming the holder and the fix", async () => {
    const first = await lockProject(dir, { command: "hostnet deploy web", waitSeconds: 5, wait: () => undefined });
    const waits: string[] = [];
    const started = Date.now();
    const second = lockProject(dir, { command: "hostnet deploy", waitSeconds: 1, wait: (l) => waits.push(l) });
    await expect(second).rejects.toThrow(HostnetError);
    await expect(second).rejects.toThrow(
      new RegExp(
        `another deploy of this working copy is still running after 1 s: \`hostnet deploy web\` \\(pid ${process.pid} on .+, since .+Z\\) holds .*\\.hostnet-deploy\\.lock\\. .*--lock-wait SECONDS`,
      ),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatch(/^hostnet: waiting: `hostnet deploy web` \(pid \d+ on .+\) is deploying from this working copy \(lock .*\); up to 1 s$/);
    first.release();
  }, 20_000);

  test("a waiting run goes ahead as soon as the holder releases", async () => {
    const first = await lockProject(dir, { command: "hostnet deploy", waitSeconds: 5, wait: () => undefined });
    const second = lockProject(dir, { command: "hostnet destroy", waitSeconds: 10, wait: () => undefined });
    setTimeout(() => first.release(), 500);
    const lock = await second;
    expect(JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8")).command).toBe("hostnet destroy");
    lock.release();
    expect(fs.existsSync(path.join(dir, OWNER_FILE))).toBe(false);
  }, 20_000);
});

describe("terraform init only when needed", () => {
  const write = (terraform: unknown) => fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify({ terraform, resource: {} }));

  test("before the first init, after a backend change, and never when the terraform block is unchanged", () => {
    write({ backend: { local: { path: "/tmp/a.tfstate" } } });
    expect(needsInit(dir)).toBe(true);
    fs.mkdirSync(path.join(dir, ".terraform"));
    const { createHash } = require("crypto") as typeof import("crypto");
    const hash = createHash("sha256")
      .update(JSON.stringify({ backend: { local: { path: "/tmp/a.tfstate" } } }))
      .digest("hex");
    fs.writeFileSync(path.join(dir, ".terraform", "hostnet-init.sha256"), hash + "\n");
    expect(needsInit(dir)).toBe(false);
    write({ backend: { pg: { conn_str: "postgres://db/hostnet" } } });
    expect(needsInit(dir)).toBe(true);
  });
});

describe("exit codes", () => {
  test.each([
    ["SIGKILL", 137],
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("a Terraform ended by %s exits %d, as a shell reports it", (sig, code) => {
    expect(signalExitCode(sig)).toBe(code);
  });

  test("an unknown option is a usage error", async () => {
    const io = capture();
    expect(await main(["deploy", "--frob"], io)).toBe(2);
    expect(io.err_).toEqual(['hostnet: unknown option "--frob" for "hostnet deploy"; it takes --app, --lock-wait, --no-heal.']);
  });
});
