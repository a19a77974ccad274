import { Host, Namespace, Subnet, VethPair } from "hostnet";

/**
 * Two namespaces joined by one veth pair, no bridge: the smallest network.
 * Each end is eth0 in its namespace with an address from 10.64.0.0/24.
 */
export function twoNamespaces(host: Host) {
  const link = new Subnet(host, "link", { cidr: "10.64.0.0/24", gateway: false });
  const left = new Namespace(host, "left");
  const right = new Namespace(host, "right");
  const leftAddress = link.allocate(left);
  const rightAddress = link.allocate(right);
  const veth = new VethPair(host, "cable", { a: { namespace: left, address: leftAddress }, b: { namespace: right, address: rightAddress } });
  return { link, left, right, leftAddress, rightAddress, veth };
}
