import { Bridge, Host, HostGw, Namespace, Route, Subnet, VethPair } from "hostnet";

/**
 * flannel host-gw: each host has its own subnet on a bridge with a namespace in
 * it; every host routes the other hosts' subnets via their addresses on the
 * shared network and forwards. No encapsulation: the hosts share one L2 segment.
 */
export function hostGw(hosts: ReadonlyArray<{ host: Host; cidr: string }>) {
  const sites = hosts.map(({ host, cidr }) => {
    const subnet = new Subnet(host, "pods", { cidr });
    const bridge = new Bridge(host, "br-gw", { address: subnet.gateway });
    const pod = new Namespace(host, "pod");
    const address = subnet.allocate(pod);
    new VethPair(host, "pod-veth", { a: { namespace: pod, address }, b: { bridge } });
    new Route(pod, "default", { via: subnet.gateway });
    return { host, subnet, bridge, pod, address };
  });
  const gateways = HostGw.connect(sites.map((s) => ({ host: s.host, subnet: s.subnet })));
  return { sites, gateways };
}
