/**
 * Example (docker-network-dual): Docker's network model on both families.
 * - appnet, like `docker network create --ipv6 --subnet 10.90.0.0/24 --subnet fd00:90::/64`:
 *   web (port 80 published as host port 10090, over IPv4 and IPv6) and api.
 * - mvnet, like `docker network create -d macvlan --ipv6`: namespaces mv1 and mv2
 *   on macvlan children of bridge br-mv, an IPv4 and an IPv6 address each.
 * - vm behind 1:1 NAT66: its own bridge br-vm (fd00:93::/64), known from outside
 *   as fd00:93:ff::2; host b routes that address via host a's IPv6 address.
 *   cd examples/docker-network-dual && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import { readFileSync } from "fs";
import * as path from "path";
import { Bridge, Host, HostnetStack, Macvlan, Namespace, NatRule, Network, Route, Subnet, VethPair } from "hostnet";

/** The address vm is known by from outside host a. */
export const VM_OUTSIDE6 = "fd00:93:ff::2";

export function dockerNetworkDual(scope: Construct, inventory: string): HostnetStack {
  const stack = new HostnetStack(scope, "docker-network-dual");
  const a = Host.fromInventory(stack, "a", inventory);
  const b = Host.fromInventory(stack, "b", inventory);
  const aAddress6 = (JSON.parse(readFileSync(inventory, "utf8")) as { hosts: Record<string, { address6?: string }> }).hosts.a?.address6;
  if (!aAddress6) throw new Error(`${inventory}: host "a" has no address6; docker-network-dual routes IPv6 via it (hostnet lab up writes one).`);

  const appnet = new Network(a, "appnet", { subnet: "10.90.0.0/24", subnet6: "fd00:90::/64", driver: "bridge" });
  appnet.connect(new Namespace(a, "web"), { publish: [{ hostPort: 10090, port: 80, protocol: "tcp" }] });
  appnet.connect(new Namespace(a, "api"));

  // Macvlan children of one parent reach each other inside it (mode bridge); the parent needs no address.
  const brMv = new Bridge(a, "br-mv");
  const mvnet = new Subnet(a, "mvnet", { cidr: "10.91.0.0/24" });
  const mvnet6 = new Subnet(a, "mvnet6", { cidr: "fd00:91::/64" });
  for (const name of ["mv1", "mv2"]) {
    const ns = new Namespace(a, name);
    new Macvlan(a, `${name}-mv`, { parent: brMv, namespace: ns, address: [mvnet.allocate(ns), mvnet6.allocate(ns)] });
  }

  // 1:1 NAT66: fd00:93:ff::2 outside is vm's fd00:93::2 inside, both ways.
  const vmNet = new Subnet(a, "vmnet6", { cidr: "fd00:93::/64" });
  const brVm = new Bridge(a, "br-vm", { address: vmNet.gateway });
  const vm = new Namespace(a, "vm");
  const vmAddress = vmNet.allocate(vm);
  new VethPair(a, "vm-veth", { a: { namespace: vm, address: vmAddress }, b: { bridge: brVm } });
  new Route(vm, "default6", { via: vmNet.gateway });
  NatRule.oneToOne(a, "vm-outside6", { inside: vmAddress, outside: VM_OUTSIDE6 });
  new Route(b, "to-vm6", { destination: `${VM_OUTSIDE6}/128`, via: aAddress6 });
  return stack;
}

if (require.main === module) {
  const app = new App();
  dockerNetworkDual(app, process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json"));
  app.synth();
}
