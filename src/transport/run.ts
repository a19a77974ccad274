/**
 * Run a script on a host from the CLI (check, gc) through the very same
 * transport the Terraform hooks use: HOOK_COMMAND with the host's environment.
 */
import execa from "execa";
import { HOOK_COMMAND } from "./ssh";

export interface HostRef {
  readonly address: string;
  readonly port: number;
  readonly environment: Record<string, string>;
}

export interface HostRunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export async function runOnHost(host: HostRef, script: string, what: { op: string; path: string }): Promise<HostRunResult> {
  const r = await execa("/bin/sh", ["-c", HOOK_COMMAND], {
    reject: false,
    env: { ...host.environment, HN_ADDRESS: host.address, HN_PORT: String(host.port), HN_SCRIPT: script, HN_OP: what.op, HN_PATH: what.path },
    timeout: 120_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
}
