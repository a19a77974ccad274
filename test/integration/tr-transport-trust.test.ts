/**
 * Issue 11, items 1, 9 and 15 (transport), on a real test host:
 * - a shared SSH connection is reused only by hooks with the same trust
 *   decision (pinned key, identity file, user), so a wrong key is refused even
 *   while a correct connection to the same address is open;
 * - an unwritable ledger fails the hook at once, naming the path and the cause;
 * - when the local side of a waiting hook dies, nothing of it keeps running on
 *   the host;
 * - when ssh fails (refused, host key, connection lost), the hook's last line
 *   is ssh's own reason.
 */
import execa from "execa";
import { ChildProcess, spawn } from "child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { hostPid } from "../../src/lab/exec";
import { HostRef, runOnHost } from "../../src/transport/run";
import { HOOK_COMMAND, SshTarget, sshEnvironment } from "../../src/transport/ssh";
import { CdktfProject } from "./support/cdktf-project";

const LAB = "trs";
const INDEX = 101;
const STACK = "trs";
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const work = mkdtempSync(path.join(tmpdir(), "hostnet-trs-"));
const sshDir = path.join(work, "ssh");
// A valid ed25519 key that is not the host's.
const WRONG_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFLaLzjWwhzi4ie45/rm3ZfzUE67Q4iWjnkGxVtBj/Lw";
let inv: Inventory;
let address: string;
const children: ChildProcess[] = [];
const projects: CdktfProject[] = [];
const DROP = () => ["OUTPUT", "-d", address, "-p", "tcp", "--dport", "22", "-m", "comment", "--comment", "hostnet-test-trs", "-j", "DROP"];

/** The inventory's settings for host a: what a `Host` from the README would use. */
function target(over: Partial<SshTarget> = {}): SshTarget {
  const h = inv.hosts.a;
  return { address: h.address, port: h.port, user: h.user, identityFile: h.identityFile, knownHostsFile: h.knownHostsFile, ...over };
}

function ref(t: SshTarget, extra: Record<string, string> = {}): HostRef {
  return { address: t.address, port: t.port, environment: { ...sshEnvironment(t), HOSTNET_SSH_DIR: sshDir, ...extra } };
}

const lock = (lease: number, wait: number) => ({ HN_STACK: STACK, HN_LOCK_LEASE: String(lease), HN_LOCK_WAIT: String(wait) });

/** A hook started as Terraform starts it (own process group, so the test can kill all of its local side). */
function startHook(
  t: SshTarget,
  script: string,
  cwd: string,
  extra: Record<string, string>,
): { child: ChildProcess; stderr: () => string; done: Promise<number> } {
  mkdirSync(cwd, { recursive: true });
  const env = {
    ...process.env,
    ...ref(t, extra).environment,
    HN_ADDRESS: t.address,
    HN_PORT: String(t.port),
    HN_SCRIPT: script,
    HN_OP: "create",
    HN_PATH: `${STACK}/a`,
  };
  const child = spawn("/bin/sh", ["-c", HOOK_COMMAND], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.push(child);
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  child.stdout!.on("data", () => undefined);
  const done = new Promise<number>((resolve) => child.on("exit", (code, sig) => resolve(code ?? (sig ? 128 : -1))));
  return { child, stderr: () => err, done };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
}

/** Shells that sessions of the test host run (descendants of its sshd named sh): the hooks' `sh -s`. */
async function hostShells(): Promise<number[]> {
  const sshd = hostPid(inv, "a");
  const ps = (await execa("ps", ["-eo", "pid=,ppid=,comm="])).stdout
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/));
  const parent = new Map(ps.map(([pid, ppid]) => [Number(pid), Number(ppid)]));
  const under = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === sshd) return true;
    return false;
  };
  return ps.filter(([pid, , comm]) => comm === "sh" && under(Number(pid))).map(([pid]) => Number(pid));
}

beforeAll(async () => {
  mkdirSync(sshDir, { mode: 0o700 });
  inv = await labUp({ name: LAB, hosts: 1, dir: labDir, index: INDEX });
  address = inv.hosts.a.address;
}, 300_000);

