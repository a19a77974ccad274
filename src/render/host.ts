import { ledgerDir, LOCK_FILES } from "./common";
import { Flow } from "./firewall";
import { firewallNote, FirewallChoice, renderFirewallDecision } from "./nft";
import { renderPreflight } from "./preflight";
import { argv, commentSafe, shq } from "./quote";

export interface HostHookSpec {
  readonly stack: string;
  readonly host: string;
  /** Ledger ids of every object this stack keeps on the host now. */
  readonly keep: readonly string[];
  /** Commands the objects on this host need. */
  readonly commands: readonly string[];
  /** Kernel modules the objects need (NetObject.requiredModules()). */
  readonly modules?: readonly string[];
  /** Bridges in the root namespace, for the bridge-nf-call-iptables check. */
  readonly bridges?: readonly string[];
  /** What the stack forwards through the root namespace, for the firewall check. */
  readonly flows?: readonly Flow[];
  /** The host's firewall backend, when it has objects that write rules (`auto` is decided and recorded here). */
  readonly firewall?: FirewallChoice;
}

/**
 * The host's first hook, keyed only by what the objects need (commands,
 * kernel modules, bridges, flows), so adding one more object of a kind already
 * on the host leaves it as it is. Preflight (src/render/preflight.ts):
 * commands, kernel modules, the br_netfilter pitfall; with `firewall: "auto"`
 * it also decides the host's backend once and records it in the ledger directory.
 */
export function renderHostPreflight(h: Omit<HostHookSpec, "keep">): string {
  return [`# hostnet preflight on host ${commentSafe(h.host)} (stack ${commentSafe(h.stack)})`, "set -eu", ...preflightLines(h)].join("\n");
}

/**
 * The host's second hook, after the preflight and before every object: every
 * ledger entry of this stack that is not in `keep` belongs to an object
 * removed from the stack (Terraform runs no destroy provisioner for a removed
 * block), so its stored destroy script runs now, before an object that takes
 * its name is created. Its own resource, keyed by the keep list: adding an
 * object replaces this hook (a few lines) and leaves the preflight alone.
 * A `.down.tmp` file is an entry whose write never finished: it is removed unread.
 */
export function renderHostSweep(h: Pick<HostHookSpec, "stack" | "host" | "keep">): string {
  return [`# hostnet sweep on host ${commentSafe(h.host)} (stack ${commentSafe(h.stack)})`, "set -eu", ...sweepLines(h)].join("\n");
}

/** Preflight and sweep in one script: what the two hooks do, in their order (tests run it as one). */
export function renderHostCreate(h: HostHookSpec): string {
  return [
    `# hostnet preflight and sweep on host ${commentSafe(h.host)} (stack ${commentSafe(h.stack)})`,
    "set -eu",
    ...preflightLines(h),
    ...sweepLines(h),
  ].join("\n");
}

function preflightLines(h: Omit<HostHookSpec, "keep">): string[] {
  return [
    ...renderPreflight({
      host: h.host,
      commands: h.commands,
      modules: h.modules ?? [],
      requireForwarding: false,
      bridges: h.bridges ?? [],
      flows: h.flows ?? [],
      ...(h.firewall ? { backend: { firewall: h.firewall, stack: h.stack } } : {}),
    }),
    ...(h.firewall === "auto" ? [argv("mkdir", "-p", ledgerDir(h.stack)), ...renderFirewallDecision(h.stack, h.host)] : []),
  ];
}

function sweepLines(h: Pick<HostHookSpec, "stack" | "keep">): string[] {
  const dir = ledgerDir(h.stack);
  return [
    argv("mkdir", "-p", dir),
    // A ledger entry whose write never finished (the create stopped, or /run was full) is incomplete: never run it.
    // No hook of this stack runs beside this one (the hook lock; every object waits for this hook).
    `rm -f ${shq(dir)}/*.down.tmp`,
    `keep=${shq(` ${[...h.keep].sort().join(" ")} `)}`,
    `for f in ${shq(dir)}/*.down; do`,
    `  [ -e "$f" ] || continue`,
    `  id=\${f##*/}; id=\${id%.down}`,
    `  case "$keep" in *" $id "*) ;; *) echo "hostnet: removing an object no longer in the stack: $(sed -n 1p "$f")"; sh "$f" ;; esac`,
    `done`,
  ];
}

export function renderHostDestroy(h: { stack: string; host: string; firewall?: FirewallChoice }): string {
  return [
    `# hostnet: last object of stack ${commentSafe(h.stack)} gone from host ${commentSafe(h.host)}`,
    "set -eu",
    // This hook also runs when the preflight is replaced (the objects need
    // another command or module) while objects stay: then ledger entries
    // remain, and so does the hook lock (src/transport/hook-lock.ts) of the apply in progress.
    `set -- ${shq(ledgerDir(h.stack))}/*.down`,
    `if [ ! -e "$1" ]; then`,
    `  rm -f ${shq(ledgerDir(h.stack))}/*.down.tmp ${argv(...LOCK_FILES.map((f) => `${ledgerDir(h.stack)}/${f}`))}`,
    ...(h.firewall === "auto" ? [`  rm -f ${shq(firewallNote(h.stack))}`] : []),
    `  rmdir ${shq(ledgerDir(h.stack))} 2>/dev/null || true`,
    `fi`,
  ].join("\n");
}
