/**
 * Example (docker-network-dual): Docker's network model on both families.
 * - appnet, like `docker network create --ipv6 --subnet 10.90.0.0/24 --subnet fd00:90::/64`:
 *   web (port 80 published as host port 10090, over IPv4 and IPv6) and api.
 * - api also has a public IPv6 address, fd00:90:ff::3, by 1:1 NAT66 (a floating IP): reached
 *   there from outside, and leaving from there rather than masqueraded like the rest of appnet.
 *   Host b routes that address via host a's IPv6 address.
 * - mvnet, like `docker network create -d macvlan --ipv6`: namespaces mv1 and mv2
 *   on macvlan children of bridge br-mv, an IPv4 and an IPv6 address each.
 *   cd examples/docker-network-dual && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import { readFileSync } from "fs";
import * as path from "path";
import { Bridge, Host, HostnetStack, Macvlan, Namespace, NatRule, Network, Route, Subnet } from "hostnet";

/** api's public IPv6 address (1:1 NAT66). */
export const API_OUTSIDE6 = "fd00:90:ff::3";

export function dockerNetworkDual(scope: Construct, inventory: string): HostnetStack {
  const stack = new HostnetStack(scope, "docker-network-dual");
  const a = Host.fromInventory(stack, "a", inventory);
  const b = Host.fromInventory(stack, "b", inventory);
  const aAddress6 = (JSON.parse(readFileSync(inventory, "utf8")) as { hosts: Record<string, { address6?: string }> }).hosts.a?.address6;
  if (!aAddress6) throw new Error(`${inventory}: host "a" has no address6; docker-network-dual routes IPv6 via it (hostnet lab up writes one).`);

  const appnet = new Network(a, "appnet", { subnet: "10.90.0.0/24", subnet6: "fd00:90::/64", driver: "bridge" });
  appnet.connect(new Namespace(a, "web"), { publish: [{ hostPort: 10090, port: 80, protocol: "tcp" }] });
  const api = appnet.connect(new Namespace(a, "api"));
  // 1:1 NAT66 for one endpoint of the masqueraded network: its SNAT goes before the masquerade.
  NatRule.oneToOne(a, "api-outside6", { inside: api.address6!, outside: API_OUTSIDE6 });
  new Route(b, "to-api6", { destination: `${API_OUTSIDE6}/128`, via: aAddress6 });

  // Macvlan children of one parent reach each other inside it (mode bridge); the parent needs no address.
  const brMv = new Bridge(a, "br-mv");
  const mvnet = new Subnet(a, "mvnet", { cidr: "10.91.0.0/24" });
  const mvnet6 = new Subnet(a, "mvnet6", { cidr: "fd00:91::/64" });
  for (const name of ["mv1", "mv2"]) {
    const ns = new Namespace(a, name);
    new Macvlan(a, `${name}-mv`, { parent: brMv, namespace: ns, address: [mvnet.allocate(ns), mvnet6.allocate(ns)] });
  }

  return stack;
}

if (require.main === module) {
  const app = new App();
  dockerNetworkDual(app, process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json"));
  app.synth();
}
