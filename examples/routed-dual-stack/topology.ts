import { Host, HostGw, Namespace, RoutedEndpoint, ROUTED_GATEWAY, Route, Subnet } from "hostnet";

export interface RoutedDualSite {
  readonly host: Host;
  /** Block of the host's endpoints, one per family ("10.63.2.0/24", "fd00:63:2::/64"). */
  readonly blocks: readonly [string, string];
  /** The host's IPv6 address on the network the hosts share: the others route its IPv6 block via it. */
  readonly address6: string;
  /** Route the IPv4 link-local gateway out of this device (lab hosts have no default route; see routed-proxy-arp). @default none */
  readonly gatewayDev?: string;
}

/**
 * Calico's dual-stack mode: each namespace holds a /32 and a /128 on a veth with no
 * bridge; its IPv4 default route goes via 169.254.1.1 (proxy ARP), its IPv6 default
 * route via fe80::1, which no interface has: the host-side veth answers the neighbour
 * solicitation for it (proxy NDP). The hosts route each other's blocks of both
 * families host-gw style, IPv6 via their IPv6 addresses.
 */
export function routedDualStack(sites: readonly RoutedDualSite[]) {
  const members = sites.map(({ host, blocks, address6, gatewayDev }) => {
    const pod = new Namespace(host, "pod");
    const pools = blocks.map((cidr, i) => new Subnet(host, `block${i === 0 ? "" : "6"}`, { cidr, gateway: false }));
    const endpoint = new RoutedEndpoint(host, "pod-ep", { namespace: pod, address: pools.map((p) => p.allocate(pod)) });
    if (gatewayDev) new Route(host, "gateway", { destination: `${ROUTED_GATEWAY}/32`, dev: gatewayDev });
    return { host, pod, pools, endpoint, address6 };
  });
  const gateways = HostGw.connect(members.map((m) => ({ host: m.host, subnet: m.pools, address6: m.address6 })));
  return { members, gateways };
}
