/**
 * How `hostnet inspect` reaches a host: the same transport as the hooks, check
 * and gc (src/transport/run.ts runOnHost), so it gets the same pinned host keys
 * (never trust-on-first-use), the shared connection and the jump host. The
 * probe goes on ssh's stdin (`sh -s`), so nothing from it is spliced into a
 * command line. No hook lock: inspect only reads.
 */
import { HostnetError } from "../errors";
import { HostRef, runOnHost } from "../transport/run";
import { hostPort, SshTarget, sshEnvironment } from "../transport/ssh";
import { INSPECT_SCRIPT } from "./probe";

/** What runOnHost needs to reach `t`: its address and port, and the transport's environment. */
export function inspectRef(t: SshTarget): HostRef {
  return { address: t.address, port: t.port, environment: sshEnvironment(t) };
}

/** Runs the probe on host `name`; its raw output. */
export async function runProbe(name: string, t: SshTarget): Promise<string> {
  const r = await runOnHost(inspectRef(t), INSPECT_SCRIPT, { op: "inspect", path: name });
  if (r.exitCode !== 0) {
    // ssh's own reason, else the host's last line before the transport's summary.
    const lines = r.stderr
      .trim()
      .split("\n")
      .filter((l) => l.trim() !== "");
    const detail = r.sshFailure ?? (lines.length > 1 ? lines[lines.length - 2] : undefined) ?? `exit ${r.exitCode}`;
    throw new HostnetError(
      `cannot inspect host ${name} (${t.user}@${hostPort(t.address, t.port)}) over ssh: ${detail}. ` +
        `Check that it is up ("hostnet lab status" for a lab) and that the inventory's key is authorized there.`,
      1,
    );
  }
  return r.stdout;
}
