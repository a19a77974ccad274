import { ledgerDir } from "./common";
import { argv, shq } from "./quote";

export interface HostHookSpec {
  readonly stack: string;
  readonly host: string;
  /** Ledger ids of every object this stack keeps on the host now. */
  readonly keep: readonly string[];
  /** Commands the objects on this host need. */
  readonly commands: readonly string[];
}

/**
 * The per-host hook that runs before any object on the host. Preflight: the
 * commands exist. Sweep: every ledger entry of this stack that is not in `keep`
 * belongs to an object removed from the stack (Terraform runs no destroy
 * provisioner for a removed block), so its stored destroy script runs now.
 */
export function renderHostCreate(h: HostHookSpec): string {
  const dir = ledgerDir(h.stack);
  return [
    `# hostnet preflight and sweep on host ${h.host} (stack ${h.stack})`,
    "set -eu",
    `for c in ${h.commands.map(shq).join(" ")}; do`,
    `  command -v "$c" >/dev/null 2>&1 || { echo ${shq(`hostnet: host ${h.host} has no command`)} "$c"${shq("; install it (iproute2, iptables, procps) and deploy again")} >&2; exit 1; }`,
    `done`,
    argv("mkdir", "-p", dir),
    `keep=${shq(` ${[...h.keep].sort().join(" ")} `)}`,
    `for f in ${shq(dir)}/*.down; do`,
    `  [ -e "$f" ] || continue`,
    `  id=\${f##*/}; id=\${id%.down}`,
    `  case "$keep" in *" $id "*) ;; *) echo "hostnet: removing an object no longer in the stack: $(sed -n 1p "$f")"; sh "$f" ;; esac`,
    `done`,
  ].join("\n");
}

export function renderHostDestroy(h: { stack: string; host: string }): string {
  return [
    `# hostnet: last object of stack ${h.stack} gone from host ${h.host}`,
    "set -eu",
    `rmdir ${shq(ledgerDir(h.stack))} 2>/dev/null || true`,
  ].join("\n");
}
