/**
 * Run a script on a host from the CLI (check, gc) through the very same
 * transport the Terraform hooks use: HOOK_COMMAND with the host's environment.
 */
import * as fs from "fs";
import execa from "execa";
import { HOOK_COMMAND, hostPort } from "./ssh";

export interface HostRef {
  readonly address: string;
  readonly port: number;
  readonly environment: Record<string, string>;
}

export interface HostRunResult {
  readonly stdout: string;
  /** The host's stderr, then the transport's; its last line says what failed (see `sshFailure`). */
  readonly stderr: string;
  readonly exitCode: number;
  /**
   * ssh's own reason when ssh, not the script, failed (exit 255): "Host key
   * verification failed.", "connect to host 198.18.0.10 port 22: Connection
   * refused", "Timeout, server 198.18.0.10 not responding.", ... Undefined when
   * the script ran on the host (its output is then in stdout and stderr).
   */
  readonly sshFailure?: string;
}

/** The transport's last line when ssh failed: "hostnet: <op> of <path> failed on <target> (exit 255): ssh: <reason>". */
const SSH_FAILURE = /^hostnet: .* failed on \S+ \(exit 255\): ssh: (.*)$/;

/** ssh's reason from a hook's stderr, or undefined when the hook did not fail in ssh. */
export function sshFailureOf(stderr: string): string | undefined {
  const last = stderr.trimEnd().split("\n").pop() ?? "";
  return SSH_FAILURE.exec(last)?.[1];
}

/**
 * The script reaches the transport on stdin, into a shell variable that is not
 * exported: Linux refuses to start a process with an argument or environment
 * string over 128 KiB (E2BIG), and the check of a host with 1,000 objects is
 * larger than that. (A hook's own script is one object's, a few KB, and comes
 * in HN_SCRIPT from Terraform.)
 */
const RUN_COMMAND = `unset HN_SCRIPT; HN_SCRIPT=$(cat)\n${HOOK_COMMAND}`;

/**
 * Seconds a check of `objects` objects may take on a host: 120, and half a
 * second per object. The check starts a few processes per object, one after
 * another (1,000 endpoints: about two minutes on the 2-core test machine).
 */
export function checkTimeoutSeconds(objects: number): number {
  return 120 + Math.ceil(objects / 2);
}

/** The exit code of a run stopped at its timeout (as timeout(1) gives). */
export const TIMED_OUT = 124;

export async function runOnHost(
  host: HostRef,
  script: string,
  what: { op: string; path: string },
  opts: { timeoutSeconds?: number } = {},
): Promise<HostRunResult> {
  const seconds = opts.timeoutSeconds ?? 120;
  const child = execa("/bin/sh", ["-c", RUN_COMMAND], {
    reject: false,
    input: script,
    env: { ...host.environment, HN_ADDRESS: host.address, HN_PORT: String(host.port), HN_OP: what.op, HN_PATH: what.path },
  });
  // At the timeout the whole tree goes, ssh included: stopping the shell alone left ssh and the script running.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killTree(child.pid);
  }, seconds * 1000);
  const r = await child.finally(() => clearTimeout(timer));
  if (timedOut) {
    const line = `hostnet: ${what.op} of ${what.path} did not finish within ${seconds} s on ${host.environment.HN_USER ?? "root"}@${hostPort(host.address, host.port)}; it was stopped`;
    return { stdout: r.stdout, stderr: [r.stderr, line].filter((x) => x !== "").join("\n"), exitCode: TIMED_OUT };
  }
  const exitCode = r.exitCode ?? -1;
  const sshFailure = exitCode === 255 ? sshFailureOf(r.stderr) : undefined;
  return { stdout: r.stdout, stderr: r.stderr, exitCode, ...(sshFailure !== undefined ? { sshFailure } : {}) };
}

/** The pids below `pid` (Linux: /proc/<pid>/task/<tid>/children), each followed by its own. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let text = "";
    try {
      text = fs.readFileSync(`/proc/${pid}/task/${t}/children`, "utf8");
    } catch {
      continue;
    }
    for (const c of text.split(" ").filter((x) => x.trim() !== "")) out.push(Number(c), ...descendants(Number(c)));
  }
  return out;
}

/** SIGKILL to `pid` and every process below it, the tree read first so none is orphaned out of reach. */
function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // gone already
    }
  }
}
