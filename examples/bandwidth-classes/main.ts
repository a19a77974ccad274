/**
 * Example (tc classes): namespaces alice, bob and carol
 * send to a server namespace over a bridge; the server's bridge port shapes
 * what it sends towards the server with htb: alice 20 Mbit/s (class 10), bob
 * 10 Mbit/s (class 11), everyone else 30 Mbit/s (default class 30).
 *   cd examples/bandwidth-classes && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import * as path from "path";
import { BandwidthLimit, Bridge, Host, HostnetStack, Namespace, Subnet, VethPair } from "hostnet";

export const RATES = { alice: 20e6, bob: 10e6, carol: 30e6 };

export function bandwidthClasses(scope: Construct, inventory: string): HostnetStack {
  const stack = new HostnetStack(scope, "bandwidth-classes");
  const a = Host.fromInventory(stack, "a", inventory);
  const subnet = new Subnet(a, "lan", { cidr: "10.93.0.0/24" });
  const bridge = new Bridge(a, "br-bw", { address: subnet.gateway });
  const join = (name: string) => {
    const ns = new Namespace(a, name);
    const address = subnet.allocate(ns);
    const veth = new VethPair(a, `${name}-veth`, { a: { namespace: ns, address }, b: { bridge } });
    return { ns, address, veth };
  };
  const server = join("server");
  const alice = join("alice");
  const bob = join("bob");
  join("carol");
  // Egress of the bridge port is the traffic going into the server namespace.
  new BandwidthLimit(a, "server-ingress", {
    interface: server.veth.b,
    classes: [
      { id: 10, rate: "20mbit", match: { src: alice.address } },
      { id: 11, rate: "10mbit", match: { src: bob.address } },
      { id: 30, rate: "30mbit" },
    ],
    defaultClass: 30,
  });
  return stack;
}

if (require.main === module) {
  const app = new App();
  bandwidthClasses(app, process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json"));
  app.synth();
}
