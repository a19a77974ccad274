import { Construct } from "constructs";
import { checkNat } from "../src/render/check";
import { Flow, natFlows } from "../src/render/firewall";
import { natRules, renderNat } from "../src/render/nat";
import { Hooks, NatSpec, ObjectRef, Protocol } from "../src/render/types";
import { AddressError, parseCidr4, parseIp4 } from "../src/ipam/ipv4";
import { checkInterfaceName, checkPort } from "../src/validate/names";
import { Bridge } from "./bridge";
import { Namespace } from "./namespace";
import { NetObject, ObjectSummary } from "./net-object";
import { hostFor, OnHost } from "./same-host";
import { placeName } from "./place";
import { Address, Subnet } from "./subnet";
import type { ObjectKind } from "../src/plan/kinds";
import { brand, hasBrand } from "./guard";
import { natLabel, ObjectDiagram } from "../src/review/topology";
import { refOf } from "./diagram";
import { ipForwarding, Sysctl } from "./sysctl";

/** Where a NAT rule lives. */
export interface NatPlaceProps {
  /**
   * Namespace whose netfilter tables get the rules (a router namespace);
   * net.ipv4.ip_forward is turned on there instead of in the host's root namespace.
   * @default the namespace whose scope the rule is created in, else the host's root namespace
   */
  readonly namespace?: Namespace;
}

export interface MasqueradeProps extends NatPlaceProps {
  /** Source subnet whose outbound traffic is rewritten to the outgoing interface's address. */
  readonly subnet: Subnet | string;
  /** The subnet's own bridge: traffic that leaves through it stays unrewritten (Docker's `! -o docker0`). */
  readonly bridge?: Bridge;
}

export interface SnatProps extends NatPlaceProps {
  /** Source subnet or address (CIDR). */
  readonly source: Subnet | Address | string;
  /** Address to rewrite the source to. */
  readonly toSource: string;
  /** Only for traffic leaving through this interface. @default any */
  readonly outInterface?: string;
}

export interface PortForwardProps extends NatPlaceProps {
  /** Port on the host that clients connect to. */
  readonly hostPort: number;
  /** Where the service listens: usually a namespace's address. */
  readonly to: Address | string;
  /** Port of the service. @default hostPort */
  readonly port?: number;
  /** @default "tcp" */
  readonly protocol?: Protocol;
  /** Only forward connections to this host address. @default any address of the host */
  readonly hostAddress?: string;
  /**
   * Also masquerade connections to the published port that come from the target's
   * own subnet (a neighbour on the same bridge, or the target itself), so their
   * answers come back through the host. Needs `to` to be an Address from a Subnet.
   * @default false
   */
  readonly hairpin?: boolean;
}

export interface StaticNatProps extends NatPlaceProps {
  /** The inside (private) address: an Address or a dotted quad. */
  readonly inside: Address | string;
  /**
   * The outside address it is known by. Traffic for it must reach the rule's
   * namespace: assign it there, or route it there (a /32 route via the outside leg).
   */
  readonly outside: string;
}

export type NatRuleProps =
  | ({ readonly type: "masquerade" } & MasqueradeProps)
  | ({ readonly type: "snat" } & SnatProps)
  | ({ readonly type: "dnat" } & PortForwardProps)
  | ({ readonly type: "static" } & StaticNatProps);

const NAT_RULE = Symbol.for("hostnet.NatRule");

/**
 * iptables NAT on a host or in a namespace: outbound masquerade or SNAT for a
 * subnet, a DNAT port forward from a host port to a service (which also works for
 * connections the host opens itself), or 1:1 NAT between an inside and an outside
 * address. Turns on net.ipv4.ip_forward where the rules live, and adds FORWARD
 * accepts so it also works where that chain's policy is DROP.
 *
 * @example
 * ```ts
 * NatRule.masquerade(host, "masquerade", { subnet: lan, bridge: br });
 * NatRule.portForward(host, "publish-web", { hostPort: 10080, to: "10.88.0.2", port: 80 });
 * NatRule.snat(host, "snat", { source: lan, toSource: "192.0.2.10" });
 * NatRule.oneToOne(router, "static", { inside: "10.0.0.5", outside: "16.158.1.5" });
 * ```
 */
export class NatRule extends NetObject {
  /** True for a NatRule (by symbol, not instanceof). */
  static isNatRule(x: unknown): x is NatRule {
    return hasBrand(x, NAT_RULE);
  }

