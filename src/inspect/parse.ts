/**
 * Pure parsing of the inspect probe's output (src/inspect/probe.ts): iproute2's
 * JSON per namespace, plus the hostnet-tagged lines of iptables-save, into one
 * picture of the host in which every veth end knows where its peer lives.
 */
import { HostnetError } from "../errors";
import { INSPECT_MARK } from "./probe";

/** Where a veth's other end is. */
export interface VethPeer {
  /** ifindex of the peer in its own namespace. */
  readonly ifindex: number;
  /** Namespace of the peer: undefined is the host's root namespace. Only meaningful when `found`. */
  readonly netns?: string;
  readonly name?: string;
  /** False when the peer is in no namespace the probe saw (e.g. outside a test host) or is ambiguous. */
  readonly found: boolean;
}

export interface InspectedLink {
  /** undefined: the host's root namespace. */
  readonly netns?: string;
  readonly ifindex: number;
  readonly name: string;
  /** "veth", "bridge", "vxlan", ... or the link type ("loopback", "ether") for plain devices. */
  readonly kind: string;
  readonly up: boolean;
  readonly operstate: string;
  readonly mtu: number;
  /** Bridge (or other master) this link is a port of. */
  readonly master?: string;
  /** The alias; hostnet stores its tag there. */
  readonly alias?: string;
  /** Addresses in CIDR form: IPv4, then IPv6 (link-local fe80:: ones left out: the kernel derives them). */
  readonly addresses: readonly string[];
  /** For a veth: its peer. */
  readonly peer?: VethPeer;
}

export interface InspectedBridge {
  readonly netns?: string;
  readonly name: string;
  readonly addresses: readonly string[];
  /** Names of its ports, sorted. */
  readonly ports: readonly string[];
}

export interface InspectedRoute {
  readonly netns?: string;
  /** "default" or a CIDR. */
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly protocol?: string;
  /** The route as `ip route` would print it. */
  readonly text: string;
  /** 6 for an IPv6 route; absent for IPv4. */
  readonly family?: 6;
}

/** An IPv6 proxy neighbour entry (`ip -6 neigh add proxy <address> dev <dev>`): the link answers NDP for the address. */
export interface InspectedProxy {
  readonly netns?: string;
  readonly address: string;
  readonly dev: string;
}

export interface InspectedNatRule {
  readonly netns?: string;
  readonly table: string;
  readonly chain: string;
  /** The rule as iptables-save lists it, without the comment match. */
  readonly rule: string;
  /** hostnet's tag: "hostnet:<stack>:<construct path>". */
  readonly tag: string;
  /** 6 for an ip6tables rule; absent for iptables. */
  readonly family?: 6;
}

export interface HostInspection {
  /** The host's hostname. */
  readonly hostname: string;
  /** Named namespaces, sorted. */
  readonly namespaces: readonly string[];
  readonly links: readonly InspectedLink[];
  readonly bridges: readonly InspectedBridge[];
  readonly routes: readonly InspectedRoute[];
  /** IPv6 proxy neighbour entries (proxy NDP). */
  readonly proxies: readonly InspectedProxy[];
  readonly nat: readonly InspectedNatRule[];
}

/** One namespace's raw sections. */
export interface PlaceDump {
  /** undefined: root. */
  readonly netns?: string;
  readonly link: string;
  readonly addr: string;
  readonly route: string;
  /** `ip -6 -j route`; absent from an older probe's output. */
  readonly route6?: string;
  /** `ip -6 -j neigh show proxy`. */
  readonly proxy6?: string;
  readonly nsid: string;
  readonly nat: string;
  /** ip6tables-save lines: table headers and hostnet's rules. */
  readonly nat6?: string;
}

/** Splits the probe's output into the hostname and one dump per namespace (root first). */
export function splitProbeOutput(output: string): { hostname: string; places: PlaceDump[] } {
  let hostname = "";
  const places: PlaceDump[] = [];
  let current: Record<string, string[]> | undefined;
  let section = "";
  let complete = false;
  const flush = () => {
    if (!current) return;
    const j = (k: string) => (current![k] ?? []).join("\n");
    const name = j("@place");
    places.push({
      ...(name !== "" ? { netns: name } : {}),
      link: j("link"),
      addr: j("addr"),
      route: j("route"),
      route6: j("route6"),
      proxy6: j("proxy6"),
      nsid: j("nsid"),
      nat: j("nat"),
      nat6: j("nat6"),
    });
  };
  for (const line of output.split("\n")) {
    if (line.startsWith(`${INSPECT_MARK} `)) {
      const rest = line.slice(INSPECT_MARK.length + 1);
      const [word] = rest.split(" ", 1);
      const arg = rest.slice(word.length + 1);
      if (word === "host") hostname = arg;
      else if (word === "place") {
        flush();
        current = { "@place": [arg] };
        section = "";
      } else if (word === "end") complete = true;
      else section = word;
      continue;
    }
    if (current && section) (current[section] ??= []).push(line);
  }
  flush();
  if (!complete || places.length === 0)
    throw new HostnetError(
      `the inspect probe's output is incomplete (${places.length} namespaces read); the connection may have dropped. Run it again.`,
      1,
    );
  return { hostname, places };
}

