import { HostnetError } from "../errors";
import { hostSshdPid } from "./host-process";
import { Inventory } from "./inventory";
import { labFilesAt } from "./paths";
import { run, RunResult } from "./sys";

/** Options of hostExec. */
export interface HostExecOptions {
  /** Text written to the script's stdin. @default no stdin */
  readonly input?: string;
  /** Kill the script after this many milliseconds. @default no limit */
  readonly timeoutMs?: number;
}

/**
 * Pid of a test host's sshd, checked to live in the host's namespaces;
 * throws a HostnetError saying how to restart the lab otherwise.
 */
export function hostPid(inv: Inventory, host: string): number {
  const h = inv.hosts[host];
  if (!h) {
    throw new HostnetError(`lab "${inv.lab}" has no host "${host}"; its hosts are ${Object.keys(inv.hosts).join(", ")}.`);
  }
  const files = labFilesAt(inv.dir);
  const pid = hostSshdPid(h.netns, files.pidFile(host), files.sshdConfig(host));
  if (pid === undefined) {
    throw new HostnetError(
      `host ${host} of lab "${inv.lab}" is not running (no live sshd in netns ${h.netns}); run "hostnet lab up --name ${inv.lab}".`,
    );
  }
  return pid;
}

/**
 * Runs `sh -c script` inside a test host without ssh: nsenter into the
 * host sshd's network, mount and UTS namespaces. For tests that inspect a
 * host or start probe services. A background process must redirect its
 * output (`cmd >/dev/null 2>&1 &`), or this waits for it. Never throws on a
 * non-zero exit.
 */
export async function hostExec(inv: Inventory, host: string, script: string, opts: HostExecOptions = {}): Promise<RunResult> {
  const pid = hostPid(inv, host);
  return run("nsenter", ["-t", String(pid), "-n", "-m", "-u", "sh", "-c", script], opts);
}
