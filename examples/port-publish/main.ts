/**
 * Example (port-publish): host port 10080 on host a published to port 80 in
 * namespace web, reachable from other hosts, from a itself, and from a
 * neighbour on the same bridge through a's address (hairpin NAT).
 *   cd examples/port-publish && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import * as path from "path";
import { Bridge, Host, HostnetStack, Namespace, NatRule, Route, Subnet, VethPair } from "hostnet";

export function portPublish(scope: Construct, inventory: string): HostnetStack {
  const stack = new HostnetStack(scope, "port-publish");
  const a = Host.fromInventory(stack, "a", inventory);
  const subnet = new Subnet(a, "lan", { cidr: "10.92.0.0/24" });
  const bridge = new Bridge(a, "br-pub", { address: subnet.gateway });
  const addresses = ["web", "peer"].map((name) => {
    const ns = new Namespace(a, name);
    const address = subnet.allocate(ns);
    // Hairpin mode on web's bridge port: web reaches its own published port through a's
    // address even where br_netfilter bridges the DNATed frame back out of that port.
    new VethPair(a, `${name}-veth`, { a: { namespace: ns, address }, b: { bridge, hairpin: name === "web" } });
    new Route(ns, "default", { via: subnet.gateway });
    return address;
  });
  NatRule.masquerade(a, "masquerade", { subnet, bridge });
  // hairpin: peer (and web itself) reach the service through a's address too.
  NatRule.portForward(a, "publish-web", { hostPort: 10080, to: addresses[0], port: 80, hairpin: true });
  return stack;
}

if (require.main === module) {
  const app = new App();
  portPublish(app, process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json"));
  app.synth();
}
