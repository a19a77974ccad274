import { Construct } from "constructs";
import { ipProblem, parseAnyAddress, parseAnyPrefix } from "../src/validate/address";
import { familyOf, formatIp, isLinkLocal6 } from "../src/ipam/ip";
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
import { ipForwarding } from "./sysctl";
import type { ObjectKind } from "../src/plan/kinds";
import type { ObjectDiagram } from "../src/review/topology";
import { inGroup, refOf, subnetsOf } from "./diagram";

/** The gateway Calico gives every workload: link-local, so it clashes with nothing routed. */
export const ROUTED_GATEWAY = "169.254.1.1";
/** The IPv6 gateway of every routed endpoint: link-local, answered by proxy NDP on the host-side veth. */
export const ROUTED_GATEWAY6 = "fe80::1";

/** One address of a routed endpoint: an Address (only its IP is used) or an address, optionally with /32 or /128. */
export type RoutedAddress = Address | string;

export interface RoutedEndpointProps {
  /** Namespace that gets the endpoint. */
  readonly namespace: Namespace;
  /**
   * The endpoint's address, carried as a /32 (IPv4) or /128 (IPv6): an Address (e.g.
   * `block.allocate(ns)`; only its IP is used), "a.b.c.d", "a.b.c.d/32", "fd00::5" or "fd00::5/128".
   * Dual stack: a list of one address per family, e.g. `[pool4.allocate(ns), pool6.allocate(ns)]`.
   */
  readonly address: RoutedAddress | readonly RoutedAddress[];
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
  /**
   * Next hop of the namespace's IPv6 default route, a link-local address no interface has:
   * the host-side veth answers neighbour solicitations for it (proxy NDP).
   * @default "fe80::1"
   */
  readonly gateway6?: string;
  /** MTU of both veth ends. @default 1500 */
  readonly mtu?: number;
}

/**
 * A namespace attached Calico style: a /32 on a veth with no bridge, a default
 * route via a link-local gateway, proxy ARP on the host-side veth and a /32
 * route back to the namespace through it. Turns on net.ipv4.ip_forward. Other
 * hosts reach the address through routes to this host (see `HostGw`).
 * IPv6 (alone or beside IPv4) is Calico's IPv6 mode: a /128 on the veth, the
 * default route via fe80::1, answered by proxy NDP on the host-side veth, a /128
 * route back, and net.ipv6.conf.all.forwarding on (which also turns off accept_ra
 * on the host's interfaces).
 *
 * @example
 * ```ts
 * const pods = new Subnet(host, "pods", { cidr: "10.72.0.0/26", gateway: false });
 * const web = new Namespace(host, "web");
 * new RoutedEndpoint(host, "web-ep", { namespace: web, address: pods.allocate(web) }); // /32, default via 169.254.1.1
 * const db = new Namespace(host, "db");
 * new RoutedEndpoint(host, "db-ep", { namespace: db, address: ["10.72.0.9", "fd00:72::9"] }); // dual stack: /32 and /128
 * ```
 */
export class RoutedEndpoint extends NetObject {
  readonly namespace: Namespace;
  /** The endpoint's first address (dotted quad, or IPv6 for an IPv6-only endpoint). */
  readonly ip: string;
  /** Every address of the endpoint, as given (without the /32 or /128). */
  readonly ips: readonly string[];
  readonly name: string;
  readonly hostName: string;
  readonly gateway: string;
  readonly gateway6: string;
  readonly mtu: number;
  private readonly givenAddresses: readonly RoutedAddress[];
  private readonly forwarding: NetObject[];

  constructor(scope: Construct, id: string, props: RoutedEndpointProps) {
    super(scope, id, hostFor(scope, id, "RoutedEndpoint", [props.namespace]));
    this.namespace = props.namespace;
    this.givenAddresses = isList(props.address) ? [...props.address] : [props.address];
    this.ips = this.givenAddresses.map((a) => (a instanceof Address ? a.ip : String(a).replace(/\/(32|128)$/, "")));
    this.ip = this.ips[0] ?? "";
    this.name = props.name ?? "eth0";
    this.hostName = props.hostName ?? deriveName(id, this.node.path, 15, "rt-");
    this.gateway = props.gateway ?? ROUTED_GATEWAY;
    this.gateway6 = props.gateway6 ?? ROUTED_GATEWAY6;
    this.mtu = props.mtu ?? 1500;
    this.forwarding = [
      ...(this.ipOf(4) !== undefined ? [this.host.enableForwarding()] : []),
      ...(this.ipOf(6) !== undefined ? [ipForwarding(this.host, 6)] : []),
    ];
  }

  /** The endpoint's address of one family, in canonical form (IPv6 per RFC 5952), or undefined. */
  ipOf(family: 4 | 6): string | undefined {
    const text = this.ips.find((i) => familyOf(i) === family);
    if (text === undefined) return undefined;
    const a = parseAnyAddress(text).value;
    return a ? formatIp(a.family, a.value) : text;
  }

  /** The first address as the namespace carries it (/32 or /128). */
  get cidr(): string {
    return this.cidrs[0] ?? "";
  }

