import { Construct } from "constructs";
import { checkHtb, renderHtb } from "../src/render/bandwidth";
import { Hooks, HtbClassSpec, HtbSpec, ObjectRef } from "../src/render/types";
import { anyCidrProblem } from "../src/validate/address";
import { familyOf } from "../src/ipam/ip";
import { canonicalText } from "./place";
import { checkInterfaceName, checkPort, notListProblem, printable } from "../src/validate/names";
import { checkClassId, checkRate, checkSize, formatRate, htbQuantum, rateBits } from "../src/validate/tc";
import { Bridge } from "./bridge";
import { Namespace } from "./namespace";
import { NetObject, ObjectSummary } from "./net-object";
import { hostFor, OnHost } from "./same-host";
import { placeName } from "./place";
import { Address, Subnet } from "./subnet";
import type { ObjectKind } from "../src/plan/kinds";

/** An address or network a class matches: an Address, a Subnet, "a.b.c.d[/len]" or an IPv6 one ("fd00::2", "fd00::/64"). */
export type MatchAddress = Address | Subnet | string;

export interface BandwidthMatch {
  /** Packets from this address or network. @default any source */
  readonly src?: MatchAddress;
  /** Packets to this address or network. @default any destination */
  readonly dst?: MatchAddress;
  /** Packets to this TCP/UDP port; with neither src nor dst, IPv4 and IPv6 packets alike (a tc filter each). @default any port */
  readonly dport?: number;
}

export interface BandwidthClass {
  /**
   * Class id: the minor number tc shows after the colon (10 is class x:10, as in
   * 1:10 and 1:11). 2-9999.
   */
  readonly id: number;
  /** Guaranteed rate, in tc's syntax: "20mbit", "512kbit". */
  readonly rate: string;
  /** Most the class may use by borrowing unused rate from the others. @default rate */
  readonly ceil?: string;
  /** Bytes the class may send at once above its rate, in tc's syntax ("15k"). @default tc's minimum for the rate */
  readonly burst?: string;
  /** Which packets belong to the class; all given fields must match. @default none: only traffic sent here by defaultClass */
  readonly match?: BandwidthMatch;
}

/** An interface by name, in a namespace or the host's root namespace. */
export interface InterfaceRef {
  readonly name: string;
  /** @default the host's root namespace */
  readonly namespace?: Namespace;
}

export interface BandwidthLimitProps {
  /**
   * Interface whose outgoing (egress) traffic is shaped: a VethPair end
   * (`veth.a`, `veth.b`), a Bridge, or a name and namespace. For traffic into a
   * namespace, shape the bridge-side end of its veth.
   */
  readonly interface: Bridge | InterfaceRef;
  /** The classes, checked in order. */
  readonly classes: readonly BandwidthClass[];
  /** Id of the class that takes traffic no class matches. @default none: such traffic is not shaped */
  readonly defaultClass?: number;
  /** Rate of the parent class the classes borrow from (their shared ceiling). @default the sum of the classes' ceilings */
  readonly total?: string;
}

/**
 * Egress bandwidth classes on one interface with tc htb: a root qdisc, a parent
 * class, one class per entry and a u32 filter per match (e.g. 1:10 and 1:11
 * for two users' traffic). Destroy removes the root qdisc only when it is the one
 * hostnet added (its handle is derived from the construct path).
 *
 * @example
 * ```ts
 * new BandwidthLimit(host, "shaping", {
 *   interface: br,
 *   classes: [
 *     { id: 10, rate: "10mbit", match: { src: "10.88.0.2" } },
 *     { id: 11, rate: "20mbit", ceil: "50mbit", match: { src: "10.88.0.3" } },
 *   ],
 * });
 * ```
 */
export class BandwidthLimit extends NetObject {
  readonly dev: string;
  readonly namespace?: Namespace;
  readonly classes: readonly BandwidthClass[];
  readonly defaultClass?: number;
  private readonly totalRate?: string;
  private readonly bridge?: Bridge;
  private readonly classesGiven: unknown;

  constructor(scope: Construct, id: string, props: BandwidthLimitProps) {
    const i = props.interface;
    const ns = i.namespace;
    super(scope, id, hostFor(scope, id, "BandwidthLimit", [Bridge.isBridge(i) ? i : undefined, ns]));
    this.dev = i.name;
    this.namespace = ns;
    this.bridge = Bridge.isBridge(i) ? i : undefined;
    // A value that is no list (from JavaScript or parsed config) is held back for validateObject to name.
    this.classes = Array.isArray(props.classes) ? props.classes : [];
    this.classesGiven = props.classes;
    this.defaultClass = props.defaultClass;
    this.totalRate = props.total;
  }

  get kind(): ObjectKind {
    return "bandwidth";
  }

  requiredModules(): string[] {
    return ["sch_htb", "cls_u32"];
  }

  get objectName(): string {
    return `htb ${this.dev}`;
  }

  /** Rate of the parent class. */
  get total(): string {
    if (this.totalRate !== undefined) return this.totalRate;
    const bits = this.classes.reduce((sum, c) => sum + (rateBits(c.ceil ?? c.rate) ?? 0), 0);
    return formatRate(bits);
  }

  spec(): HtbSpec {
    return {
      ...(this.namespace ? { netns: this.namespace.name } : {}),
      dev: this.dev,
      total: this.total,
      totalQuantum: htbQuantum(rateBits(this.total) ?? 0),
      ...(this.defaultClass !== undefined ? { defaultClass: this.defaultClass } : {}),
      classes: this.classes.map((c): HtbClassSpec => {
        const m = c.match;
        const match = m && {
          ...(m.src !== undefined ? { src: matchCidr(m.src) } : {}),
          ...(m.dst !== undefined ? { dst: matchCidr(m.dst) } : {}),
          ...(m.dport !== undefined ? { dport: m.dport } : {}),
        };
        return {
          id: c.id,
          rate: c.rate,
          ceil: c.ceil ?? c.rate,
          ...(c.burst ? { burst: c.burst } : {}),
          quantum: htbQuantum(rateBits(c.rate) ?? 0),
          ...(match ? { match } : {}),
        };
      }),
    };
  }

