import { inNetns, ip, netnsPresent } from "./common";
import { argv, shq } from "./quote";
import { Hooks, NamespaceSpec } from "./types";

export function renderNamespace(ns: NamespaceSpec): Hooks {
  const create = [
    `if ${netnsPresent(ns.name)}; then`,
    `  [ "$hn_own" = 1 ] || hn_fail ${shq(`namespace ${ns.name} already exists and hostnet did not create it for this object; remove it (ip netns del ${ns.name}) or choose another name`)}`,
    `else`,
    `  ${argv("ip", "netns", "add", ns.name)}`,
    `fi`,
    // A namespace inherits disable_ipv6=1 where the host's default has it (net.core.devconf_inherit_init_net): then lo has no ::1.
    ...(ns.ipv6 ? [inNetns(ns.name, "sysctl", "-q", "-w", "net.ipv6.conf.lo.disable_ipv6=0")] : []),
    ip(ns.name, "link", "set", "dev", "lo", "up"),
  ];
  const destroy = [`if ${netnsPresent(ns.name)}; then`];
  if (ns.killProcesses) {
    // A process left inside keeps the namespace (and its links) alive after `ip netns del`.
    destroy.push(
      `  p=$(${argv("ip", "netns", "pids", ns.name)})`,
      `  if [ -n "$p" ]; then kill $p 2>/dev/null || true; sleep 1; p=$(${argv("ip", "netns", "pids", ns.name)}); [ -z "$p" ] || kill -9 $p 2>/dev/null || true; fi`,
    );
  }
  destroy.push(`  ${argv("ip", "netns", "del", ns.name)}`, `fi`);
  return { create, destroy };
}
