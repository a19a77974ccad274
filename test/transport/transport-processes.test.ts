/**
 * The processes the transport (HOOK_COMMAND) starts on this side for one hook,
 * counted with strace: every hook pays them, so they are a cost of a deploy
 * (README "Speed"). On the usual path (a shared connection already up, the hook
 * lock's owner given by hostnet deploy as HN_COPY, the script's sha256 given by
 * Terraform) that is the shell and ssh alone. Also: the values that used to
 * cost a process each (the uid, the owner's checksum, the script's sha256) are
 * the same as the tools give, and a wrong one is still refused.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import { tmpdir } from "os";
import * as path from "path";
import { copyOwner, posixCksum } from "../../src/transport/hook-lock";
import { HOOK_COMMAND, sshEnvironment } from "../../src/transport/ssh";
import { hookEnv } from "../support/hook-env";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const hostname = () => fs.readFileSync("/proc/sys/kernel/hostname", "utf8").replace(/\n$/, "");

describe("posixCksum", () => {
  test.each([[""], ["a"], ["host:/tmp/project/cdktf.out/stacks/net"], ["é ü 名前"], ["x".repeat(300)], ["y".repeat(70000)]])(
    "is what cksum prints for %#",
    (s) => {
      const r = spawnSync("cksum", { input: s, encoding: "utf8" });
      expect(posixCksum(Buffer.from(s, "utf8"))).toBe(Number(r.stdout.split(" ")[0]));
    },
  );

  test("copyOwner names the machine and directory, then the checksum of both", () => {
    expect(copyOwner("/srv/p/stacks/net", "h1")).toEqual({
      HN_COPY: `h1:/srv/p/stacks/net ${posixCksum(Buffer.from("h1:/srv/p/stacks/net"))}`,
      PWD: "/srv/p/stacks/net",
    });
  });
});

/** The programs a command ran (basenames of the successful execve calls), in order. */
function traced(
  args: string[],
  opts: { cwd: string; env: Record<string, string> },
  log: string,
): { status: number | null; stderr: string; programs: string[] } {
  const r = spawnSync("strace", ["-f", "-qq", "-e", "trace=execve", "-o", log, ...args], { ...opts, encoding: "utf8" });
  // "<pid> execve("/bin/x", ...) = 0", or, when another process interleaves, split into
  // "<pid> execve("/bin/x", ... <unfinished ...>" and "<pid> <... execve resumed>...) = 0".
  const pending = new Map<string, string>();
  const programs: string[] = [];
  for (const l of fs.readFileSync(log, "utf8").split("\n")) {
    const pid = l.split(" ")[0];
    const call = /execve\("([^"]*)"/.exec(l);
    if (call) pending.set(pid, call[1]);
    if (/execve(\(| resumed>).* = 0$/.test(l) && pending.has(pid)) programs.push(path.basename(pending.get(pid)!));
    if (/ = -?\d+/.test(l)) pending.delete(pid);
  }
  return { status: r.status, stderr: r.stderr, programs };
}

