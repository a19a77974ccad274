/**
 * Example (port-publish-dual): port-publish on both families. Host port 10080
 * on host a is published to port 80 in namespace web over IPv4 (iptables) and
 * IPv6 (ip6tables, DNAT to [fd00:92::2]:80): reachable from other hosts, from
 * a itself, and from a neighbour on the same bridge through a's address
 * (hairpin NAT), in either family.
 *   cd examples/port-publish-dual && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import * as path from "path";
import { Bridge, Host, HostnetStack, Namespace, NatRule, Route, Subnet, VethPair } from "hostnet";

export function portPublishDual(scope: Construct, inventory: string): HostnetStack {
  const stack = new HostnetStack(scope, "port-publish-dual");
  const a = Host.fromInventory(stack, "a", inventory);
  const lan = new Subnet(a, "lan", { cidr: "10.92.0.0/24" });
  const lan6 = new Subnet(a, "lan6", { cidr: "fd00:92::/64" });
  const bridge = new Bridge(a, "br-pub", { address: [lan.gateway!, lan6.gateway!] });
  const [web] = ["web", "peer"].map((name) => {
    const ns = new Namespace(a, name);
    const address = [lan.allocate(ns), lan6.allocate(ns)];
    new VethPair(a, `${name}-veth`, { a: { namespace: ns, address }, b: { bridge, hairpin: name === "web" } });
    new Route(ns, "default", { via: lan.gateway });
    new Route(ns, "default6", { via: lan6.gateway });
    return address;
  });
  NatRule.masquerade(a, "masquerade", { subnet: lan, bridge });
  NatRule.masquerade(a, "masquerade6", { subnet: lan6, bridge });
  NatRule.portForward(a, "publish-web", { hostPort: 10080, to: web[0], port: 80, hairpin: true });
  NatRule.portForward(a, "publish-web6", { hostPort: 10080, to: web[1], port: 80, hairpin: true });
  return stack;
}

if (require.main === module) {
  const app = new App();
  portPublishDual(app, process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json"));
  app.synth();
}
