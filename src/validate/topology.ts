/**
 * Checks across the objects of one host: what no single construct can see.
 * Input is plain data gathered from the construct tree; each problem is about the
 * later object (its path) and names the clash and the fix.
 */
import { cidrContains, cidrsOverlap, formatAnyCidr, formatIp, IpCidr, isLinkLocal6 } from "../ipam/ip";
import { parseAnyAddress, parseAnyPrefix } from "./address";
import { PathProblem } from "./problem";

export interface NamedThing {
  readonly name: string;
  /** "root" or "netns <name>". */
  readonly place: string;
  readonly path: string;
}

export interface AssignedAddress {
  /** "a.b.c.d/len" or "fd00::2/64" */
  readonly cidr: string;
  readonly place: string;
  readonly iface: string;
  readonly path: string;
  /** Path of the Subnet it came from, when it came from IPAM. */
  readonly subnet?: string;
}

export interface SubnetUse {
  readonly cidr: string;
  readonly path: string;
}

export interface Publish {
  readonly protocol: string;
  readonly port: number;
  readonly hostAddress?: string;
  /** 6: published through ip6tables; an IPv4 and an IPv6 rule for one port do not clash (Docker publishes both). */
  readonly family?: 6;
  readonly path: string;
}

export interface RouteUse {
  /** "default" or a CIDR. */
  readonly destination: string;
  /** Next hop; a route without one is a link route (its destination is connected). */
  readonly via?: string;
  /** The kernel takes the next hop as on-link without checking it. */
  readonly onlink?: boolean;
  readonly place: string;
  readonly path: string;
}

/**
 * A source NAT rule in POSTROUTING. A masquerade is appended; an SNAT and a 1:1 NAT's
 * SNAT go first (`-I POSTROUTING 1`, nft `insert rule`, see Rule.first in
 * src/render/nat.ts), so one address or subnet can leave differently from the
 * masqueraded subnet around it whatever order Terraform creates them in.
 */
export interface SourceNatUse {
  readonly kind: "masquerade" | "snat" | "static";
  /** Source CIDR (a 1:1 NAT's inside address as /32 or /128). */
  readonly source: string;
  /** SNAT: only traffic leaving through this interface. */
  readonly outInterface?: string;
  /** Masquerade: not traffic leaving through this interface (its subnet's own bridge). */
  readonly notOutInterface?: string;
  readonly place: string;
  readonly path: string;
}

export interface HostFacts {
  readonly namespaces: readonly NamedThing[];
  readonly interfaces: readonly NamedThing[];
  readonly addresses: readonly AssignedAddress[];
  readonly subnets: readonly SubnetUse[];
  readonly publishes: readonly Publish[];
  /** Routes, for the next-hop check; routes in the root namespace are not checked (hostnet does not see the host's own interfaces). */
  readonly routes?: readonly RouteUse[];
  readonly sourceNats?: readonly SourceNatUse[];
}

export function checkHostFacts(f: HostFacts): PathProblem[] {
  return [
    ...dupes(
      f.namespaces,
      (n) => n.name,
      (n, first) => `namespace name "${n.name}" is also used by ${first.path} on this host. Give one of them another name (props.name).`,
    ),
    ...dupes(
      f.interfaces,
      (i) => `${i.place}|${i.name}`,
      (i, first) => `interface name "${i.name}" in ${placeWords(i.place)} is also used by ${first.path}. Set a different name on one of them.`,
    ),
    ...dupes(
      // IPv6 link-local addresses are per link (fe80::1 may be the gateway on every veth): not compared.
      f.addresses.filter((a) => !linkLocal(a.cidr)),
      (a) => addressKey(a.cidr),
      (a, first) =>
        `address ${a.cidr.split("/")[0]} (on ${a.iface}) is also assigned to ${first.iface} by ${first.path}. Give one of them another address, or allocate both from a Subnet.`,
    ),
    ...subnetOverlaps(f.subnets),
    ...dupes(
      f.publishes,
      (p) => `${p.family ?? 4}|${p.protocol}|${p.port}|${p.hostAddress ?? "*"}`,
      (p, first) => `host port ${p.protocol}/${p.port} is already published by ${first.path}. Use another hostPort.`,
    ),
    ...unreachableNextHops(f.addresses, f.routes ?? []),
    ...sourceNatClashes(f.sourceNats ?? []),
  ];
}

// One address, whatever its spelling ("FD00::0001" is fd00::1); text that does not parse is compared as written.
function addressKey(cidr: string): string {
  const ip = cidr.split("/")[0];
  const a = parseAnyAddress(ip).value;
  return a ? formatIp(a.family, a.value) : ip;
}

function linkLocal(cidr: string): boolean {
  const a = parseAnyAddress(cidr.split("/")[0]).value;
  return a !== undefined && isLinkLocal6(a);
}

/**
 * A next hop must lie on a subnet connected to the route's namespace: one of
 * its interfaces' addresses covers it, or a link route does. Otherwise the
 * kernel refuses the route at deploy, halfway, with "Nexthop has invalid gateway".
 * Both families; each next hop is compared with the subnets of its own family,
 * and an IPv6 link-local next hop (fe80::/10) is on the link by definition.
 */
