import { Host, HostGw, Namespace, RoutedEndpoint, ROUTED_GATEWAY, Route, Vxlan } from "hostnet";

export interface VxlanDualSite {
  readonly host: Host;
  /** The host's IPv6 address on the underlay (eth0): the VXLAN packets travel over IPv6. */
  readonly underlay6: string;
  /** This host's overlay addresses, one per family ("10.67.0.1/24", "fd00:67::1/64"), flannel.1 style. */
  readonly overlay: readonly [string, string];
  /** The blocks of this host's endpoints, one per family ("10.68.1.0/24", "fd00:68:1::/64"). */
  readonly blocks: readonly [string, string];
  /** This host's endpoint, one address per family. */
  readonly endpoint: readonly [string, string];
  /** Route the IPv4 link-local gateway out of this device (lab hosts have no default route; see routed-proxy-arp). @default none */
  readonly gatewayDev?: string;
}

/**
 * flannel's vxlan backend, dual stack over an IPv6 underlay: on each host a VXLAN
 * device (VNI 67) with an address of each family in the overlay, flooding to the
 * other hosts' IPv6 underlay addresses; a routed endpoint (/32 and /128); and
 * routes to the other hosts' blocks via their overlay addresses (HostGw over the
 * overlay). Pod-to-pod traffic of both families crosses in VXLAN over IPv6.
 */
export function vxlanDualStack(sites: readonly VxlanDualSite[]) {
  const members = sites.map((s) => {
    const vxlan = new Vxlan(s.host, "vx67", { vni: 67, local: s.underlay6, addresses: [...s.overlay] });
    const pod = new Namespace(s.host, "pod");
    const endpoint = new RoutedEndpoint(s.host, "pod-ep", { namespace: pod, address: [...s.endpoint] });
    if (s.gatewayDev) new Route(s.host, "gateway", { destination: `${ROUTED_GATEWAY}/32`, dev: s.gatewayDev });
    return { ...s, vxlan, pod, endpoint };
  });
  Vxlan.mesh(members.map((m) => m.vxlan));
  // The next hops are the overlay addresses: the routes leave through the VXLAN device.
  const gateways = HostGw.connect(
    members.map((m) => ({ host: m.host, subnet: [...m.blocks], address: m.overlay[0].split("/")[0], address6: m.overlay[1].split("/")[0] })),
  );
  return { members, gateways };
}
