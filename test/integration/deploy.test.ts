/**
 * `hostnet deploy` / `destroy` / `diff` on a real test host with real
 * Terraform (issue 11, items 7, 8, 10 and 15): a killed or interrupted apply
 * is a failure that says what it left, the next deploy converges even from a
 * 0-byte state, two deploys of one working copy never apply each other's
 * code, and drift (a flushed firewall, a deleted namespace) is shown by diff
 * and repaired by deploy. One lab, one host, one small stack, run in order.
 */
import execa from "execa";
import { writeFileSync, mkdtempSync, rmSync, statSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject, expectSuccess, RunOutput } from "./support/cdktf-project";
import { ping } from "./support/probe";

const LAB = "dp";
const INDEX = 121;
const STACK = "dp";
const ROOT = path.resolve(__dirname, "..", "..");
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const sshDir = path.join(mkdtempSync(path.join(tmpdir(), "hostnet-ssh-")), "control");
const inventory = path.join(labDir, LAB, "inventory.json");
let inv: Inventory;
let before: string;
let p: CdktfProject;

/** `hostnet <args>` in the project, started now, with the app seeing `namespaces`. */
function start(namespaces: string, ...args: string[]): execa.ExecaChildProcess {
  return execa(path.join(ROOT, "bin", "hostnet"), args, {
    cwd: p.dir,
    reject: false,
    all: true,
    timeout: 300_000,
    env: {
      HOSTNET_INVENTORY: inventory,
      HOSTNET_STACK: STACK,
      HOSTNET_SSH_DIR: sshDir,
      HOSTNET_NAMESPACES: namespaces,
      CHECKPOINT_DISABLE: "1",
      FORCE_COLOR: "0",
      TF_CLI_CONFIG_FILE: path.join(ROOT, ".hostnet", "terraformrc"),
    },
  });
}

async function hostnet(namespaces: string, ...args: string[]): Promise<RunOutput> {
  const r = await start(namespaces, ...args);
  return { exitCode: r.exitCode ?? -1, output: r.all ?? "" };
}

async function netnsList(): Promise<string[]> {
  return (await hostExec(inv, "a", "ip netns list | cut -d' ' -f1")).stdout.split("\n").filter(Boolean).sort();
}

/** Resolves once `check` is true, polling every 100 ms; throws after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 300_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pid of the terraform child of the hostnet process `parent`, once there is one. */
async function terraformChild(parent: number): Promise<number | undefined> {
  const r = await execa("pgrep", ["-P", String(parent), "-x", "terraform"], { reject: false });
  return r.exitCode === 0 ? Number(r.stdout.split("\n")[0]) : undefined;
}

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 1, dir: labDir, index: INDEX });
  before = await hostSnapshot(inv, "a");
  p = new CdktfProject("test/integration/fixtures/foundation-app.ts", STACK, {});
}, 300_000);

afterAll(async () => {
  if (p) {
    await hostnet("web", "destroy").catch(() => undefined);
    p.remove();
  }
  await execa("pkill", ["-f", sshDir], { reject: false });
  await labDown({ name: LAB, dir: labDir });
  rmSync(labDir, { recursive: true, force: true });
  rmSync(path.dirname(sshDir), { recursive: true, force: true });
}, 300_000);

test("terraform SIGKILLed mid-apply: deploy exits non-zero saying so; gc finds what it made; from a 0-byte state the next deploy converges", async () => {
  expectSuccess(await hostnet("web", "deploy"));
  const stateFile = path.join(p.dir, `terraform.${STACK}.tfstate`);
  expect(statSync(stateFile).size).toBeGreaterThan(0);

  // One hook at a time and more objects after n1, so the kill lands mid-apply however fast the machine is.
  const run = start("web,n1,n2,n3,n4,n5,n6", "deploy", "--", "-parallelism=1");
  let tf: number | undefined;
  // The apply's terraform, looked up once n1 exists (earlier children are init and the state read).
  await until(
    "the killed run to create namespace n1",
    async () => (await netnsList()).includes("n1") && (tf = await terraformChild(run.pid!)) !== undefined,
  );
  process.kill(tf!, "SIGKILL");
  const killed = await run;
  expect(killed.exitCode).not.toBe(0);
  expect(killed.all).toContain(
    `hostnet: deploy of stack ${STACK} FAILED: terraform apply was killed by SIGKILL before it finished; the deploy did not complete.`,
  );
  expect(killed.all).toContain(`run \`hostnet deploy ${STACK}\` again`);
  expect(killed.all).not.toContain("No outputs found");

  // What one user saw after such a kill: a state file of 0 bytes, with objects on the host.
  writeFileSync(stateFile, "");
  const gc = await hostnet("web", "gc");
  expect(gc.output).toContain(`(# hostnet destroy netns n1 (${STACK}/a/n1))`);
  expect(gc.output).toMatch(/host a \(198\.18\.121\.10\): [1-9]\d* left behind by stack dp/);

  const again = await hostnet("web,n1,n2", "deploy");
  expectSuccess(again);
  expect(again.output).toContain(`hostnet: stack ${STACK}: deployed`);
  expect(await netnsList()).toEqual(["n1", "n2", "web"]);
  const check = await hostnet("web,n1,n2", "check", "--no-synth");
  expect(check.output).toContain("0 drifted");
  expect(check.exitCode).toBe(0);
}, 900_000);