function unreachableNextHops(addresses: readonly AssignedAddress[], routes: readonly RouteUse[]): PathProblem[] {
  const connected = new Map<string, IpCidr[]>();
  const add = (place: string, cidr: string) => {
    const c = parseAnyPrefix(cidr, false).value;
    if (!c) return;
    const list = connected.get(place) ?? [];
    if (!list.some((x) => x.family === c.family && x.network === c.network && x.prefix === c.prefix)) list.push(c);
    connected.set(place, list);
  };
  for (const a of addresses) add(a.place, a.cidr);
  for (const r of routes) if (r.via === undefined && r.destination !== "default") add(r.place, r.destination);
  const out: PathProblem[] = [];
  for (const r of routes) {
    if (r.via === undefined || r.onlink || r.place === "root") continue;
    const ip = parseAnyAddress(r.via).value;
    if (ip === undefined || isLinkLocal6(ip)) continue; // a bad value is reported by the route itself
    const nets = (connected.get(r.place) ?? []).filter((c) => c.family === ip.family);
    if (nets.some((c) => cidrContains(c, ip))) continue;
    // IPv4 keeps the wording it had before IPv6; an IPv6 next hop says which family it looked at.
    const fam = ip.family === 6 ? "IPv6 " : "";
    const have = nets.length ? `its connected ${fam}subnets are ${nets.map(formatAnyCidr).join(", ")}` : `it has no ${fam}address`;
    out.push({
      path: r.path,
      message:
        `next hop ${r.via} is on no subnet connected to ${r.place} (${have}); the kernel would refuse the route at deploy ("Nexthop has invalid gateway"). ` +
        `Use a gateway inside a connected subnet, or give ${r.place} an address in the gateway's subnet.`,
    });
  }
  return out;
}

function dupes<T extends { readonly path: string }>(items: readonly T[], key: (t: T) => string, message: (t: T, first: T) => string): PathProblem[] {
  const seen = new Map<string, T>();
  const out: PathProblem[] = [];
  for (const it of items) {
    const k = key(it);
    const first = seen.get(k);
    if (first === undefined) seen.set(k, it);
    else out.push({ path: it.path, message: message(it, first) });
  }
  return out;
}

// Within a family: an IPv4 and an IPv6 subnet never overlap (a dual-stack network is one of each).
function subnetOverlaps(subnets: readonly SubnetUse[]): PathProblem[] {
  const parsed: Array<{ s: SubnetUse; c: IpCidr }> = [];
  const out: PathProblem[] = [];
  for (const s of subnets) {
    const c = parseAnyPrefix(s.cidr).value;
    if (c === undefined) continue; // reported by the Subnet itself
    const clash = parsed.find((p) => cidrsOverlap(p.c, c));
    if (clash)
      out.push({
        path: s.path,
        message: `subnet ${formatAnyCidr(c)} overlaps ${formatAnyCidr(clash.c)} of ${clash.s.path} on the same host. Use non-overlapping subnets.`,
      });
    parsed.push({ s, c });
  }
  return out;
}

const NAT_WORDS: Record<SourceNatUse["kind"], string> = { masquerade: "masquerade", snat: "SNAT", static: "1:1 NAT" };

/**
 * Source NAT rules of one place whose sources overlap, where the order in
 * POSTROUTING decides and Terraform's creation order would pick it: two rules
 * that both go first (the one created last would win), or a masquerade inside
 * the source of an SNAT or 1:1 NAT (it would never apply). An SNAT or 1:1 NAT
 * inside a masquerade is what going first is for; two masquerades translate
 * alike; SNATs through different interfaces, or an SNAT through the interface
 * a masquerade leaves out, never meet.
 */
function sourceNatClashes(uses: readonly SourceNatUse[]): PathProblem[] {
  const parsed: Array<{ u: SourceNatUse; c: IpCidr }> = [];
  const out: PathProblem[] = [];
  for (const u of uses) {
    const c = parseAnyPrefix(u.source, false).value;
    if (c === undefined) continue; // reported by the rule itself
    for (const p of parsed) {
      if (p.u.place !== u.place || !cidrsOverlap(p.c, c)) continue;
      const clash = sourceNatClash({ ...p.u, c: p.c }, { ...u, c });
      if (clash) {
        out.push({
          path: u.path,
          message: `${NAT_WORDS[u.kind]} of ${formatAnyCidr(c)} overlaps the ${NAT_WORDS[p.u.kind]} of ${formatAnyCidr(p.c)} by ${p.u.path} in ${placeWords(u.place)}: ${clash}`,
        });
        break;
      }
    }
    parsed.push({ u, c });
  }
  return out;
}

function placeWords(place: string): string {
  return place === "root" ? "the root namespace" : place;
}

function sourceNatClash(a: SourceNatUse & { c: IpCidr }, b: SourceNatUse & { c: IpCidr }): string | undefined {
  const firstA = a.kind !== "masquerade";
  const firstB = b.kind !== "masquerade";
  if (!firstA && !firstB) return undefined;
  if (firstA && firstB) {
    if (a.outInterface !== undefined && b.outInterface !== undefined && a.outInterface !== b.outInterface) return undefined;
    return (
      "both go first in POSTROUTING, so whichever Terraform creates last would translate the addresses they share. " +
      "Give them sources that do not overlap (or SNATs different outInterface values), or make the outer one a masquerade."
    );
  }
  const [first, masq] = firstA ? [a, b] : [b, a];
  if (first.c.prefix >= masq.c.prefix) return undefined; // inside the masquerade (they overlap): it goes first, as meant
  if (first.outInterface !== undefined && first.outInterface === masq.notOutInterface) return undefined;
  return (
    `the ${NAT_WORDS[first.kind]} goes first in POSTROUTING, so the masquerade of ${formatAnyCidr(masq.c)} inside it would never apply. ` +
    `Give them sources that do not overlap, or make the ${NAT_WORDS[first.kind]}'s source the addresses it alone should translate.`
  );
}
