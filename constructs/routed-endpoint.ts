import { Construct } from "constructs";
import { ipProblem, parseCidr, parseIp } from "../src/validate/address";
import { deriveName } from "../src/plan/names";
import { renderRoutedEndpoint, RoutedEndpointSpec } from "../src/render/routed-endpoint";
import { checkRoutedEndpoint } from "../src/render/check";
import { Flow } from "../src/render/firewall";
import { Hooks, ObjectRef } from "../src/render/types";
import { checkMtu, interfaceNameProblem, printable } from "../src/validate/names";
import { nonNull, problemText } from "../src/validate/problem";
import { Namespace } from "./namespace";
import { NetObject, ObjectSummary } from "./net-object";
import { hostFor, OnHost } from "./same-host";
import { placeName } from "./place";
import { Address } from "./subnet";
import type { ObjectKind } from "../src/plan/kinds";
import type { ObjectDiagram } from "../src/review/topology";
import { inGroup, refOf, subnetsOf } from "./diagram";

/** The gateway Calico gives every workload: link-local, so it clashes with nothing routed. */
export const ROUTED_GATEWAY = "169.254.1.1";

export interface RoutedEndpointProps {
  /** Namespace that gets the endpoint. */
  readonly namespace: Namespace;
  /**
   * The endpoint's address, always carried as a /32: an Address (e.g. `block.allocate(ns)`;
   * only its IP is used), "a.b.c.d" or "a.b.c.d/32".
   */
  readonly address: Address | string;
  /** Interface name inside the namespace. @default "eth0" */
  readonly name?: string;
  /** Name of the host-side veth, 1-15 bytes. @default "rt-" plus the construct id */
  readonly hostName?: string;
  /**
   * Next hop of the namespace's default route. No interface has it: the host-side
   * veth answers ARP for it (proxy ARP). The host answers only for addresses it
   * routes through another interface, normally through its default route; on a
   * host without one, add a route for the gateway (e.g. `destination: "169.254.1.1/32", dev: "eth0"`).
   * @default "169.254.1.1"
   */
  readonly gateway?: string;
  /** MTU of both veth ends. @default 1500 */
  readonly mtu?: number;
}

/**
 * A namespace attached Calico style: a /32 on a veth with no bridge, a default
 * route via a link-local gateway, proxy ARP on the host-side veth and a /32
 * route back to the namespace through it. Turns on net.ipv4.ip_forward. Other
 * hosts reach the address through routes to this host (see `HostGw`).
 *
 * @example
 * ```ts
 * const pods = new Subnet(host, "pods", { cidr: "10.72.0.0/26", gateway: false });
 * const web = new Namespace(host, "web");
 * new RoutedEndpoint(host, "web-ep", { namespace: web, address: pods.allocate(web) }); // /32, default via 169.254.1.1
 * ```
 */
export class RoutedEndpoint extends NetObject {
  readonly namespace: Namespace;
  /** The endpoint's IPv4 address (dotted quad). */
  readonly ip: string;
  readonly name: string;
  readonly hostName: string;
  readonly gateway: string;
  readonly mtu: number;
  private readonly givenAddress: Address | string;
  private readonly forwarding: NetObject;

  constructor(scope: Construct, id: string, props: RoutedEndpointProps) {
    super(scope, id, hostFor(scope, id, "RoutedEndpoint", [props.namespace]));
    this.namespace = props.namespace;
    this.givenAddress = props.address;
    this.ip = props.address instanceof Address ? props.address.ip : String(props.address).replace(/\/32$/, "");
    this.name = props.name ?? "eth0";
    this.hostName = props.hostName ?? deriveName(id, this.node.path, 15, "rt-");
    this.gateway = props.gateway ?? ROUTED_GATEWAY;
    this.mtu = props.mtu ?? 1500;
    this.forwarding = this.host.enableForwarding();
  }

  /** The address as the namespace carries it. */
  get cidr(): string {
    return `${this.ip}/32`;
  }

