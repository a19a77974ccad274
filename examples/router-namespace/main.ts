/**
 * Example (router namespace): a router namespace on host a with an inside leg
 * on a private bridge and an outside leg on the host's external bridge,
 * forwarding on, and 1:1 NAT between the inside address of namespace vm and an
 * outside address. Host b routes the outside network via host a, so it is an
 * outside client.
 *   cd examples/router-namespace && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import * as path from "path";
import { Bridge, Host, HostnetStack, Namespace, NatRule, Route, Subnet, Sysctl, VethPair } from "hostnet";

/** The outside address the inside service is known by. */
export const FLOATING_IP = "198.19.51.103";
export const INSIDE_CIDR = "10.95.1.0/24";
export const OUTSIDE_CIDR = "198.19.51.0/24";

export function routerNamespace(scope: Construct, inventory: string): HostnetStack {
  const stack = new HostnetStack(scope, "router-namespace");
  const a = Host.fromInventory(stack, "a", inventory);
  const b = Host.fromInventory(stack, "b", inventory);

  // The host's external side (br-ex, 16.158.1.0/24): the host is its gateway.
  const outside = new Subnet(a, "outside", { cidr: OUTSIDE_CIDR });
  const brEx = new Bridge(a, "br-ex", { address: outside.gateway });
  // The private side (br0): no address on the host, only the router reaches it.
  const inside = new Subnet(a, "inside", { cidr: INSIDE_CIDR });
  const brIn = new Bridge(a, "br-in");

  const router = new Namespace(a, "router");
  new Sysctl(router, "ip-forward", { key: "net.ipv4.ip_forward", value: "1" });
  new VethPair(a, "router-in", { a: { namespace: router, name: "in0", address: inside.gateway }, b: { bridge: brIn } });
  const routerOut = outside.address("198.19.51.100", "router outside leg");
  new VethPair(a, "router-ex", { a: { namespace: router, name: "ex0", address: routerOut }, b: { bridge: brEx } });
  new Route(router, "default", { via: outside.gateway });

  const vm = new Namespace(a, "vm");
  const vmAddress = inside.address("10.95.1.3", vm);
  new VethPair(a, "vm-veth", { a: { namespace: vm, address: vmAddress }, b: { bridge: brIn } });
  new Route(vm, "default", { via: inside.gateway });

  // DNAT -d 198.19.51.103 -> 10.95.1.3 and SNAT -s 10.95.1.3 -> 198.19.51.103, in the router's tables.
  NatRule.oneToOne(router, "vm-floating-ip", { inside: vmAddress, outside: FLOATING_IP });
  // The floating address is not on any interface: the host routes it to the router's outside leg.
  new Route(a, "floating-ip", { destination: `${FLOATING_IP}/32`, via: routerOut, dev: brEx });
  a.enableForwarding();
  // Host b is outside: it reaches the outside network through host a.
  new Route(b, "to-outside", { destination: OUTSIDE_CIDR, via: a.target.address });
  return stack;
}

if (require.main === module) {
  const app = new App();
  routerNamespace(app, process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json"));
  app.synth();
}