  /** Every address as the namespace carries it: the /32, then the /128. */
  get cidrs(): string[] {
    const v4 = this.ipOf(4);
    const v6 = this.ipOf(6);
    return [...(v4 !== undefined ? [`${v4}/32`] : []), ...(v6 !== undefined ? [`${v6}/128`] : [])];
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
        { ref: inside, label: [this.name, ...this.cidrs], shape: "interface", ...inGroup(this.namespace), ip: this.ip, ips: [...this.ips] },
      ],
      edges: [{ from: inside, to: outside, style: "cable", label: "routed" }],
      subnets: subnetsOf(...this.givenAddresses),
    };
  }

  get objectName(): string {
    return `${this.hostName}~${this.name}`;
  }

  spec(): RoutedEndpointSpec {
    const v6 = this.ipOf(6);
    return {
      hostName: this.hostName,
      netns: this.namespace.name,
      name: this.name,
      address: this.ipOf(4),
      gateway: this.gateway,
      ...(v6 !== undefined ? { address6: v6, gateway6: canonical(this.gateway6) } : {}),
      mtu: this.mtu,
    };
  }

  hooks(ref: ObjectRef): Hooks {
    return renderRoutedEndpoint(this.spec(), ref);
  }

  checks(): string[] {
    return checkRoutedEndpoint(this.spec(), this.ref.tag);
  }

  /** The host routes the /32 both ways; no rule of hostnet's accepts it in FORWARD. (The firewall scan reads iptables: IPv4 only.) */
  forwardedFlows(): Flow[] {
    const v4 = this.ipOf(4);
    if (v4 === undefined) return [];
    return [
      { dir: "from", cidr: `${v4}/32`, own: false },
      { dir: "to", cidr: `${v4}/32`, own: false },
    ];
  }

  dependencies(): NetObject[] {
    return [this.namespace, ...this.forwarding];
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    return [["props.namespace", this.namespace]];
  }

  routes(): Array<{ destination: string; via?: string; namespace?: Namespace; onlink?: boolean }> {
    return [
      ...(this.ipOf(4) !== undefined ? [{ destination: "default", via: this.gateway, namespace: this.namespace, onlink: true }] : []),
      // A link-local next hop is on every IPv6 link: no connected subnet needed.
      ...(this.ipOf(6) !== undefined ? [{ destination: "default", via: this.gateway6, namespace: this.namespace, onlink: true }] : []),
    ];
  }

  interfaces(): Array<{ name: string; namespace?: Namespace }> {
    return [{ name: this.hostName }, { name: this.name, namespace: this.namespace }];
  }

  assignedAddresses(): Array<{ cidr: string; iface: string; namespace?: Namespace }> {
    return this.cidrs.map((cidr) => ({ cidr, iface: this.name, namespace: this.namespace }));
  }

  summary(): ObjectSummary {
    return {
      kind: "routed",
      name: `${this.hostName} ~ ${this.name}`,
      where: `root ~ ${placeName(this.namespace)}`,
      addresses: this.cidrs,
      detail: [
        ...(this.ipOf(4) !== undefined
          ? [`default via ${this.gateway} onlink; proxy_arp on ${this.hostName}; route ${this.ipOf(4)}/32 dev ${this.hostName}`]
          : []),
        ...(this.ipOf(6) !== undefined
          ? [`default via ${this.gateway6}; proxy_ndp on ${this.hostName} for ${this.gateway6}; route ${this.ipOf(6)}/128 dev ${this.hostName}`]
          : []),
        `mtu ${this.mtu}`,
      ].join("; "),
    };
  }

  protected validateObject(): string[] {
    const errs: string[] = [];
    if (this.givenAddresses.length === 0) errs.push(`has no address. Set props.address to an address, or a list of one IPv4 and one IPv6 address.`);
    const families = new Map<number, string>();
    this.givenAddresses.forEach((given, i) => {
      const what = this.givenAddresses.length > 1 ? `address[${i}]` : "address";
      const text = given instanceof Address ? given.ip : String(given);
      const r = text.includes("/") ? parseAnyPrefix(text, false) : parseAnyAddress(text);
      if (r.problem !== undefined) {
        errs.push(`${what}: ${r.problem}`);
        return;
      }
      const family = r.value.family;
      const full = family === 4 ? 32 : 128;
      const bare = printable(text.split("/")[0]);
      if (!(given instanceof Address) && "prefix" in r.value && r.value.prefix !== full)
        errs.push(
          `${what} ${printable(text)} has prefix /${r.value.prefix}; a routed endpoint carries a /${full}. Write ${bare} or ${bare}/${full}.`,
        );
      if (family === 6 && isLinkLocal6({ family, value: "value" in r.value ? r.value.value : r.value.address }))
        errs.push(`${what} ${bare} is link-local; a routed endpoint needs a routable address (e.g. from fd00::/8). Use another address.`);
      const first = families.get(family);
      if (first !== undefined)
        errs.push(`${what} ${bare} is a second IPv${family} address (after ${first}); a routed endpoint has one address per family. Remove one.`);
      else families.set(family, bare);
    });
    if (this.ipOf(4) !== undefined) {
      errs.push(...nonNull(ipProblem(this.gateway, "gateway")));
      if (this.gateway === this.ipOf(4))
        errs.push(
          `gateway ${this.gateway} is the endpoint's own address. Leave props.gateway unset (169.254.1.1) or pick an address no interface has.`,
        );
    }
    if (this.ipOf(6) !== undefined) {
      const g = parseAnyAddress(this.gateway6);
      if (g.problem !== undefined) errs.push(`gateway6: ${g.problem}`);
      else if (!isLinkLocal6(g.value))
        errs.push(
          `gateway6 ${printable(this.gateway6)} is not link-local (fe80::/10); the host-side veth answers for it by proxy NDP on that link only. ` +
            `Leave props.gateway6 unset (fe80::1) or use another fe80:: address.`,
        );
    }
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

function isList(a: RoutedAddress | readonly RoutedAddress[]): a is readonly RoutedAddress[] {
  return Array.isArray(a);
}

/** RFC 5952 form of a valid address; the text as given otherwise (validation reports it). */
function canonical(text: string): string {
  const a = parseAnyAddress(text).value;
  return a ? formatIp(a.family, a.value) : text;
}
