import { Bridge, Host, Namespace, NatRule, Route, Subnet, VethPair } from "hostnet";

export interface LabTopologyOptions {
  /** Subnet of the bridge. @default "10.88.0.0/24" */
  readonly cidr?: string;
  /** Namespaces to attach. @default ["web", "db", "cache"] */
  readonly namespaces?: readonly string[];
  /** Host port published to port 80 of the first namespace. @default 10080 */
  readonly hostPort?: number;
}

/**
 * The foundation topology: a bridge with the subnet's gateway address, one
 * namespace per name joined to it by a veth pair with an address from the
 * subnet and a default route via the bridge, outbound masquerade for the
 * subnet, and a port forward from the host to a service in the first namespace.
 */
export function labTopology(host: Host, opts: LabTopologyOptions = {}) {
  const subnet = new Subnet(host, "lan", { cidr: opts.cidr ?? "10.88.0.0/24" });
  const bridge = new Bridge(host, "br-lan", { address: subnet.gateway });
  const endpoints = (opts.namespaces ?? ["web", "db", "cache"]).map((name) => {
    const ns = new Namespace(host, name);
    const address = subnet.allocate(ns);
    const veth = new VethPair(host, `${name}-veth`, {
      a: { namespace: ns, address },
      b: { bridge },
    });
    new Route(ns, "default", { via: subnet.gateway });
    return { ns, address, veth };
  });
  const masquerade = NatRule.masquerade(host, "masquerade", { subnet, bridge });
  const publish = NatRule.portForward(host, "publish-web", { hostPort: opts.hostPort ?? 10080, to: endpoints[0].address, port: 80 });
  return { subnet, bridge, endpoints, masquerade, publish };
}
