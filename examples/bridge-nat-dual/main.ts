/**
 * Example (bridge-nat-dual): the bridge-nat foundation on both families. A
 * bridge with 10.88.0.1/24 and fd00:88::1/64 on host a, namespaces web and db
 * with an address from each subnet and a default route per family, outbound
 * masquerade through iptables and ip6tables (NAT66), and host port 10080
 * published to port 80 in web over IPv4 and IPv6.
 *   cd examples/bridge-nat-dual && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import * as path from "path";
import { Bridge, Host, HostnetStack, Namespace, NatRule, Route, Subnet, VethPair } from "hostnet";

export function bridgeNatDual(scope: Construct, inventory: string): HostnetStack {
  const stack = new HostnetStack(scope, "bridge-nat-dual");
  const a = Host.fromInventory(stack, "a", inventory);
  const lan = new Subnet(a, "lan", { cidr: "10.88.0.0/24" });
  const lan6 = new Subnet(a, "lan6", { cidr: "fd00:88::/64" });
  const bridge = new Bridge(a, "br-lan", { address: [lan.gateway!, lan6.gateway!] });
  const [web] = ["web", "db"].map((name) => {
    const ns = new Namespace(a, name);
    const address = [lan.allocate(ns), lan6.allocate(ns)];
    new VethPair(a, `${name}-veth`, { a: { namespace: ns, address }, b: { bridge } });
    new Route(ns, "default", { via: lan.gateway });
    new Route(ns, "default6", { via: lan6.gateway });
    return address;
  });
  NatRule.masquerade(a, "masquerade", { subnet: lan, bridge });
  NatRule.masquerade(a, "masquerade6", { subnet: lan6, bridge });
  NatRule.portForward(a, "publish-web", { hostPort: 10080, to: web[0], port: 80 });
  NatRule.portForward(a, "publish-web6", { hostPort: 10080, to: web[1], port: 80 });
  return stack;
}

if (require.main === module) {
  const app = new App();
  bridgeNatDual(app, process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json"));
  app.synth();
}