// The parts of iproute2's JSON that inspect reads.
interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu?: number;
  operstate?: string;
  link_type?: string;
  master?: string;
  ifalias?: string;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_slave_kind?: string };
}
interface IpAddr {
  ifname: string;
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
  type?: string;
}
interface IpNsid {
  nsid: number;
  name?: string;
}

function json<T>(text: string, what: string, netns?: string): T[] {
  const t = text.trim();
  if (t === "") return [];
  try {
    const v = JSON.parse(t);
    return Array.isArray(v) ? (v as T[]) : [];
  } catch (e) {
    throw new HostnetError(
      `cannot read ${what} of ${netns ? `namespace ${netns}` : "the root namespace"}: ${(e as Error).message}. Is iproute2 new enough for -j (JSON)?`,
      1,
    );
  }
}

/** Addresses per interface name: IPv4, then IPv6 without the link-local ones (the kernel makes those for every link). */
export function parseAddrs(text: string, netns?: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of json<IpAddr>(text, "addresses", netns)) {
    const info = a.addr_info ?? [];
    const v4 = info.filter((i) => i.family === "inet" && i.local).map((i) => `${i.local}/${i.prefixlen}`);
    const v6 = info.filter((i) => i.family === "inet6" && i.local && !isLinkLocalText(i.local)).map((i) => `${i.local}/${i.prefixlen}`);
    out.set(a.ifname, [...v4, ...v6]);
  }
  return out;
}

function isLinkLocalText(address: string): boolean {
  return /^fe[89ab][0-9a-f]?:/i.test(address);
}

/** `ip route`-style text of a route from `ip -j route`. */
export function routeText(r: IpRoute): string {
  return [
    r.type && r.type !== "unicast" ? `${r.type} ` : "",
    r.dst,
    r.gateway ? ` via ${r.gateway}` : "",
    r.dev ? ` dev ${r.dev}` : "",
    r.protocol && r.protocol !== "boot" ? ` proto ${r.protocol}` : "",
    r.scope && r.scope !== "global" ? ` scope ${r.scope}` : "",
    r.prefsrc ? ` src ${r.prefsrc}` : "",
    r.metric !== undefined ? ` metric ${r.metric}` : "",
  ].join("");
}

export function parseRoutes(text: string, netns?: string, family?: 6): InspectedRoute[] {
  return (
    json<IpRoute>(text, "routes", netns)
      // Every IPv6 link gets a kernel route to fe80::/64 (and multicast ones): noise, not configuration.
      .filter((r) => family !== 6 || !(r.protocol === "kernel" && (isLinkLocalText(r.dst) || r.type === "multicast")))
      .map((r) => ({
        ...(netns !== undefined ? { netns } : {}),
        dst: r.dst,
        ...(r.gateway ? { gateway: r.gateway } : {}),
        ...(r.dev ? { dev: r.dev } : {}),
        ...(r.protocol ? { protocol: r.protocol } : {}),
        text: routeText(r),
        ...(family === 6 ? { family } : {}),
      }))
  );
}

/** IPv6 proxy neighbour entries from `ip -6 -j neigh show proxy`. */
export function parseProxies(text: string, netns?: string): InspectedProxy[] {
  return json<{ dst?: string; dev?: string }>(text, "proxy neighbours", netns)
    .filter((n) => n.dst && n.dev)
    .map((n) => ({ ...(netns !== undefined ? { netns } : {}), address: n.dst!, dev: n.dev! }));
}

const TAG = /\s*-m comment --comment ("hostnet:[^"]*"|hostnet:\S*)/;

/** The hostnet-tagged rules among iptables-save lines (table headers give the table). */
export function parseNat(text: string, netns?: string, family?: 6): InspectedNatRule[] {
  const out: InspectedNatRule[] = [];
  let table = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) {
      table = line.slice(1).trim();
      continue;
    }
    const m = TAG.exec(line);
    const chain = /^-A (\S+)/.exec(line)?.[1];
    if (!m || !chain) continue;
    out.push({
      ...(netns !== undefined ? { netns } : {}),
      table,
      chain,
      rule: line.replace(TAG, "").trim(),
      tag: m[1].replace(/^"|"$/g, ""),
      ...(family === 6 ? { family } : {}),
    });
  }
  return out;
}

