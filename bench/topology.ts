/**
 * The benchmark topology: N endpoints on one host, each a namespace joined to
 * one bridge by a veth pair, with an address from the bridge's subnet and a
 * default route via the bridge; outbound masquerade for the subnet. The same
 * endpoints as the plain script and the CNI bridge plugin build.
 *
 * The constructs come in as a parameter: the bench's app loads hostnet as a
 * user's project does (the compiled package), and this file must not load a
 * second copy from the TypeScript sources.
 */
import type * as hostnet from "../constructs";

/** "objects": Namespace + VethPair + Route per endpoint, the README's shape (3 resources each); "endpoint": one Endpoint (1 resource). */
export type BenchShape = "objects" | "endpoint";

/** Subnet of the endpoints: inside the test host only, within the lab range (198.18.0.0/15). */
export const BENCH_CIDR = "198.19.0.0/16";
/** Bridge name, shared with the script and CNI runs (only one runs at a time). */
export const BENCH_BRIDGE = "hnb0";

/** Namespace name of endpoint i (1-based): the same in every way of building it. */
export function endpointName(i: number): string {
  return `ep${i}`;
}

export function benchTopology(hn: typeof hostnet, host: hostnet.Host, count: number, shape: BenchShape) {
  const subnet = new hn.Subnet(host, "lan", { cidr: BENCH_CIDR });
  const bridge = new hn.Bridge(host, BENCH_BRIDGE, { address: subnet.gateway });
  hn.NatRule.masquerade(host, "masquerade", { subnet, bridge });
  for (let i = 1; i <= count; i++) {
    const name = endpointName(i);
    if (shape === "objects") {
      const ns = new hn.Namespace(host, name);
      new hn.VethPair(host, `${name}-veth`, { a: { namespace: ns, address: subnet.allocate(ns) }, b: { bridge } });
      new hn.Route(ns, "default", { via: subnet.gateway });
    } else {
      new hn.Endpoint(host, name, { bridge, address: subnet });
    }
  }
  return { subnet, bridge };
}

/** First host port of the rules case: port forward i (1-based) listens on RULES_PORT + i - 1. */
export const RULES_PORT = 20000;
/** The service port every port forward of the rules case points at. */
export const RULES_TO_PORT = 80;

/** Where port forward i (1-based) of the rules case points: endpoint i's address in BENCH_CIDR (the gateway is .0.1). */
export function forwardTarget(i: number): string {
  const n = i + 1;
  return `198.19.${n >> 8}.${n & 255}`;
}

/**
 * The rules case: one bridge with its subnet, outbound masquerade, and `count`
 * port forwards (host ports 20000.. to port 80 of addresses in the subnet). No
 * endpoints: what it measures is the firewall backend writing and removing rules.
 */
export function benchRulesTopology(hn: typeof hostnet, host: hostnet.Host, count: number) {
  const subnet = new hn.Subnet(host, "lan", { cidr: BENCH_CIDR });
  const bridge = new hn.Bridge(host, BENCH_BRIDGE, { address: subnet.gateway });
  hn.NatRule.masquerade(host, "masquerade", { subnet, bridge });
  for (let i = 1; i <= count; i++) {
    hn.NatRule.portForward(host, `fwd${i}`, { hostPort: RULES_PORT + i - 1, to: forwardTarget(i), port: RULES_TO_PORT });
  }
  return { subnet, bridge };
}
