import { Construct } from "constructs";
import { cidrsOverlap, Family, familyOf, formatAnyCidr, formatIp, IpAddress, IpCidr, isLinkLocal6 } from "../src/ipam/ip";
import { parseAnyAddress, parseAnyPrefix, parseIp, Parsed } from "../src/validate/address";
import { printable } from "../src/validate/names";
import { Host } from "./host";
import { ipForwarding } from "./sysctl";
import { Route } from "./route";
import { addProblems } from "./problems";
import { otherHostProblems, scopeHost } from "./same-host";
import { Subnet } from "./subnet";

/** One host of a host-gw network: its own subnet and the address the others reach it at. */
export interface HostGwMember {
  readonly host: Host;
  /**
   * The subnet (or block of /32 or /128 endpoints) that lives on this host: a Subnet or a CIDR of either family.
   * Dual stack: a list, e.g. `["10.70.0.0/24", "fd00:70::/64"]`.
   */
  readonly subnet: Subnet | string | ReadonlyArray<Subnet | string>;
  /**
   * This host's address on the network every member shares; the others route this member's subnets of its
   * family via it. @default the host's SSH address
   */
  readonly address?: string;
  /**
   * This host's IPv6 address on the shared network; the others route this member's IPv6 subnets via it
   * (flannel host-gw for IPv6). Needed when the member has an IPv6 subnet and `address` is IPv4.
   * @default `address` when it is IPv6, else none
   */
  readonly address6?: string;
}

export interface HostGwProps {
  /** Every host of the network, this one included. */
  readonly members: readonly HostGwMember[];
}

/**
 * Cross-host routing, flannel host-gw style, on one host: a Route to every other
 * member's subnet via that member's address, and net.ipv4.ip_forward on. Needs
 * the hosts on one L2 segment (the next hop must be directly reachable).
 * `HostGw.connect` creates one on each member. IPv6 subnets are routed via the
 * members' IPv6 addresses (`address6`), with net.ipv6.conf.all.forwarding on.
 *
 * @example
 * ```ts
 * HostGw.connect([
 *   { host: a, subnet: "10.70.0.0/24" },
 *   { host: b, subnet: "10.71.0.0/24" },
 * ]); // on a: 10.71.0.0/24 via b's address; on b: 10.70.0.0/24 via a's
 * HostGw.connect([
 *   { host: a, subnet: ["10.70.0.0/24", "fd00:70::/64"], address6: "fd00:18::a" },
 *   { host: b, subnet: ["10.71.0.0/24", "fd00:71::/64"], address6: "fd00:18::b" },
 * ], "host-gw-dual"); // on a also: fd00:71::/64 via fd00:18::b
 * ```
 */
export class HostGw extends Construct {
  /** A HostGw on every member, each routing to all the others. */
  static connect(members: readonly HostGwMember[], id = "host-gw"): HostGw[] {
    const hosts = [...new Set(members.map((m) => m.host))];
    return hosts.map((h) => new HostGw(h, id, { members }));
  }

  readonly host: Host;
  /** The routes this host got, one per other member. */
  readonly routes: Route[] = [];
  private readonly members: readonly HostGwMember[];

  constructor(host: Host, id: string, props: HostGwProps) {
    super(host, id);
    this.host = host;
    this.members = props.members;
    const ids = new Set<string>();
    const families = new Set<Family>();
    for (const m of props.members) {
      // A host listed twice is reported by validate(); one set of routes per host is enough.
      if (m.host === host || ids.has(m.host.node.id)) continue;
      ids.add(m.host.node.id);
      const seen = { 4: 0, 6: 0 };
      for (const sub of subnetsOf(m)) {
        const cidr = cidrOf(sub);
        // An unparsable CIDR counts as IPv4 (as before): the Route reports it.
        const family: Family = familyOf(cidr) ?? 4;
        const n = seen[family]++;
        // The first IPv4 route keeps the id it had before dual stack ("to-b"), so existing state is not replaced.
        const rid = `to-${m.host.node.id}${family === 6 ? "-6" : ""}${n > 0 ? `-${n + 1}` : ""}`;
        const via = family === 6 ? address6Of(m) : addressOf(m);
        // A missing IPv6 next hop is reported by validate(); no Route without one.
        if (via === undefined) continue;
        families.add(family);
        this.routes.push(new Route(this, rid, { destination: cidr, via }));
      }
    }
    if (families.has(4) || families.size === 0) host.enableForwarding();
    if (families.has(6)) ipForwarding(host, 6);
    addProblems(this, () => this.validate());
  }

