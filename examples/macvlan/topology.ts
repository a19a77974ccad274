import { Bridge, Host, Macvlan, Namespace, Subnet } from "hostnet";

/**
 * Two namespaces with macvlan children (mode bridge) of one parent. The parent
 * here is a bridge with no ports and no address, a stand-in for a NIC: macvlan
 * children in bridge mode reach each other inside the parent, never through it.
 * On a real host the parent would be the NIC ("eth0").
 */
export function macvlanPair(host: Host) {
  const lan = new Subnet(host, "lan", { cidr: "10.69.0.0/24", gateway: false });
  const parent = new Bridge(host, "mv-parent");
  const members = ["m1", "m2"].map((name) => {
    const ns = new Namespace(host, name);
    const address = lan.allocate(ns);
    const link = new Macvlan(host, `${name}-mv`, { parent, namespace: ns, address });
    return { ns, address, link };
  });
  return { lan, parent, members };
}
