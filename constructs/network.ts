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
  /** Interface name inside the namespace. @default "eth0" */
  readonly interfaceName?: string;
  /** Add a default route via the gateway in the namespace (turn off for a namespace's second network). @default true */
  readonly defaultRoute?: boolean;
}

/** A namespace's attachment to a network. */
export interface NetworkEndpoint {
  readonly namespace: Namespace;
  readonly address: Address;
  /** The cable: `veth.a` in the namespace, `veth.b` a port of the network's bridge. */
  readonly veth: VethPair;
  readonly route?: Route;
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
  readonly bridge: Bridge;
  readonly masquerade?: NatRule;
  readonly mtu: number;
  private readonly eps: NetworkEndpoint[] = [];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    const host = hostFor(scope, id, "Network");
    super(scope, id);
    this.host = host;
    this.driver = props.driver ?? "bridge";
    this.mtu = props.mtu ?? 1500;
    this.subnet = new Subnet(this, "subnet", { cidr: props.subnet, ...(props.gateway !== undefined ? { gateway: props.gateway } : {}) });
    this.bridge = new Bridge(this, "bridge", {
      name: props.bridgeName ?? deriveName(id, this.node.path, 15, "br-"),
      address: this.subnet.gateway,
      mtu: this.mtu,
    });
    if (props.masquerade ?? true) this.masquerade = NatRule.masquerade(this, "masquerade", { subnet: this.subnet, bridge: this.bridge });
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
    const vethPath = `${this.node.path}/${id}`;
    const publish = opts.publish ?? [];
    const veth = new VethPair(this, id, {
      a: { namespace, address, name: opts.interfaceName ?? "eth0" },
      // Hairpin on a publishing endpoint's port: it can reach its own published port through
      // the host's address even where br_netfilter bridges the DNATed frame back out of that port.
      b: { bridge: this.bridge, name: deriveName(`${this.node.id}-${id}`, vethPath, 15, "ve-"), hairpin: publish.length > 0 },
      mtu: this.mtu,
    });
    const gateway = this.subnet.gateway;
    const route = (opts.defaultRoute ?? true) && gateway ? new Route(this, `${id}-default`, { namespace, via: gateway }) : undefined;
    const published = publish.map((p) =>
      NatRule.portForward(this, `${id}-${p.protocol ?? "tcp"}-${p.hostPort}`, {
        hostPort: p.hostPort,
        to: address,
        port: p.port,
        protocol: p.protocol,
        hostAddress: p.hostAddress,
        hairpin: true,
      }),
    );
    const ep: NetworkEndpoint = { namespace, address, veth, route, published };
    this.eps.push(ep);
    return ep;
  }

  private validate(): string[] {
    const errs: string[] = [];
    if (this.driver !== "bridge") errs.push(`driver "${printable(String(this.driver))}" is not supported; use "bridge".`);
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
