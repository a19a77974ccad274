import * as fs from "fs";
import * as os from "os";
import execa from "execa";
import { HostnetError } from "../errors";

/** Outcome of a command; a non-zero exit is not an exception. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Runs a command with an argv (no shell) and returns its output, whatever the exit code. */
export async function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const r = await execa(cmd, args as string[], {
    reject: false,
    input: opts.input,
    stdin: opts.input === undefined ? "ignore" : undefined,
    timeout: opts.timeoutMs,
    env: { LC_ALL: "C" },
  });
  // A command killed by a signal has no exit code; report it the way a shell does.
  const exitCode = typeof r.exitCode === "number" ? r.exitCode : 128 + (r.signal ? signalNumber(r.signal) : 0);
  return { stdout: r.stdout, stderr: r.stderr, exitCode };
}

function signalNumber(name: string): number {
  const n = (os.constants.signals as Record<string, number>)[name];
  return n ?? 0;
}

/** Runs a command that must succeed; a failure becomes a HostnetError naming the command and its stderr. */
export async function must(cmd: string, args: readonly string[], opts: { input?: string } = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.exitCode !== 0) {
    const detail = (r.stderr || r.stdout).trim().split("\n").slice(-3).join("; ");
    throw new HostnetError(`"${[cmd, ...args].join(" ")}" failed (exit ${r.exitCode}): ${detail || "no output"}`, 1);
  }
  return r.stdout;
}

/**
 * Identity (device:inode) of a namespace file such as `/proc/<pid>/ns/net`
 * or `/run/netns/<name>`; two files name the same namespace when these are
 * equal. Undefined when the file cannot be read.
 */
export function nsId(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** True when the process exists and is not a zombie (a zombie has already left its namespaces). */
export function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** A process's argv, or [] when it is gone. */
export function processArgv(pid: number): string[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/cmdline`, "utf8")
      .split("\0")
      .filter((s) => s !== "");
  } catch {
    return [];
  }
}

/** Reads a pid file; undefined when missing or not a number. */
export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Sends SIGKILL to each process and waits (bounded) until all are gone. */
export async function killAndWait(pids: readonly number[], timeoutMs = 5000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (pids.some(processAlive)) {
    if (Date.now() > deadline) {
      throw new HostnetError(`processes ${pids.filter(processAlive).join(", ")} did not exit after SIGKILL.`, 1);
    }
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Throws a HostnetError naming the missing tool when a command is not installed. */
export async function requireTools(tools: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const t of tools) {
    if (t.startsWith("/")) {
      if (!fs.existsSync(t)) missing.push(t);
    } else if (!onPath(t)) {
      missing.push(t);
    }
  }
  if (missing.length > 0) {
    throw new HostnetError(`missing ${missing.join(", ")}; install the project's system packages with "bash scripts/setup.sh".`);
  }
}

function onPath(cmd: string): boolean {
  const dirs = (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":");
  return dirs.some((d) => {
    try {
      fs.accessSync(`${d}/${cmd}`, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Throws unless running as root: namespaces, veths and bridges need CAP_NET_ADMIN and CAP_SYS_ADMIN. */
export function requireRoot(): void {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new HostnetError("the lab creates namespaces, bridges and veths and must run as root; rerun with sudo.");
  }
}
