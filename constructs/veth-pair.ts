import { Construct } from "constructs";
import { deriveName } from "../src/plan/names";
import { renderVeth } from "../src/render/veth";
import { checkVeth } from "../src/render/check";
import { Hooks, ObjectRef, VethSpec } from "../src/render/types";
import { checkMtu, interfaceNameProblem } from "../src/validate/names";
import { problemText } from "../src/validate/problem";
import { Bridge } from "./bridge";
import { Namespace } from "./namespace";
import { NetObject, ObjectSummary } from "./net-object";
import { AddressesInput, AddressInput, addressCidr, addressList, bridgeSubnetProblem, checkAddressesInput, placeName } from "./place";
import { hostFor, OnHost } from "./same-host";
import type { ObjectKind } from "../src/plan/kinds";
import { brand, hasBrand } from "./guard";
import type { DiagramNode, DiagramRef, ObjectDiagram } from "../src/review/topology";
import { holding, inGroup, refOf, subnetsOf } from "./diagram";

export interface VethEndProps {
  /** Interface name, 1-15 bytes. @default "eth0" inside a namespace, else "ve-" plus the construct id */
  readonly name?: string;
  /** Namespace this end lives in. @default the bridge's namespace, else the host's root namespace */
  readonly namespace?: Namespace;
  /** Bridge to enslave this end to; it must live where the end lives. @default none */
  readonly bridge?: Bridge;
  /**
   * Address of this end: `subnet.allocate(...)`, `subnet.address("...")`, "a.b.c.d/len" or "fd00::2/64";
   * one per family for dual stack (`[lan.allocate(ns), "fd00:88::2/64"]`).
   * @default none
   */
  readonly address?: AddressesInput;
  /**
   * Hairpin mode on this bridge port: the bridge may send a frame back out of the
   * port it came in on. Needed for a namespace to reach its own published port
   * where br_netfilter bridges DNATed traffic (net.bridge.bridge-nf-call-iptables=1).
   * Only for an end with `bridge`.
   * @default false
   */
  readonly hairpin?: boolean;
}

export interface VethPairProps {
  readonly a: VethEndProps;
  readonly b: VethEndProps;
  /** MTU of both ends. @default 1500 */
  readonly mtu?: number;
}

/** One end of a veth pair, resolved. */
export interface VethEnd {
  readonly name: string;
  readonly namespace?: Namespace;
  readonly bridge?: Bridge;
  /** The first of its addresses. */
  readonly address?: AddressInput;
  /** Its addresses, at most one per family. */
  readonly addresses: readonly AddressInput[];
  readonly hairpin?: boolean;
}

const VETH_PAIR = Symbol.for("hostnet.VethPair");

/**
 * A veth pair: a virtual cable between two places on one host, each end in the
 * root namespace or a Namespace, optionally enslaved to a Bridge and addressed.
 *
 * @example
 * ```ts
 * const web = new Namespace(host, "web");
 * new VethPair(host, "web-veth", {
 *   a: { namespace: web, address: lan.allocate(web) }, // eth0 inside web
 *   b: { bridge: br },                                  // ve-web-veth on the bridge
 * });
 * ```
 */
export class VethPair extends NetObject {
  /** True for a VethPair (by symbol, not instanceof). */
  static isVethPair(x: unknown): x is VethPair {
    return hasBrand(x, VETH_PAIR);
  }

  readonly a: VethEnd;
  readonly b: VethEnd;
  readonly mtu: number;
  private readonly props: VethPairProps;

  constructor(scope: Construct, id: string, props: VethPairProps) {
    super(scope, id, hostFor(scope, id, "VethPair", [props.a.namespace, props.a.bridge, props.b.namespace, props.b.bridge]));
    brand(this, VETH_PAIR);
    this.props = props;
    this.mtu = props.mtu ?? 1500;
    const nsA = props.a.namespace ?? props.a.bridge?.namespace;
    const nsB = props.b.namespace ?? props.b.bridge?.namespace;
    const same = nsA === nsB;
    this.a = {
      namespace: nsA,
      bridge: props.a.bridge,
      addresses: addressList(props.a.address),
      address: addressList(props.a.address)[0],
      name: props.a.name ?? this.defaultName(id, nsA, same ? "-a" : ""),
      ...(props.a.hairpin ? { hairpin: true } : {}),
    };
    this.b = {
      namespace: nsB,
      bridge: props.b.bridge,
      addresses: addressList(props.b.address),
      address: addressList(props.b.address)[0],
      name: props.b.name ?? this.defaultName(id, nsB, same ? "-b" : ""),
      ...(props.b.hairpin ? { hairpin: true } : {}),
    };
  }

  get kind(): ObjectKind {
    return "veth";
  }

  requiredModules(): string[] {
    return ["veth"];
  }

