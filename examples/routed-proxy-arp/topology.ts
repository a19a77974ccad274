import { Host, HostGw, Namespace, RoutedEndpoint, ROUTED_GATEWAY, Route, Subnet } from "hostnet";

export interface RoutedSite {
  readonly host: Host;
  /** Block the host's /32 endpoints come from. */
  readonly block: string;
  /**
   * Give the host a route for the link-local gateway out of this device. Proxy ARP
   * answers only for addresses the host routes through another interface; a real
   * host's default route covers 169.254.1.1, a lab host has none. @default none
   */
  readonly gatewayDev?: string;
}

/**
 * Calico style: no bridge. Each namespace holds a /32 on a veth, routes everything
 * via 169.254.1.1 (which no interface has: the host-side veth answers ARP for it
 * by proxy ARP), and the host routes the /32 back into the veth. Hosts route each
 * other's blocks host-gw style.
 */
export function routedProxyArp(sites: readonly RoutedSite[]) {
  const members = sites.map(({ host, block, gatewayDev }) => {
    const pool = new Subnet(host, "block", { cidr: block, gateway: false });
    const pod = new Namespace(host, "pod");
    const endpoint = new RoutedEndpoint(host, "pod-ep", { namespace: pod, address: pool.allocate(pod) });
    if (gatewayDev) new Route(host, "gateway", { destination: `${ROUTED_GATEWAY}/32`, dev: gatewayDev });
    return { host, pool, pod, endpoint };
  });
  const gateways = HostGw.connect(members.map((m) => ({ host: m.host, subnet: m.pool })));
  return { members, gateways };
}