  private validate(): string[] {
    const errs: string[] = [];
    const ms = this.members;
    if (!ms.some((m) => m.host === this.host))
      errs.push(`host ${this.host.node.path} is not among the members. Add it with its own subnet, or create the HostGw on a member host.`);
    if (ms.length < 2) errs.push(`a host-gw network needs at least two members; got ${ms.length}.`);
    const seen = new Map<Host, number>();
    const nets: Array<{ m: HostGwMember; c: IpCidr }> = [];
    ms.forEach((m, i) => {
      const who = `member ${i} (${m.host.node.path})`;
      if (seen.has(m.host)) errs.push(`${who} lists the same host as member ${seen.get(m.host)}. Give each host once, with its own subnet.`);
      seen.set(m.host, i);
      // A Subnet created in another host's scope is that host's, not this member's.
      const subHost = m.subnet instanceof Subnet ? scopeHost(m.subnet) : undefined;
      errs.push(
        ...otherHostProblems(m.host, "HostGw member", [
          [`${who} subnet`, subHost && m.subnet instanceof Subnet ? { host: subHost, node: m.subnet.node } : undefined],
        ]),
      );
      const subs = subnetsOf(m);
      if (subs.length === 0) errs.push(`${who} has no subnet. Give it a Subnet or a CIDR, or a list of one per family.`);
      const fams = new Set<Family>();
      for (const sub of subs) {
        const text = cidrOf(sub);
        const net = parseAnyPrefix(text);
        if (net.problem !== undefined) {
          errs.push(`${who} subnet "${printable(text)}": ${net.problem}`);
          continue;
        }
        const c = net.value;
        fams.add(c.family);
        // Overlap is per family: 10.70.0.0/24 and fd00:70::/64 on one member are dual stack, not a clash.
        const clash = nets.find((n) => cidrsOverlap(n.c, c));
        if (clash)
          errs.push(
            `${who} subnet ${formatAnyCidr(c)} overlaps ${formatAnyCidr(clash.c)} of ${clash.m.host.node.path}; each host needs its own subnet.`,
          );
        nets.push({ m, c });
      }
      const given = addressOf(m);
      const a = parseMemberAddress(given);
      if (a.problem !== undefined)
        errs.push(
          `${who} address: ${a.problem}${m.address === undefined ? " Set the member's address to the host's IPv4 address on the shared network." : ""}`,
        );
      else if (m.address !== undefined && a.value.family === 4 && m.address6 === undefined && fams.has(6) && !fams.has(4))
        errs.push(
          `${who} has only IPv6 subnets but an IPv4 address ${printable(given)}. Set address6 to the host's IPv6 address on the shared network.`,
        );
      if (m.address6 !== undefined) {
        const a6 = parseAnyAddress(m.address6);
        if (a6.problem !== undefined) errs.push(`${who} address6: ${a6.problem}`);
        else if (a6.value.family !== 6)
          errs.push(
            `${who} address6 ${printable(m.address6)} is an IPv4 address. Set address6 to the host's IPv6 address (e.g. fd00:18::a), or drop it.`,
          );
        else if (isLinkLocal6(a6.value))
          errs.push(
            `${who} address6 ${printable(m.address6)} is link-local; a route via it would need the interface named. Use the host's global or ULA address.`,
          );
      }
      if (fams.has(6) && address6Of(m) === undefined)
        errs.push(
          `${who} has an IPv6 subnet, but no IPv6 address the others can route it via (its address is ${printable(given)}). ` +
            `Set address6 to the host's IPv6 address on the shared network.`,
        );
      if (fams.has(4) && a.value?.family === 6)
        errs.push(
          `${who} has an IPv4 subnet, but its address ${printable(given)} is IPv6. Set address to the host's IPv4 address on the shared network.`,
        );
    });
    return errs;
  }
}

function subnetsOf(m: HostGwMember): ReadonlyArray<Subnet | string> {
  return Array.isArray(m.subnet) ? m.subnet : [m.subnet as Subnet | string];
}

function cidrOf(x: Subnet | string): string {
  return x instanceof Subnet ? x.cidr : x;
}

/** The next hop for this member's IPv4 subnets (and for all when it has no address6). */
function addressOf(m: HostGwMember): string {
  return m.address ?? m.host.target.address;
}

/** The next hop for this member's IPv6 subnets, in canonical form, or undefined when it has none. */
function address6Of(m: HostGwMember): string | undefined {
  const text = m.address6 ?? addressOf(m);
  const a = parseAnyAddress(text).value;
  if (a === undefined) return m.address6;
  return a.family === 6 ? formatIp(6, a.value) : undefined;
}

/** An address of either family; text without a ":" gets the IPv4 parser's advice (a DNS name is the usual mistake). */
function parseMemberAddress(text: string): Parsed<IpAddress> {
  if (typeof text === "string" && text.includes(":")) return parseAnyAddress(text);
  const r = parseIp(text);
  return r.problem !== undefined ? r : { value: { family: 4, value: BigInt(r.value) } };
}
