import { Construct } from "constructs";
import { deriveName } from "../src/plan/names";
import { Protocol } from "../src/render/types";
import { printable } from "../src/validate/names";
import { Bridge } from "./bridge";
import type { Host } from "./host";
import { Namespace } from "./namespace";
import { addProblems } from "./problems";
import { hostFor, otherHostProblems } from "./same-host";
import { NatRule } from "./nat-rule";
import { Route } from "./route";
import { Address, Subnet } from "./subnet";
import { VethPair } from "./veth-pair";
import { ConstructError } from "../src/errors";

/** The network drivers hostnet implements. */
export type NetworkDriver = "bridge";

export interface NetworkProps {
  /** The network's subnet; endpoints get addresses from it (IPAM), e.g. "10.89.0.0/24". */
  readonly subnet: string;
  /** How endpoints are joined: "bridge" is a Linux bridge with the gateway address and a veth per endpoint. @default "bridge" */
  readonly driver?: NetworkDriver;
  /** Gateway address, given to the bridge. @default the subnet's first usable address */
  readonly gateway?: string;
  /**
   * An IPv6 subnet beside `subnet` for a dual-stack network (`docker network create --ipv6 --subnet fd00:89::/64`):
   * the bridge gets its gateway too, every endpoint an address from it and an IPv6 default route,
   * masquerade and published ports go through ip6tables as well. @default none (IPv4 only)
   */
  readonly subnet6?: string;
  /** Gateway address of `subnet6`. @default the IPv6 subnet's ::1 */
  readonly gateway6?: string;
  /** Bridge interface name. @default "br-" plus the construct id, shortened with a hash when too long */
  readonly bridgeName?: string;
  /** MTU of the bridge and the endpoints' veths. @default 1500 */
  readonly mtu?: number;
  /** Masquerade traffic that leaves the network through another interface (Docker's `! -o docker0`). @default true */
  readonly masquerade?: boolean;
}

/** A port published on the host for an endpoint (`-p hostPort:port`). */
export interface PublishedPort {
  /** Port on the host's addresses. */
  readonly hostPort: number;
  /** Port of the service in the namespace. @default hostPort */
  readonly port?: number;
  /** @default "tcp" */
  readonly protocol?: Protocol;
  /** Only on this host address. @default every address of the host */
  readonly hostAddress?: string;
}

export interface ConnectOptions {
  /**
   * Ports to publish on the host: DNAT, with hairpin NAT so the network's own
   * endpoints reach them through the host's address too (and hairpin mode on the
   * endpoint's bridge port, so it reaches its own). @default none
   */
  readonly publish?: readonly PublishedPort[];
  /** Address in the network's subnet. @default the next free one */
  readonly address?: string;
  /** Address in the network's IPv6 subnet (`subnet6`). @default the next free one */
  readonly address6?: string;
  /** Interface name inside the namespace. @default "eth0" */
  readonly interfaceName?: string;
  /** Add a default route via the gateway in the namespace (turn off for a namespace's second network). @default true */
  readonly defaultRoute?: boolean;
}

/** A namespace's attachment to a network. */
export interface NetworkEndpoint {
  readonly namespace: Namespace;
  readonly address: Address;
  /** Its address in the IPv6 subnet, on a dual-stack network. */
  readonly address6?: Address;
  /** The cable: `veth.a` in the namespace, `veth.b` a port of the network's bridge. */
  readonly veth: VethPair;
  readonly route?: Route;
  /** The IPv6 default route, on a dual-stack network. */
  readonly route6?: Route;
  readonly published: readonly NatRule[];
}

/**
 * A Docker-style network on one host (Docker's network / endpoint / driver / IPAM
 * model): a bridge with the gateway address, IPAM over the subnet, and outbound
 * masquerade. `connect(namespace)` adds an endpoint: a veth pair (eth0 in the
 * namespace, the other end on the bridge), an address from the subnet, a default
 * route via the gateway, and DNAT for published ports. Removing the network from
 * the stack (or destroying it) removes every piece.
 *
 * @example
 * ```ts
 * const net = new Network(host, "app", { subnet: "10.80.0.0/24" }); // like docker network create
 * const web = new Namespace(host, "web");
 * net.connect(web, { publish: [{ hostPort: 10080, port: 80 }] });  // like docker run -p 10080:80
 * ```
 */
