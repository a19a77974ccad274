/**
 * Issue 6, locking across working copies: two checkouts of one stack have two
 * state files, so Terraform's state lock cannot keep their deploys apart. The
 * per-host hook lock (src/transport/hook-lock.ts) does, on a real test host.
 */
import execa from "execa";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject, expectSuccess, RunOutput } from "./support/cdktf-project";

const LAB = "lck";
const INDEX = 72;
const STACK = "lck";
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const sshDir = path.join(mkdtempSync(path.join(tmpdir(), "hostnet-ssh-")), "control");
const inventory = path.join(labDir, LAB, "inventory.json");
let inv: Inventory;
let before: string;
let hostname: string;
const projects: CdktfProject[] = [];

/** A working copy of stack "lck" (many-app: a bridge, masquerade and `count` endpoints with published ports). */
function workingCopy(count: number, lock: { lease: number; wait?: number }): CdktfProject {
  const p = new CdktfProject("test/integration/fixtures/many-app.ts", STACK, {
    HOSTNET_INVENTORY: inventory,
    HOSTNET_STACK: STACK,
    HOSTNET_SSH_DIR: sshDir,
    HOSTNET_COUNT: String(count),
    HOSTNET_LOCK_LEASE: String(lock.lease),
    ...(lock.wait !== undefined ? { HOSTNET_LOCK_WAIT: String(lock.wait) } : {}),
  });
  projects.push(p);
  return p;
}

async function netns(): Promise<string[]> {
  return (await hostExec(inv, "a", "ip netns list | cut -d' ' -f1")).stdout.split("\n").filter(Boolean).sort();
}

/** Who holds the stack's hook lock on the host: "<machine>:<directory terraform runs in>". */
async function holder(): Promise<string> {
  return (await hostExec(inv, "a", `cat /run/hostnet/${STACK}/.owner 2>/dev/null || true`)).stdout.trim().split(" ")[2] ?? "";
}

/** Resolves once a hook of working copy `p` has run on the host. */
async function hooksStarted(p: CdktfProject): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await holder()) === `${hostname}:${p.stackDir}`) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the deploy of ${p.stackDir} never ran a hook on the host`);
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`).sort();

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 1, dir: labDir, index: INDEX });
  before = await hostSnapshot(inv, "a");
  hostname = (await execa("hostname")).stdout;
}, 120_000);

afterAll(async () => {
  for (const p of projects) {
    await p.destroy();
    p.remove();
  }
  await execa("pkill", ["-f", sshDir], { reject: false });
  await labDown({ name: LAB, dir: labDir });
  rmSync(labDir, { recursive: true, force: true });
  rmSync(path.dirname(sshDir), { recursive: true, force: true });
}, 600_000);

test("two working copies deploying one stack at once: one waits until the other is done on the host, then converges the host to its own plan", async () => {
  // Both start together; whichever reaches the host first runs, the other
  // waits. The waiter's first hook sweeps what its stack does not have: had it
  // run in the middle of the other apply, that apply's later endpoints would
  // have survived it, and the host would not equal the waiter's plan.
  const a = workingCopy(30, { lease: 15 });
  const b = workingCopy(10, { lease: 15 });
  const [ra, rb]: RunOutput[] = await Promise.all([a.deploy(), b.deploy()]);
  expectSuccess(ra);
  expectSuccess(rb);
  const waited = [ra, rb].map((r) => r.output.includes("hostnet: waiting: another working copy of this stack ("));
  expect(waited.filter(Boolean)).toHaveLength(1);
  const [first, last, lastCount, lastOut] = waited[0] ? [b, a, 30, ra.output] : [a, b, 10, rb.output];
  expect(lastOut).toContain(
    `hostnet: waiting: another working copy of this stack (${hostname}:${first.stackDir}) is running hooks on this host; its lease ends 15s after its last hook (waiting up to 600s)`,
  );

  // The host is exactly the plan of the copy that ran last, every object as its state says.
  expect(await netns()).toEqual(names(lastCount));
  const check = await last.hostnet("check");
  expect(check.output).toContain(`host a (198.18.72.10): ${3 + 4 * lastCount} ok, 0 drifted`);
  expect(check.exitCode).toBe(0);
  expect(await holder()).toBe(`${hostname}:${last.stackDir}`);

  // Both copies can be destroyed (objects already gone are fine), leaving the host as it was.
  expectSuccess(await last.destroy());
  expectSuccess(await first.destroy());
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 900_000);

test("a copy that cannot get the host within its wait fails naming the holder and the fix, and changes nothing", async () => {
  const a = workingCopy(30, { lease: 30 });
  const b = workingCopy(3, { lease: 30, wait: 2 });
  const da = a.deploy();
  await hooksStarted(a);
  const rb = await b.deploy();
  if (rb.exitCode === 0) throw new Error(`the second copy's deploy succeeded; its output:\n${rb.output.split("\n").slice(-60).join("\n")}`);
  expect(rb.output).toContain("hostnet: gave up after 2s: another working copy of this stack (");
  expect(rb.output).toContain(`remove /run/hostnet/${STACK}/.owner.`);
  expect(rb.output).toContain(`hostnet: create of ${STACK}/a failed on root@198.18.72.10:22 (exit 75)`);
  expectSuccess(await da);
  // A's deploy is whole: B's sweep never ran.
  expect(await netns()).toEqual(names(30));
  expect((await a.hostnet("check")).output).toContain("123 ok, 0 drifted");

  expectSuccess(await a.destroy());
  expectSuccess(await b.destroy());
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 900_000);
