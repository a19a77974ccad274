import { inNetns, ip, NEW_NETNS, netnsPath, netnsPresent } from "./common";
import { argv, shq } from "./quote";
import { Hooks, NamespaceSpec } from "./types";
import { NetnsSteps } from "./veth";

export function renderNamespace(ns: NamespaceSpec): Hooks {
  const inside = namespaceSteps(ns);
  return {
    create: [
      ...namespaceCreate(ns),
      ...inside.sysctls.map((s) => inNetns(ns.name, "sysctl", "-q", "-w", s)),
      ...inside.ip.map((w) => ip(ns.name, ...w)),
    ],
    destroy: namespaceDestroy(ns),
  };
}

/**
 * The namespace itself: added, or kept when this object's ledger entry existed
 * before the run. With `markNew`, `NEW_NETNS` says afterwards whether this run
 * added it (1) or found it (0).
 */
export function namespaceCreate(ns: NamespaceSpec, opts: { markNew?: boolean } = {}): string[] {
  const mark = (v: 0 | 1) => (opts.markNew ? `; ${NEW_NETNS}=${v}` : "");
  return [
    `if ${netnsPresent(ns.name)}; then`,
    `  [ "$hn_own" = 1 ] || hn_fail ${shq(`namespace ${ns.name} already exists and hostnet did not create it for this object; remove it (ip netns del ${ns.name}) or choose another name`)}${mark(0)}`,
    `else`,
    `  ${argv("ip", "netns", "add", ns.name)}${mark(1)}`,
    `fi`,
  ];
}

/** What is set up inside a new namespace: IPv6 on lo where it is asked for, and lo up. */
export function namespaceSteps(ns: NamespaceSpec): NetnsSteps {
  return {
    // A namespace inherits disable_ipv6=1 where the host's default has it (net.core.devconf_inherit_init_net): then lo has no ::1.
    sysctls: ns.ipv6 ? ["net.ipv6.conf.lo.disable_ipv6=0"] : [],
    ip: [["link", "set", "dev", "lo", "up"]],
  };
}

/**
 * Removes the namespace. A process left inside keeps the namespace (and its
 * links) alive after `ip netns del`, so with `killProcesses` they are stopped
 * first. They are found as `ip netns pids` finds them (a /proc/PID/ns/net that
 * is the same file as the namespace's), by the shell's own test, without a process.
 * `first` runs before all that, while the namespace is there.
 */
export function namespaceDestroy(ns: NamespaceSpec, first: string[] = []): string[] {
  const pids = `p=; for hn_p in /proc/[0-9]*; do [ ! "$hn_p/ns/net" -ef ${shq(netnsPath(ns.name))} ] || p="$p \${hn_p#/proc/}"; done`;
  return [
    `if ${netnsPresent(ns.name)}; then`,
    ...first.map((l) => `  ${l}`),
    ...(ns.killProcesses
      ? [`  ${pids}`, `  if [ -n "$p" ]; then kill $p 2>/dev/null || true; sleep 1; ${pids}; [ -z "$p" ] || kill -9 $p 2>/dev/null || true; fi`]
      : []),
    `  ${argv("ip", "netns", "del", ns.name)}`,
    `fi`,
  ];
}
