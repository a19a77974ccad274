/**
 * The per-host hook lock, run for real: HOOK_COMMAND as Terraform runs it, with
 * sh and flock, but an `ssh` on PATH that runs what it receives locally, with
 * /run/hostnet moved to a temporary directory. Working copies are directories
 * the hooks run in, as Terraform runs them in each copy's stack directory.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "fs";
import { hostname, tmpdir } from "os";
import * as path from "path";
import { LOCK_FILES } from "../../src/render/common";
import { HOOK_COMMAND } from "../../src/transport/ssh";
import { renderHostDestroy } from "../../src/render/host";
import { hookEnv } from "../support/hook-env";

let dir: string;
let runRoot: string;
let bin: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "hostnet-lock-"));
  runRoot = path.join(dir, "run");
  bin = path.join(dir, "bin");
  mkdirSync(bin);
  mkdirSync(path.join(dir, "ssh"), { mode: 0o700 });
  for (const copy of ["copy-a", "copy-b", "copy-c"]) mkdirSync(path.join(dir, copy));
  // A stand-in for ssh: a master that always answers (-O check) but records no
  // socket (-G prints nothing), and the session runs its stdin with sh, the
  // on-host paths moved under runRoot.
  writeFileSync(
    path.join(bin, "ssh"),
    [
      "#!/bin/sh",
      'for a in "$@"; do case "$a" in -G|-N) exit 0 ;; -O) echo "Master running (pid=1)" >&2; exit 0 ;; esac; done',
      `sed 's#/run/hostnet/#${runRoot}/#g' | sh -s`,
    ].join("\n") + "\n",
  );
  chmodSync(path.join(bin, "ssh"), 0o755);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Hook {
  readonly done: Promise<{ code: number; stderr: string }>;
  readonly child: ChildProcess;
}

/** One hook of stack "s", run from working copy `copy`. */
function hook(copy: string, script: string, lock: { lease?: number; wait?: number } | false = {}, trace?: string): Hook {
  const env = hookEnv(dir, bin, `s/${copy}`, {
    HN_SCRIPT: `set -eu\n${script}`,
    ...(lock ? { HN_STACK: "s", HN_LOCK_LEASE: String(lock.lease ?? 1), HN_LOCK_WAIT: String(lock.wait ?? 30) } : {}),
  });
  const cmd = ["/bin/sh", "-c", HOOK_COMMAND];
  // strace: every program started and every file opened, of the hook and all its children.
  const argv = trace ? ["strace", "-f", "-qq", "-e", "trace=execve,openat", "-o", trace, ...cmd] : cmd;
  const child = spawn(argv[0], argv.slice(1), { cwd: path.join(dir, copy), env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number; stderr: string }>((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, stderr })));
  return { done, child };
}

const log = () => path.join(dir, "log");
const logLines = () => (existsSync(log()) ? readFileSync(log(), "utf8").trim().split("\n") : []);
/** A hook body that logs its start, waits for `file` to appear (or `secs`), and logs its end. */
const work = (name: string, opts: { secs?: number; until?: string } = {}) => {
  const wait = opts.until
    ? `i=0; while [ ! -e ${opts.until} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -e ${opts.until} ]`
    : `sleep ${opts.secs ?? 0}`;
  return `echo "start ${name}" >> ${log()}\n${wait}\necho "end ${name}" >> ${log()}`;
};
/** Resolves once the log has `line`. */
async function logged(line: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (logLines().includes(line)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`"${line}" never logged; log: ${logLines().join(" | ")}`);
}
/** `sh -s` processes of this test waiting in the lock loop (a `sleep 1` child and the stand-in's paths). */
function waitingShells(copy: string): { pid: number; ppid: number }[] {
  const ps = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/));
  const sleeping = new Set(ps.filter((p) => p[2] === "sleep" && p[3] === "1").map((p) => Number(p[1])));
  const mine = (pid: number) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`) === path.join(dir, copy);
    } catch {
      return false;
    }
  };
  return ps
    .filter((p) => p[2] === "sh" && p[3] === "-s" && sleeping.has(Number(p[0])) && mine(Number(p[0])))
    .map((p) => ({ pid: Number(p[0]), ppid: Number(p[1]) }));
}
/** Resolves with the waiting shell of `copy` once there is one. */
async function waiting(copy: string): Promise<{ pid: number; ppid: number }[]> {
  for (let i = 0; i < 200; i++) {
    const shells = waitingShells(copy);
    if (shells.length > 0) return shells;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no hook of ${copy} waiting`);
}
const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").match(/^\d+ \(.*\) Z/);
  } catch {
    return false;
  }
};
const owner = () =>
  readFileSync(path.join(runRoot, "s", ".owner"), "utf8")
    .trim()
    .split(" ");

