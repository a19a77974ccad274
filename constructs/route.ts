import { Construct } from "constructs";
import { renderRoute } from "../src/render/route";
import { checkRoute } from "../src/render/check";
import { Hooks, RouteSpec } from "../src/render/types";
import { anyCidrProblem, anyIpProblem } from "../src/validate/address";
import { Family, familyOf } from "../src/ipam/ip";
import { nonNull } from "../src/validate/problem";
import { checkInterfaceName } from "../src/validate/names";
import { Bridge } from "./bridge";
import type { Host } from "./host";
import { Namespace } from "./namespace";
import { NamespaceLike, NetObject, ObjectSummary } from "./net-object";
import { hostFor, OnHost } from "./same-host";
import { placeName } from "./place";
import { canonicalText } from "./canonical";
import { Address } from "./subnet";
import type { ObjectKind } from "../src/plan/kinds";

export interface RouteProps {
  /** "default" or a network in CIDR form, IPv4 or IPv6 ("fd00:89::/64"). @default "default" */
  readonly destination?: string;
  /** Next hop: an Address (e.g. `subnet.gateway`), an IPv4 or an IPv6 address, of the destination's family. */
  readonly via?: Address | string;
  /**
   * The address family, for a route that names neither an IPv6 destination nor an IPv6 next hop:
   * `{ destination: "default", dev: "eth0", family: 6 }` is the IPv6 default route (`ip -6 route`).
   * @default the family of `destination` or `via`, else 4
   */
  readonly family?: Family;
  /** Output interface: a name, or a Bridge. */
  readonly dev?: string | Bridge;
  /** Route metric. @default none */
  readonly metric?: number;
  /** Namespace whose routing table gets the route. @default the namespace whose scope it is created in, else the host's root */
  readonly namespace?: Namespace;
}

/**
 * A route in a host's or a namespace's main table. Needs `via`, `dev` or both.
 *
 * @example
 * ```ts
 * new Route(web, "default", { via: lan.gateway });                 // in namespace web
 * new Route(host, "to-b", { destination: "10.89.0.0/24", via: "192.0.2.11" }); // in the root namespace
 * ```
 */
export class Route extends NetObject {
  readonly destination: string;
  readonly via?: string;
  readonly dev?: string;
  readonly metric?: number;
  readonly namespace?: Namespace;
  /** 4 or 6: what `ip -6 route` lists it under. */
  readonly family: Family;
  private readonly devBridge?: Bridge;
  private readonly givenFamily?: Family;

  constructor(scope: Construct, id: string, props: RouteProps) {
    const ns = props.namespace ?? Namespace.tryOf(scope);
    super(scope, id, hostFor(scope, id, "Route", [ns, Bridge.isBridge(props.dev) ? props.dev : undefined]));
    this.namespace = ns;
    this.destination = canonicalText(props.destination ?? "default");
    const via = props.via instanceof Address ? props.via.ip : props.via;
    this.via = via === undefined ? undefined : canonicalText(via);
    this.givenFamily = props.family;
    const destFamily = this.destination === "default" ? undefined : familyOf(this.destination);
    this.family = props.family ?? destFamily ?? (this.via !== undefined ? familyOf(this.via) : undefined) ?? 4;
    this.devBridge = Bridge.isBridge(props.dev) ? props.dev : undefined;
    this.dev = Bridge.isBridge(props.dev) ? props.dev.name : props.dev;
    this.metric = props.metric;
  }

  get kind(): ObjectKind {
    return "route";
  }

  get objectName(): string {
    return `${this.destination}${this.via ? ` via ${this.via}` : ""}${this.dev ? ` dev ${this.dev}` : ""}`;
  }

  hooks(): Hooks {
    return renderRoute(this.spec());
  }

  checks(): string[] {
    return checkRoute(this.spec());
  }

  private spec(): RouteSpec {
    return {
      netns: this.namespace?.name,
      destination: this.destination,
      via: this.via,
      dev: this.dev,
      metric: this.metric,
      ...(this.family === 6 ? { family: 6 as const } : {}),
    };
  }

