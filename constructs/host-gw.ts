import { Construct } from "constructs";
import { Cidr4, formatCidr4, overlaps } from "../src/ipam/ipv4";
import { parseCidr, parseIp } from "../src/validate/address";
import { printable } from "../src/validate/names";
import { Host } from "./host";
import { Route } from "./route";
import { addProblems } from "./problems";
import { otherHostProblems, scopeHost } from "./same-host";
import { Subnet } from "./subnet";

/** One host of a host-gw network: its own subnet and the address the others reach it at. */
export interface HostGwMember {
  readonly host: Host;
  /** The subnet (or block of /32 endpoints) that lives on this host: a Subnet or a CIDR. */
  readonly subnet: Subnet | string;
  /** This host's address on the network every member shares; the others route `subnet` via it. @default the host's SSH address */
  readonly address?: string;
}

export interface HostGwProps {
  /** Every host of the network, this one included. */
  readonly members: readonly HostGwMember[];
}

/**
 * Cross-host routing, flannel host-gw style, on one host: a Route to every other
 * member's subnet via that member's address, and net.ipv4.ip_forward on. Needs
 * the hosts on one L2 segment (the next hop must be directly reachable).
 * `HostGw.connect` creates one on each member.
 *
 * @example
 * ```ts
 * HostGw.connect([
 *   { host: a, subnet: "10.70.0.0/24" },
 *   { host: b, subnet: "10.71.0.0/24" },
 * ]); // on a: 10.71.0.0/24 via b's address; on b: 10.70.0.0/24 via a's
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
    for (const m of props.members) {
      const rid = `to-${m.host.node.id}`;
      // A host listed twice is reported by validate(); one route per host is enough.
      if (m.host === host || ids.has(rid)) continue;
      ids.add(rid);
      this.routes.push(new Route(this, rid, { destination: cidrOf(m.subnet), via: addressOf(m) }));
    }
    host.enableForwarding();
    addProblems(this, () => this.validate());
  }

  private validate(): string[] {
    const errs: string[] = [];
    const ms = this.members;
    if (!ms.some((m) => m.host === this.host))
      errs.push(`host ${this.host.node.path} is not among the members. Add it with its own subnet, or create the HostGw on a member host.`);
    if (ms.length < 2) errs.push(`a host-gw network needs at least two members; got ${ms.length}.`);
    const seen = new Map<Host, number>();
    const nets: Array<{ m: HostGwMember; c: Cidr4 }> = [];
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
      const ip = parseIp(addressOf(m));
      if (ip.problem !== undefined)
        errs.push(
          `${who} address: ${ip.problem}${m.address === undefined ? " Set the member's address to the host's IPv4 address on the shared network." : ""}`,
        );
      const net = parseCidr(cidrOf(m));
      if (net.problem !== undefined) errs.push(`${who} subnet "${printable(cidrOf(m))}": ${net.problem}`);
      else {
        const c = net.value;
        const clash = nets.find((n) => overlaps(n.c, c));
        if (clash)
          errs.push(`${who} subnet ${formatCidr4(c)} overlaps ${formatCidr4(clash.c)} of ${clash.m.host.node.path}; each host needs its own subnet.`);
        nets.push({ m, c });
      }
    });
    return errs;
  }
}

function cidrOf(x: Subnet | string | HostGwMember): string {
  if (x instanceof Subnet) return x.cidr;
  if (typeof x === "string") return x;
  return cidrOf(x.subnet);
}

function addressOf(m: HostGwMember): string {
  return m.address ?? m.host.target.address;
}
