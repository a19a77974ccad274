/**
 * Example (host-gw-dual): flannel host-gw on both families. Hosts "a"
 * (10.61.0.0/24, fd00:61::/64) and "b" (10.62.0.0/24, fd00:62::/64) of an
 * inventory (HOSTNET_INVENTORY; default: the local lab's) each have a bridge with
 * a namespace on it; every host routes the other's IPv4 subnet via its IPv4
 * address and the other's IPv6 subnet via its IPv6 address (the inventory's
 * `address6`, which `hostnet lab up` gives every test host), and forwards both.
 *   cd examples/host-gw-dual && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import { readFileSync } from "fs";
import * as path from "path";
import { Bridge, Host, HostGw, HostnetStack, Namespace, Route, Subnet, VethPair } from "hostnet";

export interface DualSite {
  readonly host: Host;
  /** The host's subnets, one per family ("10.61.0.0/24", "fd00:61::/64"). */
  readonly cidrs: readonly [string, string];
  /** The host's IPv6 address on the network the hosts share: the others route its IPv6 subnet via it. */
  readonly address6: string;
}

/** Each host: two subnets, a bridge with both gateways, a namespace with an address and a default route per family; HostGw between them. */
export function hostGwDual(sites: readonly DualSite[]) {
  const built = sites.map(({ host, cidrs, address6 }) => {
    const [lan, lan6] = [new Subnet(host, "pods", { cidr: cidrs[0] }), new Subnet(host, "pods6", { cidr: cidrs[1] })];
    const bridge = new Bridge(host, "br-gw", { address: [lan.gateway!, lan6.gateway!] });
    const pod = new Namespace(host, "pod");
    new VethPair(host, "pod-veth", { a: { namespace: pod, address: [lan.allocate(pod), lan6.allocate(pod)] }, b: { bridge } });
    new Route(pod, "default", { via: lan.gateway });
    new Route(pod, "default6", { via: lan6.gateway });
    return { host, subnets: [lan, lan6], address6 };
  });
  const gateways = HostGw.connect(built.map((s) => ({ host: s.host, subnet: s.subnets, address6: s.address6 })));
  return { sites: built, gateways };
}

/** The stack on hosts a and b of an inventory file; their IPv6 addresses come from its `address6` fields. */
export function hostGwDualStack(scope: Construct, inventory: string): HostnetStack {
  const stack = new HostnetStack(scope, "host-gw-dual");
  const hosts = (JSON.parse(readFileSync(inventory, "utf8")) as { hosts: Record<string, { address6?: string }> }).hosts;
  hostGwDual(
    ["a", "b"].map((h, i) => {
      const address6 = hosts[h]?.address6;
      if (!address6) throw new Error(`${inventory}: host "${h}" has no address6; host-gw-dual routes IPv6 via it (hostnet lab up writes one).`);
      return { host: Host.fromInventory(stack, h, inventory), cidrs: [`10.6${i + 1}.0.0/24`, `fd00:6${i + 1}::/64`] as const, address6 };
    }),
  );
  return stack;
}

if (require.main === module) {
  const app = new App();
  hostGwDualStack(app, process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json"));
  app.synth();
}