interface RawLink {
  link: IpLink;
  netns?: string;
  nsids: Map<number, string>;
}

/**
 * Every link of every namespace, with veth peers resolved through each veth's peer_ifindex
 * with `ethtool -S` (peer_ifindex), using iproute2's link_index instead: the
 * peer is the link with that ifindex whose own link_index points back, in the
 * namespace the nsid names (or, for the unnamed root namespace, the only one
 * that fits).
 */
export function parseLinks(places: readonly PlaceDump[]): InspectedLink[] {
  const raw: RawLink[] = [];
  for (const p of places) {
    const nsids = new Map<number, string>();
    for (const n of json<IpNsid>(p.nsid, "namespace ids", p.netns)) if (n.name !== undefined) nsids.set(n.nsid, n.name);
    for (const link of json<IpLink>(p.link, "links", p.netns)) raw.push({ link, netns: p.netns, nsids });
  }
  const addrs = new Map(places.map((p) => [p.netns ?? "", parseAddrs(p.addr, p.netns)]));
  const isVeth = (l: IpLink) => l.linkinfo?.info_kind === "veth";
  const pointsBack = (cand: RawLink, me: RawLink) =>
    isVeth(cand.link) && cand.link.ifindex === me.link.link_index && cand.link.link_index === me.link.ifindex;

  const peerOf = (me: RawLink): VethPeer | undefined => {
    const k = me.link.link_index;
    if (!isVeth(me.link) || k === undefined) return undefined;
    let found: RawLink[];
    if (me.link.link_netnsid === undefined) {
      found = raw.filter((c) => c.netns === me.netns && c !== me && pointsBack(c, me));
    } else {
      const named = me.nsids.get(me.link.link_netnsid);
      found = named !== undefined ? raw.filter((c) => c.netns === named && pointsBack(c, me)) : [];
      // Unnamed (the root namespace seen from inside) or stale: any other namespace that fits.
      if (found.length === 0) found = raw.filter((c) => c.netns !== me.netns && c.link.link_netnsid !== undefined && pointsBack(c, me));
    }
    if (found.length !== 1) return { ifindex: k, found: false };
    return { ifindex: k, ...(found[0].netns !== undefined ? { netns: found[0].netns } : {}), name: found[0].link.ifname, found: true };
  };

  return raw.map((r) => {
    const l = r.link;
    const peer = peerOf(r);
    return {
      ...(r.netns !== undefined ? { netns: r.netns } : {}),
      ifindex: l.ifindex,
      name: l.ifname,
      kind: l.linkinfo?.info_kind ?? l.link_type ?? "device",
      up: (l.flags ?? []).includes("UP"),
      operstate: l.operstate ?? "UNKNOWN",
      mtu: l.mtu ?? 0,
      ...(l.master ? { master: l.master } : {}),
      ...(l.ifalias ? { alias: l.ifalias } : {}),
      addresses: addrs.get(r.netns ?? "")?.get(l.ifname) ?? [],
      ...(peer ? { peer } : {}),
    };
  });
}

/** Bridges and their ports, from the links. */
export function bridgesOf(links: readonly InspectedLink[]): InspectedBridge[] {
  return links
    .filter((l) => l.kind === "bridge")
    .map((b) => ({
      ...(b.netns !== undefined ? { netns: b.netns } : {}),
      name: b.name,
      addresses: b.addresses,
      ports: links
        .filter((p) => p.netns === b.netns && p.master === b.name)
        .map((p) => p.name)
        .sort(),
    }));
}

/** The whole picture of a host from the probe's output. */
export function parseInspection(output: string): HostInspection {
  const { hostname, places } = splitProbeOutput(output);
  const links = parseLinks(places);
  return {
    hostname,
    namespaces: places
      .filter((p) => p.netns !== undefined)
      .map((p) => p.netns!)
      .sort(),
    links,
    bridges: bridgesOf(links),
    routes: places.flatMap((p) => [...parseRoutes(p.route, p.netns), ...parseRoutes(p.route6 ?? "", p.netns, 6)]),
    proxies: places.flatMap((p) => parseProxies(p.proxy6 ?? "", p.netns)),
    nat: places.flatMap((p) => [...parseNat(p.nat, p.netns), ...parseNat(p.nat6 ?? "", p.netns, 6)]),
  };
}