  /** Outbound masquerade for a subnet. */
  static masquerade(scope: Construct, id: string, props: MasqueradeProps): NatRule {
    return new NatRule(scope, id, { type: "masquerade", ...props });
  }

  /** Source NAT to a fixed address. */
  static snat(scope: Construct, id: string, props: SnatProps): NatRule {
    return new NatRule(scope, id, { type: "snat", ...props });
  }

  /** Publish a service: host port -> address:port (DNAT). */
  static portForward(scope: Construct, id: string, props: PortForwardProps): NatRule {
    return new NatRule(scope, id, { type: "dnat", ...props });
  }

  /** 1:1 NAT: the outside address reaches the inside one, and the inside one leaves as the outside one. */
  static oneToOne(scope: Construct, id: string, props: StaticNatProps): NatRule {
    return new NatRule(scope, id, { type: "static", ...props });
  }

  readonly props: NatRuleProps;
  /** The namespace whose tables hold the rules; undefined for the host's root namespace. */
  readonly namespace?: Namespace;
  private readonly forwarding: NetObject;

  constructor(scope: Construct, id: string, props: NatRuleProps) {
    const ns = props.namespace ?? Namespace.tryOf(scope);
    const host = hostFor(scope, id, "NatRule", [ns, props.type === "masquerade" ? props.bridge : undefined]);
    super(scope, id, host);
    brand(this, NAT_RULE);
    this.props = props;
    this.namespace = ns;
    this.forwarding = ns ? namespaceForwarding(ns) : host.enableForwarding();
  }

  get kind(): ObjectKind {
    return this.props.type;
  }

  // Drawn after the subnets: a source NAT points from the subnet it rewrites, a port forward at the address it forwards to.
  diagram(): ObjectDiagram {
    const spec = this.spec();
    const ref = refOf(this);
    const late = true;
    const from = spec.type === "masquerade" || spec.type === "snat" ? spec.source : undefined;
    return {
      nodes: [{ ref, label: [this.kind, natLabel(spec) ?? this.objectName], shape: "nat", late }],
      edges: [
        ...(from !== undefined ? [{ from: { subnet: from }, to: ref, style: "nat" as const, late }] : []),
        ...(spec.type === "dnat" ? [{ from: ref, to: { holding: spec.toAddress }, style: "nat" as const, late }] : []),
      ],
    };
  }

  get objectName(): string {
    const p = this.props;
    switch (p.type) {
      case "masquerade":
        return `masquerade ${this.source()}`;
      case "snat":
        return `snat ${this.source()} -> ${p.toSource}`;
      case "dnat":
        return `${p.protocol ?? "tcp"}/${p.hostPort} -> ${this.target()}:${p.port ?? p.hostPort}`;
      case "static":
        return `1:1 ${this.inside()} <-> ${p.outside}`;
    }
  }

  spec(): NatSpec {
    const p = this.props;
    // Only set when the rules live in a namespace: root-namespace specs stay as they were.
    const netns = this.namespace ? { netns: this.namespace.name } : {};
    switch (p.type) {
      case "masquerade":
        return { type: "masquerade", source: this.source(), notOutInterface: p.bridge?.name, allowForward: true, ...netns };
      case "snat":
        return { type: "snat", source: this.source(), toSource: p.toSource, outInterface: p.outInterface, allowForward: true, ...netns };
      case "dnat": {
        const hairpin = p.hairpin && p.to instanceof Address && p.to.subnet ? { hairpinSource: p.to.subnet.cidr } : {};
        return {
          type: "dnat",
          protocol: p.protocol ?? "tcp",
          hostPort: p.hostPort,
          hostAddress: p.hostAddress,
          toAddress: this.target(),
          toPort: p.port ?? p.hostPort,
          fromHost: true,
          allowForward: true,
          ...netns,
          ...hairpin,
        };
      }
      case "static":
        return { type: "static", inside: this.inside(), outside: p.outside, allowForward: true, ...netns };
    }
  }

  hooks(ref: ObjectRef): Hooks {
    return renderNat(this.spec(), ref);
  }

  checks(): string[] {
    return checkNat(this.spec(), this.ref.tag);
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    const p = this.props;
    return [
      ["props.namespace", this.namespace],
      ["props.bridge", p.type === "masquerade" ? p.bridge : undefined],
    ];
  }