test("Ctrl-C (SIGINT) during deploy: Terraform stops gracefully, deploy exits non-zero naming what was left and what the next deploy does", async () => {
  const run = start("web,n1,n2,n3", "deploy");
  let seen = "";
  run.all!.on("data", (d) => (seen += String(d)));
  // Namespace n3 first, then its veth and route: an interrupt now catches hooks running.
  await until("the apply to start creating n3", async () => /a_n3_hook_\w+: Creating\.\.\./.test(seen));
  process.kill(run.pid!, "SIGINT");
  const r = await run;
  expect(r.exitCode).not.toBe(0);
  expect(r.all).toContain("Interrupt received.");
  expect(r.all).toContain(`hostnet: deploy of stack ${STACK} interrupted: Terraform stopped the hooks that were running and saved its state`);
  expect(r.all).toMatch(/hostnet: (left tainted \(the next deploy destroys and recreates them\)|not in the state \(the next deploy creates them)/);
  expect(r.all).toContain(`run \`hostnet deploy ${STACK}\` again; it converges`);
  expectSuccess(await hostnet("web,n1,n2,n3", "deploy"));
  expect(await netnsList()).toEqual(["n1", "n2", "n3", "web"]);
}, 900_000);

test("two deploys of one working copy at once: the second waits for the first, and each applies exactly its own code", async () => {
  // A adds namespace x1; B is the stack without it. Whichever runs second
  // decides the end state, but neither may ever create what only the other has.
  const a = start("web,x1", "deploy");
  const b = start("web", "deploy");
  const [ra, rb] = await Promise.all([a, b]);
  expect(ra.exitCode).toBe(0);
  expect(rb.exitCode).toBe(0);
  const waited = [ra, rb].filter((r) => /hostnet: waiting: `hostnet deploy` \(pid \d+ on .*\) is deploying from this working copy/.test(r.all ?? ""));
  expect(waited).toHaveLength(1);
  expect(ra.all).toMatch(/a_x1_hook_\w+: Creation complete/);
  expect(rb.all).not.toMatch(/a_x1_hook_\w+: Creation complete/);
  const second = waited[0] === ra ? "web,x1" : "web";
  expect(await netnsList()).toEqual(second.split(",").sort());
  // The state matches the second one's code exactly.
  const plan = await hostnet(second, "diff");
  expect(plan.exitCode).toBe(0);
  expect(plan.output).toContain("No changes.");
  expect(plan.output).toMatch(new RegExp(`hostnet: stack ${STACK}: no drift on 1 host\\(s\\) \\(\\d+ object\\(s\\) probed in \\d+\\.\\d s\\)`));
}, 900_000);

test("drift after a firewall flush and a deleted namespace: diff shows it, deploy replaces exactly what drifted and says so, probes pass", async () => {
  expectSuccess(await hostnet("web,db", "deploy"));
  expect(await ping(inv, "a", "10.88.0.1", "db")).toBe(true);
  await hostExec(inv, "a", "iptables -w -t nat -F; ip netns del db");

  const diff = await hostnet("web,db", "diff");
  expect(diff.exitCode).toBe(0);
  expect(diff.output).toContain(`hostnet: stack ${STACK}: drift: ${STACK}/a/db: namespace db is missing`);
  expect(diff.output).toContain(`hostnet: stack ${STACK}: drift: ${STACK}/a/masquerade: iptables rule missing: -t nat -A POSTROUTING`);
  // What the probe read and how long it took, before what it found.
  const probed = diff.output.search(new RegExp(`hostnet: stack ${STACK}: \\d+ object\\(s\\) probed in \\d+\\.\\d s\\n`));
  expect(probed).toBeGreaterThan(-1);
  expect(probed).toBeLessThan(diff.output.indexOf(`hostnet: stack ${STACK}: drift: `));
  expect(diff.output).toMatch(/-replace=terraform_data\.a_db_hook_\w+/);
  expect(diff.output).toMatch(/Plan: \d+ to add, 0 to change, \d+ to destroy\./);
  expect(await netnsList()).toEqual(["web"]); // diff changed nothing

  const r = await hostnet("web,db", "deploy");
  expectSuccess(r);
  expect(r.output).toMatch(
    new RegExp(`hostnet: stack ${STACK}: deployed; replaced \\d+ drifted object\\(s\\): .*${STACK}/a/db\\b.*${STACK}/a/masquerade`),
  );
  expect(await netnsList()).toEqual(["db", "web"]);
  expect(await ping(inv, "a", "10.88.0.1", "db")).toBe(true);
  const nat = (await hostExec(inv, "a", "iptables-save -t nat")).stdout;
  expect(nat).toMatch(new RegExp(`--comment "?hostnet:${STACK}:${STACK}/a/masquerade`));
  const check = await hostnet("web,db", "check", "--no-synth");
  expect(check.output).toContain("0 drifted");
  expect(check.exitCode).toBe(0);
}, 900_000);

test("hostnet destroy removes everything: the host is as before", async () => {
  const r = await hostnet("web,db", "destroy");
  expectSuccess(r);
  expect(r.output).toContain(`hostnet: stack ${STACK}: destroyed`);
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 300_000);
