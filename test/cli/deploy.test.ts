import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Io } from "../../src/cli/command";
import { appRun } from "../../src/cli/deploy";
import { APP_COMMAND } from "../../src/cli/init";
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

describe("the app command as the deploy runs it", () => {
  const bin = (d: string, name: string, mode = 0o755) => {
    fs.mkdirSync(path.join(d, "node_modules", ".bin"), { recursive: true });
    fs.writeFileSync(path.join(d, "node_modules", ".bin", name), "#!/bin/sh\n", { mode });
    return path.join(d, "node_modules", ".bin", name);
  };

  test("`npx NAME ARGS` with NAME in the project's node_modules/.bin runs that binary with the same arguments, its .bin first on PATH", () => {
    const tsNode = bin(dir, "ts-node");
    const r = appRun("npx ts-node --transpile-only main.ts", dir);
    expect(r.command).toBe(`${tsNode} --transpile-only main.ts`);
    expect(r.env.PATH.split(":")[0]).toBe(path.join(dir, "node_modules", ".bin"));
  });

  test("from a subdirectory, the nearest node_modules/.bin that has NAME, as npx finds it", () => {
    const tsNode = bin(dir, "ts-node");
    const sub = path.join(dir, "app", "deep");
    fs.mkdirSync(path.join(sub, "node_modules", ".bin"), { recursive: true });
    const r = appRun("npx ts-node main.ts", sub);
    expect(r.command).toBe(`${tsNode} main.ts`);
    expect(r.env.PATH.split(":").slice(0, 2)).toEqual([path.join(sub, "node_modules", ".bin"), path.join(dir, "node_modules", ".bin")]);
  });

  test("a path with spaces or quotes reaches the shell quoted", () => {
    const odd = path.join(dir, "it's here");
    const tsNode = bin(odd, "ts-node");
    expect(appRun("npx ts-node main.ts", odd).command).toBe(`'${tsNode.replace(/'/g, `'\\''`)}' main.ts`);
  });

  test.each([
    ["no such binary in any node_modules/.bin", "npx cdktf-app main.ts"],
    ["an npx option", "npx --yes ts-node main.ts"],
    ["a package spec npx would download", "npx ts-node@10 main.ts"],
    ["not npx", "node main.js"],
    ["the app command hostnet init writes (no npx)", APP_COMMAND],
    ["npx in a longer command", "cd app && npx ts-node main.ts"],
  ])("%s: runs as written", (_what, app) => {
    bin(dir, "ts-node");
    expect(appRun(app, dir)).toEqual({ command: app, env: {} });
  });

  test("a NAME that is not executable runs as written (npx reports it)", () => {
    bin(dir, "ts-node", 0o644);
    expect(appRun("npx ts-node main.ts", dir)).toEqual({ command: "npx ts-node main.ts", env: {} });
  });
});