  hooks(ref: ObjectRef): Hooks {
    return renderHtb(this.spec(), ref);
  }

  /** Read-only drift probe lines for `hostnet check`. */
  checks(): string[] {
    return checkHtb(this.spec(), this.ref);
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    return this.bridge ? [["props.interface", this.bridge]] : [["props.interface.namespace", this.namespace]];
  }

  /** The object that creates the interface (found among the host's objects), and the namespace. */
  dependencies(): NetObject[] {
    const owner =
      this.bridge ??
      this.host.netObjects.find((o) => o !== this && o.interfaces().some((x) => x.name === this.dev && x.namespace === this.namespace));
    return [...(this.namespace ? [this.namespace] : []), ...(owner ? [owner] : [])];
  }

  requiredCommands(): string[] {
    return ["ip", "tc"];
  }

  summary(): ObjectSummary {
    const cls = this.classes.map((c) => `${c.id}: ${c.rate}${c.ceil && c.ceil !== c.rate ? `-${c.ceil}` : ""}${describeMatch(c.match)}`);
    return {
      kind: "bandwidth",
      name: this.objectName,
      where: placeName(this.namespace),
      addresses: [],
      detail: `${cls.join("; ")}${this.defaultClass !== undefined ? `; default ${this.defaultClass}` : ""}`,
    };
  }

  protected validateObject(): string[] {
    const errs: string[] = [];
    const n = checkInterfaceName(this.dev);
    if (n) errs.push(`interface: ${n}`);
    const notList = notListProblem(this.classesGiven, "classes", "Give props.classes a list of { id, rate }.", false);
    if (notList) errs.push(notList);
    else if (this.classes.length === 0) errs.push(`no classes. Give props.classes at least one { id, rate }.`);
    const seen = new Set<number>();
    for (const [k, c] of this.classes.entries()) {
      const where = `class ${Number.isInteger(c.id) ? c.id : `#${k + 1}`}`;
      const idErr = checkClassId(c.id);
      if (idErr) errs.push(`${where}: ${idErr} Fix props.classes[${k}].id.`);
      else if (seen.has(c.id)) errs.push(`${where}: id ${c.id} is used twice. Give each class its own id.`);
      seen.add(c.id);
      for (const e of [
        checkRate(c.rate, "rate"),
        c.ceil !== undefined ? checkRate(c.ceil, "ceil") : null,
        c.burst !== undefined ? checkSize(c.burst, "burst") : null,
      ]) {
        if (e) errs.push(`${where}: ${e}`);
      }
      const rate = rateBits(c.rate);
      const ceil = c.ceil !== undefined ? rateBits(c.ceil) : rate;
      if (rate !== null && ceil !== null && ceil < rate)
        errs.push(
          `${where}: ceil ${c.ceil} is below rate ${c.rate}; the ceiling must be at least the guaranteed rate. Raise props.classes[${k}].ceil.`,
        );
      const m = c.match;
      if (m) {
        if (m.src === undefined && m.dst === undefined && m.dport === undefined)
          errs.push(`${where}: match is empty. Set match.src, match.dst or match.dport, or drop match.`);
        for (const [v, what] of [
          [m.src, "src"],
          [m.dst, "dst"],
        ] as const) {
          if (v === undefined || v instanceof Address || v instanceof Subnet) continue;
          const e = anyCidrProblem(v.includes("/") ? v : `${v}/${v.includes(":") ? 128 : 32}`, `match.${what}`, false);
          if (e) errs.push(`${where}: ${e}`);
        }
        const fs = [m.src, m.dst].filter((v) => v !== undefined).map((v) => familyOf(matchCidr(v!)));
        if (fs.length === 2 && fs[0] && fs[1] && fs[0] !== fs[1])
          errs.push(
            `${where}: match.src ${matchCidr(m.src!)} is IPv${fs[0]} but match.dst ${matchCidr(m.dst!)} is IPv${fs[1]}; one filter matches one family. Make both of one family, or use two classes.`,
          );
        if (m.dport !== undefined) {
          const e = checkPort(m.dport, "match.dport");
          if (e) errs.push(`${where}: ${e}`);
        }
      }
    }
    if (this.defaultClass !== undefined && !this.classes.some((c) => c.id === this.defaultClass)) {
      errs.push(
        `defaultClass ${printable(String(this.defaultClass))} is not one of the class ids (${this.classes.map((c) => c.id).join(", ") || "none"}). Set it to one of them or leave it out.`,
      );
    }
    if (this.totalRate !== undefined) {
      const e = checkRate(this.totalRate, "total");
      if (e) errs.push(e);
    }
    return errs;
  }
}

function matchCidr(a: MatchAddress): string {
  if (a instanceof Subnet) return canonicalText(a.cidr);
  const host = (ip: string) => canonicalText(`${ip}/${ip.includes(":") ? 128 : 32}`);
  if (a instanceof Address) return host(a.ip);
  return a.includes("/") ? canonicalText(a) : host(a);
}

function describeMatch(m?: BandwidthMatch): string {
  if (!m) return "";
  const parts = [
    m.src !== undefined ? `from ${matchCidr(m.src)}` : "",
    m.dst !== undefined ? `to ${matchCidr(m.dst)}` : "",
    m.dport !== undefined ? `port ${m.dport}` : "",
  ].filter((p) => p);
  return parts.length ? ` (${parts.join(" ")})` : "";
}
