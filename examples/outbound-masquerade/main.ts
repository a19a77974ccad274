/**
 * Example (outbound-masquerade): a namespace on host a reaches host b; b sees a's address
 * as the source, because the namespace's subnet is masqueraded on its way out.
 *   cd examples/outbound-masquerade && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import * as path from "path";
import { Bridge, Host, HostnetStack, Namespace, NatRule, Route, Subnet, VethPair } from "hostnet";

export function outboundMasquerade(scope: Construct, inventory: string): HostnetStack {
  const stack = new HostnetStack(scope, "outbound-masquerade");
  const a = Host.fromInventory(stack, "a", inventory);
  const subnet = new Subnet(a, "lan", { cidr: "10.91.0.0/24" });
  const bridge = new Bridge(a, "br-out", { address: subnet.gateway });
  const client = new Namespace(a, "client");
  new VethPair(a, "client-veth", { a: { namespace: client, address: subnet.allocate(client) }, b: { bridge } });
  new Route(client, "default", { via: subnet.gateway });
  // -s 10.91.0.0/24 ! -o br-out -j MASQUERADE: everything that leaves the bridge's subnet.
  NatRule.masquerade(a, "masquerade", { subnet, bridge });
  return stack;
}

if (require.main === module) {
  const app = new App();
  outboundMasquerade(app, process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json"));
  app.synth();
}