export class Network extends Construct {
  readonly host: Host;
  readonly driver: NetworkDriver;
  readonly subnet: Subnet;
  /** The IPv6 subnet of a dual-stack network. */
  readonly subnet6?: Subnet;
  readonly bridge: Bridge;
  readonly masquerade?: NatRule;
  /** IPv6 masquerade (ip6tables) of a dual-stack network. */
  readonly masquerade6?: NatRule;
  readonly mtu: number;
  private readonly eps: NetworkEndpoint[] = [];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    const host = hostFor(scope, id, "Network");
    super(scope, id);
    this.host = host;
    this.driver = props.driver ?? "bridge";
    this.mtu = props.mtu ?? 1500;
    this.subnet = new Subnet(this, "subnet", { cidr: props.subnet, ...(props.gateway !== undefined ? { gateway: props.gateway } : {}) });
    if (props.subnet6 !== undefined)
      this.subnet6 = new Subnet(this, "subnet6", { cidr: props.subnet6, ...(props.gateway6 !== undefined ? { gateway: props.gateway6 } : {}) });
    const gateways = [this.subnet.gateway, this.subnet6?.gateway].filter((g): g is Address => g !== undefined);
    this.bridge = new Bridge(this, "bridge", {
      name: props.bridgeName ?? deriveName(id, this.node.path, 15, "br-"),
      address: gateways.length > 1 ? gateways : gateways[0],
      mtu: this.mtu,
    });
    if (props.masquerade ?? true) {
      this.masquerade = NatRule.masquerade(this, "masquerade", { subnet: this.subnet, bridge: this.bridge });
      if (this.subnet6) this.masquerade6 = NatRule.masquerade(this, "masquerade6", { subnet: this.subnet6, bridge: this.bridge });
    }
    addProblems(this, () => this.validate());
  }

  /** Every endpoint, in the order they were connected. */
  get endpoints(): readonly NetworkEndpoint[] {
    return this.eps;
  }

  /** The gateway address (the bridge's). */
  get gateway(): Address | undefined {
    return this.subnet.gateway;
  }

  /** Attach a namespace: veth (eth0 inside), address, default route, published ports. */
  connect(namespace: Namespace, opts: ConnectOptions = {}): NetworkEndpoint {
    if (this.eps.some((e) => e.namespace === namespace)) {
      throw new ConstructError(`namespace ${namespace.node.path} is already connected to this network; connect it once.`, this);
    }
    const id = namespace.node.id;
    const address = opts.address !== undefined ? this.subnet.address(opts.address, namespace) : this.subnet.allocate(namespace);
    const s6 = this.subnet6;
    const address6 = s6 && (opts.address6 !== undefined ? s6.address(opts.address6, namespace) : s6.allocate(namespace));
    const vethPath = `${this.node.path}/${id}`;
    const publish = opts.publish ?? [];
    const veth = new VethPair(this, id, {
      a: { namespace, address: address6 ? [address, address6] : address, name: opts.interfaceName ?? "eth0" },
      // Hairpin on a publishing endpoint's port: it can reach its own published port through
      // the host's address even where br_netfilter bridges the DNATed frame back out of that port.
      b: { bridge: this.bridge, name: deriveName(`${this.node.id}-${id}`, vethPath, 15, "ve-"), hairpin: publish.length > 0 },
      mtu: this.mtu,
    });
    const gateway = this.subnet.gateway;
    const route = (opts.defaultRoute ?? true) && gateway ? new Route(this, `${id}-default`, { namespace, via: gateway }) : undefined;
    const gateway6 = s6?.gateway;
    const route6 = (opts.defaultRoute ?? true) && gateway6 ? new Route(this, `${id}-default6`, { namespace, via: gateway6 }) : undefined;
    // Docker publishes a port on both families of a dual-stack network; a hostAddress picks one.
    const published = publish.flatMap((p) => {
      const hostFamily = p.hostAddress === undefined ? undefined : p.hostAddress.includes(":") ? 6 : 4;
      const targets = [
        ...(hostFamily !== 6 ? [{ to: address, suffix: "" }] : []),
        ...(address6 && hostFamily !== 4 ? [{ to: address6, suffix: "-6" }] : []),
      ];
      // An IPv6 hostAddress on an IPv4-only network: the IPv4 rule, whose check names the mismatch.
      return (targets.length ? targets : [{ to: address, suffix: "" }]).map(({ to, suffix }) =>
        NatRule.portForward(this, `${id}-${p.protocol ?? "tcp"}-${p.hostPort}${suffix}`, {
          hostPort: p.hostPort,
          to,
          port: p.port,
          protocol: p.protocol,
          hostAddress: p.hostAddress,
          hairpin: true,
        }),
      );
    });
    const ep: NetworkEndpoint = { namespace, address, ...(address6 ? { address6 } : {}), veth, route, ...(route6 ? { route6 } : {}), published };
    this.eps.push(ep);
    return ep;
  }

  private validate(): string[] {
    const errs: string[] = [];
    if (this.driver !== "bridge") errs.push(`driver "${printable(String(this.driver))}" is not supported; use "bridge".`);
    if (this.subnet6 && this.subnet6.family !== 6)
      errs.push(
        `subnet6 ${this.subnet6.cidr} is not an IPv6 subnet. Set props.subnet6 to one such as fd00:89::/64, or drop it for an IPv4-only network.`,
      );
    if (this.subnet6 && this.subnet.family === 6)
      errs.push(
        `subnet ${this.subnet.cidr} and subnet6 are both IPv6; a dual-stack network has one subnet per family. Set props.subnet to an IPv4 subnet.`,
      );
    errs.push(
      ...otherHostProblems(
        this.host,
        "Network",
        this.eps.map((e) => [`connect()'s namespace`, e.namespace] as const),
      ),
    );
    return errs;
  }
}
