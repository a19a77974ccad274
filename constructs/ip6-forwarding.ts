import type { Host } from "./host";
import type { Namespace } from "./namespace";
import { Sysctl } from "./sysctl";

/**
 * net.ipv6.conf.all.forwarding=1 where `scope` routes IPv6, restored on destroy;
 * one per place (the Sysctl with id "ip6-forward"), like ipForwarding() for IPv4.
 * Writing "all" sets every interface's forwarding, which also turns off accept_ra
 * on them: a host that takes its IPv6 default route from router advertisements
 * needs accept_ra=2 on that interface (set it outside hostnet).
 */
export function ip6Forwarding(scope: Host | Namespace): Sysctl {
  const existing = scope.node.tryFindChild("ip6-forward");
  if (existing instanceof Sysctl) return existing;
  return new Sysctl(scope, "ip6-forward", { key: "net.ipv6.conf.all.forwarding", value: "1" });
}
