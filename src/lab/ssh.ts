import { HostnetError } from "../errors";
import { InventoryHost } from "./inventory";
import { run, RunResult, sleep } from "./sys";

/**
 * ssh arguments (before the remote command) that reach a test host with
 * its pinned host key and the lab's client key, ignoring the user's own
 * ssh config and agent.
 */
export function sshArgs(h: InventoryHost, connectTimeoutSec = 3): string[] {
  return [
    "-F",
    "/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${h.knownHostsFile}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "IdentityAgent=none",
    "-o",
    `ConnectTimeout=${connectTimeoutSec}`,
    "-o",
    "LogLevel=ERROR",
    "-i",
    h.identityFile,
    "-p",
    String(h.port),
    `${h.user}@${h.address}`,
  ];
}

/** Runs a shell script on a test host over ssh; never throws on a non-zero exit. */
export function sshRun(h: InventoryHost, script: string, opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  return run("ssh", [...sshArgs(h), "--", script], opts);
}

/** True when ssh to the host logs in and runs `true`. */
export async function sshReachable(h: InventoryHost): Promise<boolean> {
  const r = await run("ssh", [...sshArgs(h, 2), "--", "true"], { timeoutMs: 5000 });
  return r.exitCode === 0;
}

/** Waits (bounded) until ssh to the host works; throws with ssh's last error otherwise. */
export async function waitForSsh(h: InventoryHost, attempts = 50, delayMs = 100): Promise<void> {
  let last: RunResult | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await run("ssh", [...sshArgs(h, 2), "--", "true"], { timeoutMs: 5000 });
    if (last.exitCode === 0) return;
    await sleep(delayMs);
  }
  const detail = (last?.stderr ?? "").trim().split("\n").pop() || `exit ${last?.exitCode}`;
  throw new HostnetError(`host ${h.name} (${h.address}) does not accept ssh after ${attempts} tries: ${detail}`, 1);
}
