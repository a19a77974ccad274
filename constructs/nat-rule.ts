import { Construct } from "constructs";
import { checkNat } from "../src/render/check";
import { Flow, natFlows } from "../src/render/firewall";
import { hostCidr, natRules, renderNatWith } from "../src/render/nat";
import { checkNftNat, DECIDE_FIREWALL, firewallNote, nftRules, nftTable as nftTableName } from "../src/render/nft";
import { shq } from "../src/render/quote";
import { Hooks, NatSpec, ObjectRef } from "../src/render/types";
import { NatKind } from "./nat/kind";
import { Masquerade, MasqueradeProps } from "./nat/masquerade";
import { OneToOne, StaticNatProps } from "./nat/one-to-one";
import { PortForward, PortForwardProps } from "./nat/port-forward";
import { Snat, SnatProps } from "./nat/snat";
import { Namespace } from "./namespace";
import { NetObject, ObjectSummary } from "./net-object";
import { hostFor, OnHost } from "./same-host";
import { placeName } from "./place";
import type { ObjectKind } from "../src/plan/kinds";
import { brand, hasBrand } from "./guard";
import { natLabel, ObjectDiagram } from "../src/review/topology";
import { refOf } from "./diagram";
import { ipForwarding, Sysctl } from "./sysctl";
import type { SourceNatUse } from "../src/validate/topology";
import type { NamespaceLike } from "./net-object";

export type { NatPlaceProps } from "./nat/kind";
export type { MasqueradeProps } from "./nat/masquerade";
export type { SnatProps } from "./nat/snat";
export type { PortForwardProps } from "./nat/port-forward";
export type { StaticNatProps } from "./nat/one-to-one";

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

  /**
   * Source NAT to a fixed address. Its rule goes first in POSTROUTING, so an address or subnet inside a
   * masqueraded subnet leaves as `toSource` whatever order Terraform creates them in. Source NATs whose order
   * would still decide (two SNATs or an SNAT and a 1:1 NAT of overlapping sources, a masquerade inside an SNAT's
   * source) are refused at synth.
   */
  static snat(scope: Construct, id: string, props: SnatProps): NatRule {
    return new NatRule(scope, id, { type: "snat", ...props });
  }

  /** Publish a service: host port -> address:port (DNAT). */
  static portForward(scope: Construct, id: string, props: PortForwardProps): NatRule {
    return new NatRule(scope, id, { type: "dnat", ...props });
  }

  /**
   * 1:1 NAT: the outside address reaches the inside one, and the inside one leaves as the outside one. Its SNAT
   * goes first in POSTROUTING, so it wins over a masquerade of the subnet around the inside address.
   */
  static oneToOne(scope: Construct, id: string, props: StaticNatProps): NatRule {
    return new NatRule(scope, id, { type: "static", ...props });
  }

  readonly props: NatRuleProps;
  /** The namespace whose tables hold the rules; undefined for the host's root namespace. */
  readonly namespace?: Namespace;
  private readonly forwarding: NetObject;
  /** What this kind of rule does and checks (constructs/nat/*.ts). */
  private readonly rule: NatKind;

  constructor(scope: Construct, id: string, props: NatRuleProps) {
    const rule = natKind(props);
    const ns = props.namespace ?? Namespace.tryOf(scope);
    const host = hostFor(scope, id, "NatRule", [ns, rule.bridge]);
    super(scope, id, host);
    brand(this, NAT_RULE);
    this.props = props;
    this.rule = rule;
    this.namespace = ns;
    // IPv6 rules need IPv6 forwarding (net.ipv6.conf.all.forwarding), in the same place.
    this.forwarding = rule.family() === 6 ? ipForwarding(ns ?? host, 6) : ns ? namespaceForwarding(ns) : host.enableForwarding();
  }

  get kind(): ObjectKind {
    return this.rule.type;
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
    return this.rule.objectName();
  }

  spec(): NatSpec {
    return this.rule.spec(this.namespace);
  }

  hooks(ref: ObjectRef): Hooks {
    return renderNatWith(this.spec(), ref, this.host.firewall);
  }

  checks(): string[] {
    const spec = this.spec();
    switch (this.host.firewall) {
      case "iptables":
        return checkNat(spec, this.ref.tag);
      case "nftables":
        return checkNftNat(spec, this.ref);
      case "auto":
        return [
          `hn_fwb=$(cat ${shq(firewallNote(this.ref.stack))} 2>/dev/null || true)`,
          // No note (a lost ledger): what the create would have chosen, so an nft-only host is not read as missing iptables.
          `case "$hn_fwb" in iptables|nftables) ;; *) ${DECIDE_FIREWALL} ;; esac`,
          `if [ "$hn_fwb" = nftables ]; then`,
          ...checkNftNat(spec, this.ref).map((l) => `  ${l}`),
          "else",
          ...checkNat(spec, this.ref.tag).map((l) => `  ${l}`),
          "fi",
        ];
    }
  }

  /** The host hook records what `auto` chose only on hosts with rules. */
  usesFirewall(): boolean {
    return true;
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    return [
      ["props.namespace", this.namespace],
      ["props.bridge", this.rule.bridge],
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
    return this.namespace ? [] : this.rule.publishedPorts();
  }

  sourceNats(): Array<Omit<SourceNatUse, "place" | "path"> & { namespace?: NamespaceLike }> {
    const spec = this.spec();
    const namespace = this.namespace ? { namespace: this.namespace } : {};
    switch (spec.type) {
      case "masquerade":
        return [{ kind: "masquerade", source: spec.source, notOutInterface: spec.notOutInterface, ...namespace }];
      case "snat":
        return [{ kind: "snat", source: spec.source, outInterface: spec.outInterface, ...namespace }];
      case "static":
        return [{ kind: "static", source: hostCidr(spec.inside, spec.family ?? 4), ...namespace }];
      case "dnat":
        return [];
    }
  }

  requiredCommands(): string[] {
    // auto: whichever the host has; the host hook's decision needs neither.
    const iptables = this.rule.family() === 6 ? "ip6tables" : "iptables";
    // flock: every backend's create and destroy hold a lock on the host (src/render/common.ts underLock).
    return { iptables: [iptables, "flock"], nftables: ["nft", "flock"], auto: ["flock"] }[this.host.firewall];
  }

  summary(): ObjectSummary {
    return {
      kind: this.kind,
      name: this.objectName,
      where: placeName(this.namespace),
      addresses: [],
      detail: this.ruleSummary(),
    };
  }

  protected validateObject(): string[] {
    return this.rule.problems(this.namespace);
  }

  // The review row names where the rules go with each backend the host may use.
  private ruleSummary(): string {
    const spec = this.spec();
    const ipt = natRules(spec)
      .map((r) => `${r.table} ${r.chain}`)
      .join(", ");
    const nft = () => `nft inet ${nftTableName(this.ref.stack)} ${[...new Set(nftRules(spec).map((r) => r.hook))].join(", ")}`;
    switch (this.host.firewall) {
      case "iptables":
        return ipt;
      case "nftables":
        return nft();
      case "auto":
        return `auto (on the host at deploy: nftables where nft exists and iptables is nf_tables-backed or absent): ${nft()}; else iptables ${ipt}`;
    }
  }
}

function natKind(props: NatRuleProps): NatKind {
  switch (props.type) {
    case "masquerade":
      return new Masquerade(props);
    case "snat":
      return new Snat(props);
    case "dnat":
      return new PortForward(props);
    case "static":
      return new OneToOne(props);
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
