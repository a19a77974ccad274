import { Construct } from "constructs";
import { renderRoute } from "../src/render/route";
import { Hooks } from "../src/render/types";
import { AddressError, parseCidr4, parseIp4 } from "../src/ipam/ipv4";
import { checkInterfaceName } from "../src/validate/names";
import { Bridge } from "./bridge";
import { Host } from "./host";
import { Namespace } from "./namespace";
import { findAncestor, NetObject, ObjectSummary } from "./net-object";
import { placeName } from "./place";
import { Address } from "./subnet";
import { VethPair } from "./veth-pair";

export interface RouteProps {
  /** "default" or a network in CIDR form. @default "default" */
  readonly destination?: string;
  /** Next hop: an Address (e.g. `subnet.gateway`) or an IPv4 address. */
  readonly via?: Address | string;
  /** Output interface: a name, or a Bridge. */
  readonly dev?: string | Bridge;
  /** Route metric. @default none */
  readonly metric?: number;
  /** Namespace whose routing table gets the route. @default the namespace whose scope it is created in, else the host's root */
  readonly namespace?: Namespace;
}

/** A route in a host's or a namespace's main table. Needs `via`, `dev` or both. */
export class Route extends NetObject {
  readonly destination: string;
  readonly via?: string;
  readonly dev?: string;
  readonly metric?: number;
  readonly namespace?: Namespace;
  private readonly devBridge?: Bridge;

  constructor(scope: Construct, id: string, props: RouteProps) {
    const ns = props.namespace ?? findAncestor(scope, Namespace);
    const host = ns?.host ?? findAncestor(scope, Host);
    if (!host) throw new Error(`${scope.node.path}/${id}: a Route must be created inside a Host's or Namespace's scope.`);
    super(scope, id, host);
    this.namespace = ns;
    this.destination = props.destination ?? "default";
    this.via = props.via instanceof Address ? props.via.ip : props.via;
    this.devBridge = props.dev instanceof Bridge ? props.dev : undefined;
    this.dev = props.dev instanceof Bridge ? props.dev.name : props.dev;
    this.metric = props.metric;
  }

  get kind(): string {
    return "route";
  }

  get objectName(): string {
    return `${this.destination}${this.via ? ` via ${this.via}` : ""}${this.dev ? ` dev ${this.dev}` : ""}`;
  }

  hooks(): Hooks {
    return renderRoute({ netns: this.namespace?.name, destination: this.destination, via: this.via, dev: this.dev, metric: this.metric });
  }

  /** The namespace, and every link with an end in the same place: the next hop is reached through them. */
  dependencies(): NetObject[] {
    const links = this.host.netObjects.filter(
      (o) => (o instanceof VethPair && (o.a.namespace === this.namespace || o.b.namespace === this.namespace)) || (o instanceof Bridge && o.namespace === this.namespace),
    );
    return [...(this.namespace ? [this.namespace] : []), ...links, ...(this.devBridge ? [this.devBridge] : [])];
  }

  summary(): ObjectSummary {
    return { kind: "route", name: this.objectName, where: placeName(this.namespace), addresses: [] };
  }

  protected validateObject(): string[] {
    const errs: string[] = [];
    if (this.destination !== "default") {
      try {
        parseCidr4(this.destination);
      } catch (e) {
        if (!(e instanceof AddressError)) throw e;
        errs.push(`destination: ${e.message}`);
      }
    }
    if (this.via !== undefined) {
      try {
        parseIp4(this.via);
      } catch (e) {
        if (!(e instanceof AddressError)) throw e;
        errs.push(`via: ${e.message}`);
      }
    }
    if (this.dev !== undefined) {
      const d = checkInterfaceName(this.dev);
      if (d) errs.push(`dev: ${d}`);
    }
    if (this.via === undefined && this.dev === undefined) errs.push(`a route needs a next hop or an interface. Set props.via or props.dev.`);
    if (this.metric !== undefined && (!Number.isInteger(this.metric) || this.metric < 0 || this.metric > 4294967295)) errs.push(`metric ${this.metric} must be a whole number 0-4294967295.`);
    if (this.namespace && this.namespace.host !== this.host) errs.push(`namespace ${this.namespace.node.path} is on another host.`);
    return errs;
  }
}
