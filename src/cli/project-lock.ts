/**
 * One deploy at a time per working copy. `hostnet deploy`, `destroy` and `diff`
 * synthesize into the project's one cdktf.out and then run Terraform on it: two
 * runs at once would each apply whatever the other synthesized last. The
 * critical section is synth + terraform, held with flock(1) on a file in the
 * outdir. Node has no flock, so a small `flock` child holds it: it keeps the
 * lock while its stdin is open and lets go when this process closes the pipe
 * or dies (even by SIGKILL), so a crashed deploy never leaves a stale lock.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HostnetError } from "../errors";

/** Seconds a run waits for another run of the same working copy, unless --lock-wait says otherwise. */
export const DEFAULT_LOCK_WAIT_SECONDS = 600;

export const LOCK_FILE = ".hostnet-deploy.lock";
export const OWNER_FILE = ".hostnet-deploy.owner";

/** Who holds the lock, written by the holder once it has it. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly since: string;
}

export interface ProjectLock {
  release(): void;
}

function readOwner(dir: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

/** "`hostnet deploy rel` (pid 123 on box, since 02:41:10Z)", or a neutral phrase when the owner file is unreadable. */
export function describeOwner(o: LockOwner | undefined): string {
  if (!o) return "another hostnet run (its owner file is not written yet)";
  return `\`${o.command}\` (pid ${o.pid} on ${o.host}, since ${o.since})`;
}

/**
 * Takes the working copy's deploy lock in `dir` (created if missing). When
 * another run holds it, says so once through `wait` and waits up to
 * `waitSeconds`; then fails naming the holder and the fix.
 */
export async function lockProject(dir: string, opts: { command: string; waitSeconds: number; wait: (line: string) => void }): Promise<ProjectLock> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  // Own process group: a Ctrl-C in the terminal must not end the holder while Terraform still runs.
  const child: ChildProcess = spawn(
    "flock",
    ["-x", "-w", String(opts.waitSeconds), "-E", "75", file, "sh", "-c", "echo locked; exec cat >/dev/null"],
    {
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    },
  );
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += String(d)));
  const acquired = new Promise<boolean>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += String(d);
      if (out.includes("locked\n")) resolve(true);
    });
    child.on("error", (e) => reject(new HostnetError(`cannot take the deploy lock ${file}: ${e.message} (is flock from util-linux installed?)`, 1)));
    child.on("exit", () => resolve(false));
  });
  const slow = setTimeout(
    () =>
      opts.wait(`hostnet: waiting: ${describeOwner(readOwner(dir))} is deploying from this working copy (lock ${file}); up to ${opts.waitSeconds} s`),
    300,
  );
  let ok: boolean;
  try {
    ok = await acquired;
  } finally {
    clearTimeout(slow);
  }
  if (!ok) {
    const holder = describeOwner(readOwner(dir));
    if (child.exitCode === 75) {
      throw new HostnetError(
        `another deploy of this working copy is still running ` +
          `after ${opts.waitSeconds} ` +
          `s: ${holder} holds ${file}. Wait for it to finish (or stop it), then run again; --lock-wait SECONDS waits longer.`,
        1,
      );
    }
    throw new HostnetError(`cannot take the deploy lock ${file}: flock exited ${child.exitCode}: ${stderr.trim()}`, 1);
  }
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), command: opts.command, since: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
  fs.writeFileSync(path.join(dir, OWNER_FILE), JSON.stringify(owner) + "\n");
  // The holder must not keep this process alive, nor be waited for at exit.
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        fs.rmSync(path.join(dir, OWNER_FILE), { force: true });
      } finally {
        child.stdin!.end();
      }
    },
  };
}