  /** The namespace, and every link with an end in the same place: the next hop is reached through them. */
  dependencies(): NetObject[] {
    const links = linksIn(this.host, this.namespace);
    return [...(this.namespace ? [this.namespace] : []), ...links, ...(this.devBridge ? [this.devBridge] : [])];
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    return [
      ["props.namespace", this.namespace],
      ["props.dev", this.devBridge],
    ];
  }

  routes(): Array<{ destination: string; via?: string; namespace?: NamespaceLike }> {
    return [{ destination: this.destination, via: this.via, namespace: this.namespace }];
  }

  summary(): ObjectSummary {
    return { kind: "route", name: this.objectName, where: placeName(this.namespace), addresses: [] };
  }

  protected validateObject(): string[] {
    const errs: string[] = [];
    const destProblem = this.destination !== "default" ? anyCidrProblem(this.destination, "destination") : null;
    const viaProblem = this.via !== undefined ? anyIpProblem(this.via, "via") : null;
    errs.push(...nonNull(destProblem, viaProblem));
    const destFamily = this.destination !== "default" && !destProblem ? familyOf(this.destination) : undefined;
    const viaFamily = this.via !== undefined && !viaProblem ? familyOf(this.via) : undefined;
    if (destFamily && viaFamily && destFamily !== viaFamily)
      errs.push(
        `destination ${this.destination} is IPv${destFamily} but via ${this.via} is IPv${viaFamily}; a next hop must be of the destination's family. ` +
          `Set props.via to an IPv${destFamily} address${destFamily === 6 ? " (the gateway's IPv6 address, e.g. subnet6.gateway)" : ""}.`,
      );
    for (const [what, f] of [
      ["destination", destFamily],
      ["via", viaFamily],
    ] as const) {
      if (this.givenFamily !== undefined && f !== undefined && f !== this.givenFamily)
        errs.push(
          `family is ${this.givenFamily} but ${what} ${what === "via" ? this.via : this.destination} is IPv${f}. Drop props.family or fix props.${what}.`,
        );
    }
    if (this.givenFamily !== undefined && this.givenFamily !== 4 && this.givenFamily !== 6)
      errs.push(`family ${String(this.givenFamily)} is neither 4 nor 6. Fix props.family.`);
    if (this.dev !== undefined) {
      const d = checkInterfaceName(this.dev);
      if (d) errs.push(`dev: ${d}`);
    }
    if (this.via === undefined && this.dev === undefined) errs.push(`a route needs a next hop or an interface. Set props.via or props.dev.`);
    if (this.metric !== undefined && (!Number.isInteger(this.metric) || this.metric < 0 || this.metric > 4294967295))
      errs.push(`metric ${this.metric} must be a whole number 0-4294967295.`);
    return errs;
  }
}

// Per host: the objects that create an interface in each place (a namespace, or
// undefined for the root), in creation order. Without it every route scanned all
// of its host's objects: O(n²) at synth, minutes for 10,000 endpoints. Objects
// are only ever added to a host, so a changed count means the index is stale.
const linkIndex = new WeakMap<Host, { count: number; byPlace: Map<NamespaceLike | undefined, NetObject[]> }>();

/** Objects with an interface in `place` on `host` (veth pairs with an end there, bridges there, ...). */
function linksIn(host: Host, place: NamespaceLike | undefined): NetObject[] {
  const objects = host.netObjects;
  let index = linkIndex.get(host);
  if (!index || index.count !== objects.length) {
    const byPlace = new Map<NamespaceLike | undefined, NetObject[]>();
    for (const o of objects) {
      for (const i of o.interfaces()) {
        let list = byPlace.get(i.namespace);
        if (!list) byPlace.set(i.namespace, (list = []));
        if (list[list.length - 1] !== o) list.push(o);
      }
    }
    index = { count: objects.length, byPlace };
    linkIndex.set(host, index);
  }
  return index.byPlace.get(place) ?? [];
}