describe("per-host hook lock (real sh and flock, local stand-in for ssh)", () => {
  test("hooks of one working copy run side by side", async () => {
    const a1 = hook("copy-a", `touch ${dir}/a1\n${work("a1", { until: `${dir}/a2` })}`);
    const a2 = hook("copy-a", `touch ${dir}/a2\n${work("a2", { until: `${dir}/a1` })}`);
    expect(await a1.done).toEqual({ code: 0, stderr: "" });
    expect(await a2.done).toEqual({ code: 0, stderr: "" });
  }, 30_000);

  test("a hook of another working copy waits until the first copy's hooks end and its lease runs out, and says why", async () => {
    const a = hook("copy-a", work("a", { until: `${dir}/release` }), { lease: 1 });
    await logged("start a");
    const b = hook("copy-b", work("b"), { lease: 1 });
    await waiting("copy-b");
    writeFileSync(path.join(dir, "release"), "");
    const [ra, rb] = [await a.done, await b.done];
    expect(ra.code).toBe(0);
    expect(rb.code).toBe(0);
    expect(logLines()).toEqual(["start a", "end a", "start b", "end b"]);
    expect(rb.stderr).toContain(
      `hostnet: waiting: another working copy of this stack (${hostname()}:${dir}/copy-a) is running hooks on this host; its lease ends 1s after its last hook (waiting up to 30s)`,
    );
    expect(owner()[2]).toBe(`${hostname()}:${dir}/copy-b`);
  }, 30_000);

  test("a hook running longer than the lease keeps the host for its copy", async () => {
    const a = hook("copy-a", work("a", { secs: 4 }), { lease: 1 });
    await logged("start a");
    const b = hook("copy-b", work("b"), { lease: 1 });
    await Promise.all([a.done, b.done]);
    expect(logLines()).toEqual(["start a", "end a", "start b", "end b"]);
  }, 30_000);

  test("a waiting hook gives up after its wait, names the holder and the fix, and runs nothing", async () => {
    const a = hook("copy-a", work("a", { until: `${dir}/release` }), { lease: 1 });
    await logged("start a");
    const rb = await hook("copy-b", work("b"), { lease: 1, wait: 1 }).done;
    writeFileSync(path.join(dir, "release"), "");
    expect((await a.done).code).toBe(0);
    expect(rb.code).toBe(75);
    expect(rb.stderr).toContain(
      `hostnet: gave up after 1s: another working copy of this stack ` +
        `(${hostname()}:${dir}/copy-a) is running hooks on this host ` +
        `(lock ${runRoot}/s). Let its deploy finish and run again; if none is running (a crashed run), the lease ends 1s after its last ` +
        `hook, or remove ${runRoot}/s/.owner.`,
    );
    expect(rb.stderr).toContain("hostnet: create of s/copy-b failed on root@198.18.0.2:22 (exit 75)");
    expect(logLines()).toEqual(["start a", "end a"]);
  }, 30_000);

  test("the lease counts from the end of the owner's last hook, not its start", async () => {
    // a runs 10 s with an 8 s lease: counted from its start the lease would be over when b comes.
    await hook("copy-a", work("a", { secs: 10 }), { lease: 8 }).done;
    const rb = await hook("copy-b", work("b"), { lease: 8 }).done;
    expect(rb.code).toBe(0);
    expect(rb.stderr).toContain("hostnet: waiting:");
    expect(owner()[2]).toContain("copy-b");
  }, 60_000);

  test("a failing hook keeps its exit code and still records the end of its hook", async () => {
    const r = await hook("copy-a", "echo 'hostnet: s/x: conflict' >&2; exit 3").done;
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("hostnet: s/x: conflict");
    expect(owner()[2]).toContain("copy-a");
  }, 30_000);

  test("a hook of the copy that owns the host starts one flock and rewrites .owner only in place; the first hook of a copy takes it under .lock", async () => {
    const trace = (n: number) => path.join(dir, `trace${n}`);
    /** The flock processes a traced hook started on the host (not this side's `flock -w 30 9` for the ssh master), and whether it opened .owner truncating. */
    const seen = (file: string) => {
      const lines = readFileSync(file, "utf8").split("\n");
      return {
        flocks: lines.filter((l) => /execve\("[^"]*\/flock"/.test(l) && !/ENOENT/.test(l) && !l.includes('"-w", "30", "9"')).length,
        truncated: lines.some((l) => /openat\(.*\/s\/\.owner".*O_TRUNC/.test(l)),
      };
    };
    expect((await hook("copy-a", work("a1"), {}, trace(1)).done).code).toBe(0);
    const ownerFile = path.join(runRoot, "s", ".owner");
    const first = owner();
    const ino = statSync(ownerFile).ino;
    expect((await hook("copy-a", work("a2", { secs: 1.2 }), {}, trace(2)).done).code).toBe(0);
    // The first: .lock, then .active (take the empty host, then share it); the second: .active shared only.
    expect([seen(trace(1)), seen(trace(2))]).toEqual([
      { flocks: 3, truncated: true },
      { flocks: 1, truncated: false },
    ]);
    // The same file, this copy's line, its end time after the first hook's.
    expect(statSync(ownerFile).ino).toBe(ino);
    expect([owner()[0], owner()[2]]).toEqual([first[0], first[2]]);
    expect(Number(owner()[1])).toBeGreaterThanOrEqual(Number(first[1]) + 1);
    expect(readFileSync(ownerFile, "utf8").split("\n")[0]).toBe(owner().join(" "));
  }, 30_000);

  test("a hook's end does not take .owner back from a copy that took over after the stack's last hook removed the lock", async () => {
    const a = hook("copy-a", work("a", { until: `${dir}/release` }));
    await logged("start a");
    const ownerFile = path.join(runRoot, "s", ".owner");
    // The stack's destroy removed the lock's files, and copy b took the host over.
    for (const f of LOCK_FILES) rmSync(path.join(runRoot, "s", f), { force: true });
    writeFileSync(ownerFile, "12345 1 copy-b\n");
    writeFileSync(path.join(dir, "release"), "");
    expect((await a.done).code).toBe(0);
    expect(readFileSync(ownerFile, "utf8")).toBe("12345 1 copy-b\n");
  }, 30_000);

  test("without HN_STACK (hostnet check) no lock is taken and nothing is written", async () => {
    const r = await hook("copy-a", "echo ok", false).done;
    expect(r).toEqual({ code: 0, stderr: "" });
    expect(existsSync(path.join(runRoot, "s"))).toBe(false);
  }, 30_000);

  test("an unopenable .lock fails the hook at once, naming the path and the cause, and runs nothing", async () => {
    mkdirSync(path.join(runRoot, "s", ".lock"), { recursive: true }); // a directory: "Is a directory"
    const t0 = Date.now();
    const r = await hook("copy-a", work("a"), { wait: 30 }).done;
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.code).toBe(73);
    expect(r.stderr).toMatch(
      new RegExp(
        `hostnet: cannot open the hook lock ${runRoot}/s/\\.lock on this host \\(.*Is a directory\\)\\. hostnet keeps its ledger and hook lock in /run/hostnet: make it a writable directory`,
      ),
    );
    expect(r.stderr).toContain("hostnet: create of s/copy-a failed on root@198.18.0.2:22 (exit 73); the output above is from the host");
    expect(logLines()).toEqual([]);
  }, 30_000);

  test("a ledger directory that cannot be created fails the hook at once, with mkdir's reason", async () => {
    writeFileSync(runRoot, ""); // a file where the directory should be: "Not a directory"
    const r = await hook("copy-a", work("a"), { wait: 30 }).done;
    expect(r.code).toBe(73);
    expect(r.stderr).toMatch(new RegExp(`hostnet: cannot create the hook lock's directory ${runRoot}/s on this host \\(mkdir: .*Not a directory\\)`));
    expect(logLines()).toEqual([]);
  }, 30_000);

  test("a waiting hook whose session is gone (its parent on the host died) stops waiting", async () => {
    const a = hook("copy-a", work("a", { until: `${dir}/release` }), { lease: 30 });
    await logged("start a");
    const b = hook("copy-b", work("b"), { lease: 30, wait: 60 });
    const shells = await waiting("copy-b");
    // The stand-in's session shell (the parent of b's `sh -s`) dies, as sshd's
    // session would: b's loop notices within a second or two.
    expect(shells).toHaveLength(1);
    process.kill(shells[0].ppid, "SIGKILL");
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000 && alive(shells[0].pid)) await new Promise((r) => setTimeout(r, 100));
    expect(alive(shells[0].pid)).toBe(false);
    writeFileSync(path.join(dir, "release"), "");
    expect((await a.done).code).toBe(0);
    await b.done;
    expect(logLines()).toEqual(["start a", "end a"]);
  }, 30_000);

  test("the stack's last hook removes the lock's files; a copy waiting on the removed lock starts again on a new one", async () => {
    const destroy = renderHostDestroy({ stack: "s", host: "a" }).replace(/^set -eu$/m, "");
    const a = hook("copy-a", `${work("a", { secs: 1 })}\n${destroy}`, { lease: 1 });
    await logged("start a");
    const b = hook("copy-b", work("b"), { lease: 1 });
    const c = hook("copy-c", work("c"), { lease: 1 });
    const [ra, rb, rc] = [await a.done, await b.done, await c.done];
    expect([ra.code, rb.code, rc.code]).toEqual([0, 0, 0]);
    const lines = logLines();
    expect(lines.slice(0, 2)).toEqual(["start a", "end a"]);
    // b and c ran one after the other, in either order.
    expect(lines.slice(2).sort()).toEqual(["end b", "end c", "start b", "start c"]);
    expect([lines[3], lines[5]]).toEqual([lines[2].replace("start", "end"), lines[4].replace("start", "end")]);
    expect(LOCK_FILES.every((f) => existsSync(path.join(runRoot, "s", f)))).toBe(true);
  }, 30_000);
});
