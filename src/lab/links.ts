import { must } from "./sys";

/** A link and its IPv4 addresses (CIDR, e.g. "198.18.0.1/24") and IPv6 addresses other than link-local ("fd00:198:18:0::1/64"). */
export interface LinkAddrs {
  readonly name: string;
  readonly ipv4: readonly string[];
  readonly ipv6?: readonly string[];
}

interface IpJsonLink {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

/** Parses `ip -j addr show` output. */
export function parseIpAddrJson(json: string): Map<string, LinkAddrs> {
  const links = new Map<string, LinkAddrs>();
  for (const l of JSON.parse(json || "[]") as IpJsonLink[]) {
    const ipv4 = (l.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
    const ipv6 = (l.addr_info ?? []).filter((a) => a.family === "inet6" && a.scope !== "link").map((a) => `${a.local}/${a.prefixlen}`);
    links.set(l.ifname, { name: l.ifname, ipv4, ipv6 });
  }
  return links;
}

/** Links and their IPv4 addresses in the root namespace, or in a named netns. */
export async function linkAddrs(netns?: string): Promise<Map<string, LinkAddrs>> {
  const args = netns ? ["-n", netns, "-j", "addr", "show"] : ["-j", "addr", "show"];
  return parseIpAddrJson(await must("ip", args));
}