  // An end on a bridge is drawn as the bridge; a free end is an interface node.
  diagram(): ObjectDiagram {
    const nodes: DiagramNode[] = [];
    const ends = (["a", "b"] as const).map((side): { ref: DiagramRef; port?: string } => {
      const e = this[side];
      if (e.bridge) return { ref: refOf(e.bridge), port: e.name };
      const label = [e.name, ...e.addresses.map(addressCidr)];
      nodes.push({ ref: refOf(this, side), label, shape: "interface", ...inGroup(e.namespace), ...holding(e.address) });
      return { ref: refOf(this, side) };
    });
    const ports = ends.flatMap((e) => (e.port === undefined ? [] : [e.port]));
    return {
      nodes,
      edges: [{ from: ends[0].ref, to: ends[1].ref, style: "cable", label: ports.length ? ports.join(" ~ ") : "veth" }],
      subnets: subnetsOf(...this.a.addresses, ...this.b.addresses),
    };
  }

  get objectName(): string {
    return `${this.a.name}~${this.b.name}`;
  }

  hooks(ref: ObjectRef): Hooks {
    return renderVeth(this.spec(), ref);
  }

  checks(): string[] {
    return checkVeth(this.spec(), this.ref.tag);
  }

  private spec(): VethSpec {
    const end = (e: VethEnd) => ({
      name: e.name,
      netns: e.namespace?.name,
      master: e.bridge?.name,
      ...(e.hairpin ? { hairpin: true } : {}),
      addresses: e.addresses.map(addressCidr),
    });
    return { a: end(this.a), b: end(this.b), mtu: this.mtu };
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    const p = this.props;
    return [
      ["props.a.namespace", p.a.namespace],
      ["props.a.bridge", p.a.bridge],
      ["props.b.namespace", p.b.namespace],
      ["props.b.bridge", p.b.bridge],
    ];
  }

  dependencies(): NetObject[] {
    return [this.a.namespace, this.b.namespace, this.a.bridge, this.b.bridge].filter((o): o is Namespace | Bridge => o !== undefined);
  }

  interfaces(): Array<{ name: string; namespace?: Namespace }> {
    return [this.a, this.b].map((e) => ({ name: e.name, namespace: e.namespace }));
  }

  assignedAddresses(): Array<{ cidr: string; iface: string; namespace?: Namespace }> {
    return [this.a, this.b].flatMap((e) => e.addresses.map((a) => ({ cidr: addressCidr(a), iface: e.name, namespace: e.namespace })));
  }

  summary(): ObjectSummary {
    const side = (e: VethEnd) => `${e.name}@${placeName(e.namespace)}${e.bridge ? ` (bridge ${e.bridge.name})` : ""}`;
    return {
      kind: "veth",
      name: `${this.a.name} ~ ${this.b.name}`,
      where: `${placeName(this.a.namespace)} ~ ${placeName(this.b.namespace)}`,
      addresses: [...this.a.addresses, ...this.b.addresses].map(addressCidr),
      detail: `${side(this.a)} <-> ${side(this.b)}, mtu ${this.mtu}`,
    };
  }

  protected validateObject(): string[] {
    const errs: string[] = [];
    const m = checkMtu(this.mtu);
    if (m) errs.push(`${m} Fix props.mtu.`);
    for (const [side, end, given] of [
      ["a", this.a, this.props.a],
      ["b", this.b, this.props.b],
    ] as const) {
      const n = interfaceNameProblem(end.name);
      if (n) errs.push(`end ${side}: ${problemText(n, `Set props.${side}.name${given.name ? "" : " or shorten the construct id"}.`)}`);
      if (given.namespace && given.bridge && given.bridge.namespace !== given.namespace) {
        errs.push(
          `end ${side} is in ${placeName(given.namespace)} but bridge ${given.bridge.name} is in ${placeName(given.bridge.namespace)}; an interface can only join a bridge in its own namespace.`,
        );
      }
      if (end.bridge && end.bridge.mtu < this.mtu)
        errs.push(
          `end ${side}: MTU ${this.mtu} is larger than bridge ${end.bridge.name}'s MTU ${end.bridge.mtu}; the bridge would lower it. Set props.mtu to at most ${end.bridge.mtu}.`,
        );
      errs.push(...checkAddressesInput(end.addresses, `end ${side} address`, `props.${side}.address`));
      if (end.hairpin && !end.bridge)
        errs.push(
          `end ${side} asks for hairpin mode but joins no bridge; hairpin is a bridge port setting. Set props.${side}.bridge or drop props.${side}.hairpin.`,
        );
    }
    // One L2 segment, one subnet per family: an address on one end must be in the subnet of the bridge the other end joins.
    for (const [side, end, other] of [
      ["a", this.a, this.b],
      ["b", this.b, this.a],
    ] as const) {
      for (const address of other.bridge ? end.addresses : []) {
        const p = bridgeSubnetProblem(address, other.bridge!, {
          what: `end ${side} address`,
          joins: `the other end joins`,
          prop: `props.${side}.address`,
        });
        if (p) errs.push(p);
      }
    }
    if (this.a.namespace === this.b.namespace && this.a.name === this.b.name)
      errs.push(`both ends are named ${this.a.name} in ${placeName(this.a.namespace)}. Give them different names.`);
    return errs;
  }

  private defaultName(id: string, ns: Namespace | undefined, suffix: string): string {
    if (ns) return suffix ? deriveName(id + suffix, this.node.path + suffix, 15) : "eth0";
    return deriveName(id + suffix, this.node.path + suffix, 15, "ve-");
  }
}