describe("one hook's processes on this side", () => {
  let dir: string;
  let bin: string;
  let master: ChildProcess | undefined;
  let server: net.Server | undefined;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(tmpdir(), "hostnet-tproc-")));
    bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    // ssh: keeps what it is sent (the host's side is not under test here).
    fs.writeFileSync(path.join(bin, "ssh"), `#!/bin/sh\ncat > ${dir}/sent\n`, { mode: 0o755 });
  });
  afterEach(() => {
    master?.kill();
    server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A shared connection that is up, as the transport's fast path checks it: a live process named ssh, its socket, its record. */
  async function liveMaster(d: string, k: string): Promise<void> {
    fs.mkdirSync(d, { mode: 0o700 });
    fs.mkdirSync(path.join(dir, "m"));
    fs.symlinkSync("/bin/sleep", path.join(dir, "m", "ssh"));
    master = spawn(path.join(dir, "m", "ssh"), ["300"], { stdio: "ignore" });
    const sock = path.join(d, "s");
    server = net.createServer();
    await new Promise<void>((ok) => server!.listen(sock, ok));
    fs.writeFileSync(path.join(d, `master.${k}`), `${master.pid} ${sock}\n`);
  }

  function env(extra: Record<string, string>): Record<string, string> {
    const base = hookEnv(dir, bin, "s/a/web", extra);
    const trust = sshEnvironment({ address: base.HN_ADDRESS, port: 22, user: "root", insecureIgnoreHostKey: true }).HN_TRUST;
    return { ...base, HN_TRUST: trust, HN_STACK: "s", HN_LOCK_LEASE: "30", HN_LOCK_WAIT: "600", PWD: dir, ...extra };
  }

  const script = "set -eu\necho created\n";

  test("the usual path runs only the shell and ssh (the uid, the owner's checksum and the script's sha256 cost none)", async () => {
    const e = env({ HN_SCRIPT: script, HN_SHA256: sha(script), HN_SCRIPT_SHA256: sha(script), ...copyOwner(dir, hostname()) });
    await liveMaster(e.HOSTNET_SSH_DIR, `${e.HN_ADDRESS}.${e.HN_PORT}.${e.HN_TRUST}`);
    const r = traced(["/bin/sh", "-c", HOOK_COMMAND], { cwd: dir, env: e }, path.join(dir, "trace"));
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.programs).toEqual(["sh", "ssh", "cat"]);
    const sent = fs.readFileSync(path.join(dir, "sent"), "utf8");
    expect(sent).toContain(` hn_owner=${posixCksum(Buffer.from(`${hostname()}:${dir}`))} `);
    expect(sent).toContain("echo created");
  });

  test("HN_COPY naming another directory is not used: the owner is the checksum of this one, by cksum", async () => {
    const e = env({ HN_SCRIPT: script, ...copyOwner("/elsewhere", hostname()) });
    await liveMaster(e.HOSTNET_SSH_DIR, `${e.HN_ADDRESS}.${e.HN_PORT}.${e.HN_TRUST}`);
    const r = traced(["/bin/sh", "-c", HOOK_COMMAND], { cwd: dir, env: e }, path.join(dir, "trace"));
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.programs).toEqual(["sh", "cksum", "ssh", "cat"]);
    const want = spawnSync("cksum", { input: `${hostname()}:${dir}`, encoding: "utf8" }).stdout.split(" ")[0];
    expect(fs.readFileSync(path.join(dir, "sent"), "utf8")).toContain(` hn_owner=${want} `);
  });

  test("a script whose file hashed (filesha256) to another sha256 than its name is not sent", async () => {
    const e = env({ HN_SCRIPT: script, HN_SHA256: sha(script), HN_SCRIPT_SHA256: sha("edited\n") });
    await liveMaster(e.HOSTNET_SSH_DIR, `${e.HN_ADDRESS}.${e.HN_PORT}.${e.HN_TRUST}`);
    const r = spawnSync("/bin/sh", ["-c", HOOK_COMMAND], { cwd: dir, env: e, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`does not match its name (its sha256 is ${sha("edited\n")})`);
    expect(fs.existsSync(path.join(dir, "sent"))).toBe(false);
  });

  test("the control directory's mode is checked before a connection is made: 0755 is refused", () => {
    const e = env({ HN_SCRIPT: script });
    fs.mkdirSync(e.HOSTNET_SSH_DIR, { mode: 0o755 });
    fs.chmodSync(e.HOSTNET_SSH_DIR, 0o755);
    const r = spawnSync("/bin/sh", ["-c", HOOK_COMMAND], { cwd: dir, env: e, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`hostnet: ${e.HOSTNET_SSH_DIR} must be a directory of root with mode 0700`);
    expect(fs.existsSync(path.join(dir, "sent"))).toBe(false);
  });

  test("without HOSTNET_SSH_DIR the directory is named by the effective uid, read without starting id", () => {
    // ssh: records its arguments and has no master to offer, so the hook stops after its first attempt.
    fs.writeFileSync(path.join(bin, "ssh"), `#!/bin/sh\nprintf '%s\\n' "$@" >> ${dir}/args\nexit 255\n`, { mode: 0o755 });
    const trust = randomBytes(8).toString("hex");
    const e = env({ HN_SCRIPT: script, HN_TRUST: trust });
    delete e.HOSTNET_SSH_DIR;
    const d = `/tmp/hostnet-ssh-${process.getuid!()}`;
    try {
      const r = traced(["/bin/sh", "-c", HOOK_COMMAND], { cwd: dir, env: e }, path.join(dir, "trace"));
      expect(r.status).toBe(255);
      expect(r.programs).not.toContain("id");
      const args = fs.readFileSync(path.join(dir, "args"), "utf8").split("\n");
      expect(args).toContain(`ControlPath=${d}/${trust}.%h.%p`);
    } finally {
      for (const f of fs.existsSync(d) ? fs.readdirSync(d) : []) if (f.includes(trust)) fs.rmSync(path.join(d, f), { force: true });
    }
  });
});