  get kind(): ObjectKind {
    return "routed";
  }

  // A veth pair underneath.
  requiredModules(): string[] {
    return ["veth"];
  }

  // The host-side end in the root namespace, cabled to the /32 end in the namespace.
  diagram(): ObjectDiagram {
    const outside = refOf(this, "host");
    const inside = refOf(this, "if");
    return {
      nodes: [
        { ref: outside, label: [this.hostName], shape: "interface" },
        { ref: inside, label: [this.name, this.cidr], shape: "interface", ...inGroup(this.namespace), ip: this.ip },
      ],
      edges: [{ from: inside, to: outside, style: "cable", label: "routed" }],
      subnets: subnetsOf(this.givenAddress),
    };
  }

  get objectName(): string {
    return `${this.hostName}~${this.name}`;
  }

  spec(): RoutedEndpointSpec {
    return { hostName: this.hostName, netns: this.namespace.name, name: this.name, address: this.ip, gateway: this.gateway, mtu: this.mtu };
  }

  hooks(ref: ObjectRef): Hooks {
    return renderRoutedEndpoint(this.spec(), ref);
  }

  checks(): string[] {
    return checkRoutedEndpoint(this.spec(), this.ref.tag);
  }

  /** The host routes the /32 both ways; no rule of hostnet's accepts it in FORWARD. */
  forwardedFlows(): Flow[] {
    return [
      { dir: "from", cidr: this.cidr, own: false },
      { dir: "to", cidr: this.cidr, own: false },
    ];
  }

  dependencies(): NetObject[] {
    return [this.namespace, this.forwarding];
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    return [["props.namespace", this.namespace]];
  }

  routes(): Array<{ destination: string; via?: string; namespace?: Namespace; onlink?: boolean }> {
    return [{ destination: "default", via: this.gateway, namespace: this.namespace, onlink: true }];
  }

  interfaces(): Array<{ name: string; namespace?: Namespace }> {
    return [{ name: this.hostName }, { name: this.name, namespace: this.namespace }];
  }

  assignedAddresses(): Array<{ cidr: string; iface: string; namespace?: Namespace }> {
    return [{ cidr: this.cidr, iface: this.name, namespace: this.namespace }];
  }

  summary(): ObjectSummary {
    return {
      kind: "routed",
      name: `${this.hostName} ~ ${this.name}`,
      where: `root ~ ${placeName(this.namespace)}`,
      addresses: [this.cidr],
      detail: `default via ${this.gateway} onlink; proxy_arp on ${this.hostName}; route ${this.cidr} dev ${this.hostName}; mtu ${this.mtu}`,
    };
  }

  protected validateObject(): string[] {
    const errs: string[] = [];
    if (!(this.givenAddress instanceof Address)) {
      const given = String(this.givenAddress);
      const r = given.includes("/") ? parseCidr(given, false) : parseIp(given);
      if (r.problem !== undefined) errs.push(`address: ${r.problem}`);
      else if (typeof r.value === "object" && r.value.prefix !== 32)
        errs.push(
          `address ${printable(given)} has prefix /${r.value.prefix}; a routed endpoint carries a /32. Write ${printable(given.split("/")[0])} or ${printable(given.split("/")[0])}/32.`,
        );
    }
    errs.push(...nonNull(ipProblem(this.gateway, "gateway")));
    if (this.gateway === this.ip)
      errs.push(
        `gateway ${this.gateway} is the endpoint's own address. Leave props.gateway unset (169.254.1.1) or pick an address no interface has.`,
      );
    for (const [what, name, given] of [
      ["hostName", this.hostName, "or shorten the construct id"],
      ["name", this.name, ""],
    ] as const) {
      const n = interfaceNameProblem(name);
      if (n) errs.push(`${what}: ${problemText(n, `Set props.${what}${given ? ` ${given}` : ""}.`)}`);
    }
    const m = checkMtu(this.mtu);
    if (m) errs.push(`${m} Fix props.mtu.`);
    return errs;
  }
}