  /** Root-namespace NAT only (a namespace's rules live in its own tables); hostnet's FORWARD rules accept these. */
  forwardedFlows(): Flow[] {
    return this.namespace ? [] : natFlows(this.spec());
  }

  dependencies(): NetObject[] {
    return this.namespace ? [this.namespace, this.forwarding] : [this.forwarding];
  }

  /** Ports published on the host's own addresses; a port forward inside a namespace publishes none of them. */
  publishedPorts(): Array<{ protocol: string; port: number; hostAddress?: string }> {
    const p = this.props;
    return p.type === "dnat" && !this.namespace ? [{ protocol: p.protocol ?? "tcp", port: p.hostPort, hostAddress: p.hostAddress }] : [];
  }

  requiredCommands(): string[] {
    return ["iptables"];
  }

  summary(): ObjectSummary {
    return {
      kind: this.props.type,
      name: this.objectName,
      where: placeName(this.namespace),
      addresses: [],
      detail: natRules(this.spec())
        .map((r) => `${r.table} ${r.chain}`)
        .join(", "),
    };
  }

  protected validateObject(): string[] {
    const p = this.props;
    const errs: string[] = [];
    const ip = (v: string, what: string) => {
      try {
        parseIp4(v);
      } catch (e) {
        if (!(e instanceof AddressError)) throw e;
        errs.push(`${what}: ${e.message}`);
      }
    };
    if (p.type === "masquerade" || p.type === "snat") {
      try {
        parseCidr4(this.source(), p.type === "masquerade");
      } catch (e) {
        if (!(e instanceof AddressError)) throw e;
        errs.push(`source: ${e.message}`);
      }
    }
    if (p.type === "masquerade" && p.bridge && p.bridge.namespace !== this.namespace) {
      errs.push(
        `bridge ${p.bridge.name} is in ${placeName(p.bridge.namespace)} but the rule is in ${placeName(this.namespace)}; create the rule where the bridge is (props.namespace).`,
      );
    }
    if (p.type === "static") {
      ip(this.inside(), "inside");
      ip(p.outside, "outside");
      if (this.inside() === p.outside) errs.push(`inside and outside are both ${p.outside}; 1:1 NAT maps one address to another. Fix props.outside.`);
    }
    if (p.type === "snat") {
      ip(p.toSource, "toSource");
      if (p.outInterface !== undefined) {
        const e = checkInterfaceName(p.outInterface);
        if (e) errs.push(`outInterface: ${e}`);
      }
    }
    if (p.type === "dnat") {
      for (const [v, what] of [
        [p.hostPort, "hostPort"],
        [p.port ?? p.hostPort, "port"],
      ] as const) {
        const e = checkPort(v, what);
        if (e) errs.push(`${e} Fix props.${what}.`);
      }
      if (!["tcp", "udp"].includes(p.protocol ?? "tcp"))
        errs.push(`protocol "${JSON.stringify(String(p.protocol)).slice(1, -1)}" is not supported; use "tcp" or "udp".`);
      ip(this.target(), "to");
      if (p.hostAddress !== undefined) ip(p.hostAddress, "hostAddress");
      if (p.hairpin && !(p.to instanceof Address && p.to.subnet)) {
        errs.push(
          `hairpin needs the target's subnet, but "to" is a plain address (${this.target()}). Pass an Address from a Subnet (subnet.allocate(...)) or drop props.hairpin.`,
        );
      }
    }
    return errs;
  }

  private source(): string {
    const p = this.props;
    const s = p.type === "masquerade" ? p.subnet : p.type === "snat" ? p.source : undefined;
    if (s instanceof Subnet) return s.cidr;
    if (s instanceof Address) return `${s.ip}/32`;
    return String(s);
  }

  private inside(): string {
    const p = this.props;
    if (p.type !== "static") return "";
    return p.inside instanceof Address ? p.inside.ip : String(p.inside);
  }

  private target(): string {
    const p = this.props;
    if (p.type !== "dnat") return "";
    return p.to instanceof Address ? p.to.ip : String(p.to);
  }
}

/**
 * net.ipv4.ip_forward=1 inside a namespace, one per namespace: the Sysctl with id
 * "ip-forward" in the namespace's scope, created when the namespace has none yet
 * (declare it yourself first to make it visible in your code).
 */
export function namespaceForwarding(ns: Namespace): Sysctl {
  return ipForwarding(ns);
}
