import { Bridge, Host, Namespace, Route, Subnet, VethPair } from "hostnet";

/**
 * A bridge without an address joining N namespaces and, through a route, the
 * host: every namespace has `default dev eth0`, the host routes the
 * subnet to the bridge and answers ARP for its own address on it.
 */
export function bridgeHosts(host: Host, count = 3) {
  const lan = new Subnet(host, "lan", { cidr: "10.65.0.0/24", gateway: false });
  const bridge = new Bridge(host, "br-hosts");
  const endpoints = Array.from({ length: count }, (_, i) => {
    const ns = new Namespace(host, `n${i + 1}`);
    const address = lan.allocate(ns);
    const veth = new VethPair(host, `n${i + 1}-veth`, { a: { namespace: ns, address }, b: { bridge } });
    new Route(ns, "default", { dev: "eth0" });
    return { ns, address, veth };
  });
  const hostRoute = new Route(host, "to-lan", { destination: lan.cidr, dev: bridge });
  return { lan, bridge, endpoints, hostRoute };
}
