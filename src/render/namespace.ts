import { ip, netnsPresent } from "./common";
import { argv, shq } from "./quote";
import { Hooks, NamespaceSpec } from "./types";

export function renderNamespace(ns: NamespaceSpec): Hooks {
  const create = [
    `if ${netnsPresent(ns.name)}; then`,
    `  [ "$hn_own" = 1 ] || hn_fail ${shq(`namespace ${ns.name} already exists and hostnet did not create it for this object; remove it (ip netns del ${ns.name}) or choose another name`)}`,
    `else`,
    `  ${argv("ip", "netns", "add", ns.name)}`,
    `fi`,
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