afterAll(async () => {
  for (const c of children)
    if (c.pid && c.exitCode === null) {
      try {
        process.kill(-c.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  for (const p of projects) p.remove();
  if (inv) await execa("iptables", ["-w", "-D", ...DROP()], { reject: false });
  if (inv) await hostExec(inv, "a", `mount -o remount,rw /run/hostnet 2>/dev/null; rm -rf /run/hostnet/${STACK}`);
  // The shared connections this file opened: ask each to exit.
  for (const f of readdirSync(sshDir).filter((n) => n.startsWith("master.") && !n.includes(".log"))) {
    await execa("sh", ["-c", 'read -r p s < "$1" && ssh -o ControlPath="$s" -O exit x', "sh", path.join(sshDir, f)], { reject: false });
  }
  await labDown({ name: LAB, dir: labDir });
  rmSync(labDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}, 300_000);

describe("a shared connection is reused only with the same trust decision", () => {
  const marker = `/tmp/trs-ran-${process.pid}`;

  beforeAll(async () => {
    // A correct hook opens the shared connection and leaves it up.
    const ok = await runOnHost(ref(target()), "id -un", { op: "check", path: "trs/a" });
    expect(ok).toMatchObject({ exitCode: 0, stdout: "root" });
    expect(readdirSync(sshDir).some((f) => f.startsWith(`master.${address}.22.`) && !f.endsWith(".log"))).toBe(true);
  }, 60_000);

  test.each<[string, Partial<SshTarget>, RegExp, RegExp]>([
    [
      "a wrong pinned host key",
      { hostKey: WRONG_KEY, knownHostsFile: undefined },
      /^Host key verification failed\.$/,
      /REMOTE HOST IDENTIFICATION HAS CHANGED/,
    ],
    [
      "a missing identity file",
      { identityFile: path.join(work, "no-such-key") },
      /Permission denied \(publickey\)/,
      /Identity file .*no-such-key not accessible/,
    ],
    ["another user", { user: "trsnobody" }, /^trsnobody@.*Permission denied \(publickey\)/, /./],
  ])(
    "%s is refused with OpenSSH's message while a correct connection to the same address is open, and nothing runs",
    async (_what, over, reason, before) => {
      const r = await runOnHost(ref(target(over)), `touch ${marker}; id -un`, { op: "check", path: "trs/a" });
      expect(r.exitCode).toBe(255);
      expect(r.stdout).toBe("");
      expect(r.sshFailure).toMatch(reason);
      expect(r.stderr).toMatch(before);
      expect(r.stderr.trimEnd().split("\n").pop()).toMatch(
        new RegExp(`^hostnet: check of trs/a failed on ${over.user ?? "root"}@${address.replace(/\./g, "\\.")}:22 \\(exit 255\\): ssh: `),
      );
      expect(r.stderr).not.toContain("the output above is from the host");
      expect((await hostExec(inv, "a", `test -e ${marker} && echo ran || echo clean`)).stdout.trim()).toBe("clean");
      // The correct connection still serves its own hooks.
      expect(await runOnHost(ref(target()), "echo ok", { op: "check", path: "trs/a" })).toMatchObject({ exitCode: 0, stdout: "ok" });
    },
    60_000,
  );

  test("through Terraform: a stack pinning a wrong key is refused while a correct connection is open", async () => {
    const before = await hostSnapshot(inv, "a");
    const p = new CdktfProject("test/integration/fixtures/small-app.ts", "trsk", {
      HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
      HOSTNET_SSH_DIR: sshDir,
      HOSTNET_STACK: "trsk",
      HOSTNET_HOST_KEY: WRONG_KEY,
    });
    projects.push(p);
    // The stack's own settings (identity file and the inventory's known_hosts) with the right key
    // opened a connection just now: the same address, port, user and identity.
    expect(
      (await runOnHost(ref(target({ knownHostsFile: undefined, hostKey: inv.hosts.a.hostKey })), "true", { op: "check", path: "trsk/a" })).exitCode,
    ).toBe(0);
    const r = await p.deploy();
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain("Host key verification failed.");
    expect(r.output).toContain(`failed on root@${address}:22 (exit 255): ssh: Host key verification failed.`);
    expect(await hostSnapshot(inv, "a")).toBe(before);
  }, 300_000);
});

describe("an unwritable ledger fails the hook at once, naming the path and the cause", () => {
  afterEach(async () => {
    await hostExec(inv, "a", `mount -o remount,rw /run/hostnet; rm -rf /run/hostnet/${STACK}`);
  }, 30_000);

  test.each([
    ["the stack's directory exists", `mkdir -p /run/hostnet/${STACK}`, `cannot open the hook lock /run/hostnet/${STACK}/.lock on this host (`],
    [
      "the stack's directory must be created",
      `rm -rf /run/hostnet/${STACK}`,
      `cannot create the hook lock's directory /run/hostnet/${STACK} on this host (`,
    ],
  ])(
    "/run/hostnet read-only, %s",
    async (_what, prepare, message) => {
      await hostExec(inv, "a", `${prepare} && mount -o remount,ro /run/hostnet`);
      const t0 = Date.now();
      // Before the fix the hook retried for ever, past its 600 s wait (runOnHost kills it after 120 s: exit -1).
      const r = await runOnHost(ref(target(), lock(1, 600)), "echo ran", { op: "create", path: `${STACK}/a` });
      expect(Date.now() - t0).toBeLessThan(120_000);
      expect(r.exitCode).toBe(73);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(`hostnet: ${message}`);
      expect(r.stderr).toContain("Read-only file system");
      expect(r.stderr).toContain(`failed on root@${address}:22 (exit 73); the output above is from the host`);
    },
    120_000,
  );
});

describe("a hook waiting for another working copy stops on the host when its local side dies", () => {
  let holder: ReturnType<typeof startHook> | undefined;

  beforeAll(async () => {
    // Working copy "holder" runs a long hook: it keeps the host's lease.
    holder = startHook(target(), "sleep 300", path.join(work, "holder"), lock(300, 300));
    await until("the holder's hook runs on the host", async () => (await hostShells()).length === 1, 90_000);
  }, 120_000);

  afterAll(async () => {
    if (holder?.child.pid) process.kill(-holder.child.pid, "SIGKILL");
    // The holder runs its script, not the waiting loop: it would run to its end.
    for (const pid of await hostShells()) process.kill(pid, "SIGKILL");
  }, 60_000);

  async function waiting(copy: string): Promise<{ hook: ReturnType<typeof startHook>; shell: number }> {
    const before = await hostShells();
    const hook = startHook(target(), "echo ran", path.join(work, copy), lock(300, 300));
    await until("the second copy says it waits", () => hook.stderr().includes("hostnet: waiting: another working copy"), 90_000);
    const shell = (await hostShells()).filter((p) => !before.includes(p));
    expect(shell).toHaveLength(1);
    return { hook, shell: shell[0] };
  }

  test("its local ssh and sh killed (SIGKILL): its shell on the host ends within seconds", async () => {
    const { hook, shell } = await waiting("killed");
    process.kill(-hook.child.pid!, "SIGKILL");
    // It checks once a second; the machine may be loaded. Before the fix it waited its 300 s.
    await until(`the waiting shell ${shell} ends on the host`, async () => !(await hostShells()).includes(shell), 30_000);
    expect(await hostShells()).toHaveLength(1); // the holder's
  }, 180_000);

  test("what reads its output gone (terraform killed): its shell on the host and its local processes end", async () => {
    const { hook, shell } = await waiting("orphaned");
    hook.child.stdout!.destroy();
    hook.child.stderr!.destroy();
    // Noticed at its next line on stdout (every 10 s).
    await until(`the waiting shell ${shell} ends on the host`, async () => !(await hostShells()).includes(shell), 60_000);
    await Promise.race([hook.done, new Promise((_, rej) => setTimeout(() => rej(new Error("the local hook did not exit")), 20_000))]);
    expect(await hostShells()).toHaveLength(1);
  }, 180_000);
});

describe("when ssh fails, the hook's last line is ssh's own reason", () => {
  test("connection refused", async () => {
    const r = await runOnHost(ref(target({ port: 2222 })), "echo ran", { op: "check", path: "trs/a" });
    expect(r.exitCode).toBe(255);
    expect(r.sshFailure).toBe(`connect to host ${address} port 2222: Connection refused`);
  }, 60_000);

  test("a script that fails on the host: its output, and the line saying it is the host's", async () => {
    const r = await runOnHost(ref(target()), "echo 'RTNETLINK answers: File exists' >&2; exit 2", { op: "create", path: "trs/a" });
    expect(r.exitCode).toBe(2);
    expect(r.sshFailure).toBeUndefined();
    expect(r.stderr).toBe(
      `RTNETLINK answers: File exists\nhostnet: create of trs/a failed on root@${address}:22 (exit 2); the output above is from the host`,
    );
  }, 60_000);

  test("the host lost in the middle of a hook", async () => {
    const running = runOnHost(ref(target()), "echo started; sleep 40; echo done", { op: "create", path: "trs/a" });
    await new Promise((r) => setTimeout(r, 3000));
    await execa("iptables", ["-w", "-I", ...DROP()]);
    try {
      const r = await running;
      expect(r.exitCode).toBe(255);
      expect(r.stdout).toBe("started");
      expect(r.sshFailure).toBe(`Timeout, server ${address} not responding.`);
    } finally {
      await execa("iptables", ["-w", "-D", ...DROP()], { reject: false });
    }
  }, 90_000);
});
