import { deleteOwnedLink, ensureLink, inNetns, ip, ROUTE_PROTO } from "./common";
import { argv, shq } from "./quote";
import { Hooks, ObjectRef } from "./types";

/**
 * A routed endpoint (Calico style): a veth from the root namespace into a
 * namespace, no bridge. The namespace holds one /32 (and/or one /128) and sends
 * everything to a gateway address that exists nowhere; the host-side veth answers
 * ARP for it (proxy ARP) and, for IPv6, neighbour solicitations (proxy NDP), and
 * the host routes the /32 and /128 back through the veth.
 */
export interface RoutedEndpointSpec {
  /** Host-side veth, in the root namespace. */
  readonly hostName: string;
  readonly netns: string;
  /** Veth end inside the namespace. */
  readonly name: string;
  /** Dotted quad; carried as a /32. Absent for an IPv6-only endpoint. */
  readonly address?: string;
  /** IPv4 gateway (answered by proxy ARP). */
  readonly gateway: string;
  /** IPv6 address in canonical form; carried as a /128. @default none (IPv4 only) */
  readonly address6?: string;
  /** IPv6 gateway, link-local (answered by proxy NDP). Needed with address6. */
  readonly gateway6?: string;
  readonly mtu: number;
}

/** `/proc/sys` writes need the interface name as it is (a sysctl key would turn its dots into slashes). */
function procWrite(netns: string | undefined, file: string, value: number): string {
  return netns ? `${inNetns(netns, "sh", "-c", `echo ${value} > ${shq(file)}`)}` : `echo ${value} > ${shq(file)}`;
}

/** Lines that fail when a route to `dest` exists that hostnet did not add (no proto 199). */
function routeOwnership(dest: string, family: "-4" | "-6"): string[] {
  const show = family === "-6" ? ip(undefined, "-6", "route", "show", "exact", dest) : ip(undefined, "route", "show", "exact", dest);
  return [
    `cur=$(${show})`,
    `if [ -n "$cur" ] && ! printf '%s\\n' "$cur" | grep -q ' ` +
      `proto ${ROUTE_PROTO}'; then ` +
      `hn_fail ${shq(`a route to ${dest} already exists in the root namespace and hostnet did not add it; remove it or give this endpoint another address`)}; fi`,
  ];
}

export function renderRoutedEndpoint(e: RoutedEndpointSpec, ref: ObjectRef): Hooks {
  const host32 = e.address !== undefined ? `${e.address}/32` : undefined;
  const host128 = e.address6 !== undefined ? `${e.address6}/128` : undefined;
  const add = [
    `if ${ip(e.netns, "link", "show", "dev", e.name)} >/dev/null 2>&1; then ` +
      `hn_fail ${shq(`interface ${e.name} already exists in namespace ${e.netns}; remove it or choose another name for this endpoint`)}; fi`,
    argv("ip", "link", "add", "name", e.hostName, "type", "veth", "peer", "name", e.name, "netns", e.netns),
  ];
  // IPv6 on, and no duplicate address detection on either end (as CNI does): the /128 and the
  // host end's link-local address (the source of its proxy neighbour advertisements) work at once.
  const v6ends: Array<[string | undefined, string]> = [
    [e.netns, e.name],
    [undefined, e.hostName],
  ];
  const v6prep = host128
    ? v6ends.flatMap(([ns, dev]) => [
        procWrite(ns, `/proc/sys/net/ipv6/conf/${dev}/disable_ipv6`, 0),
        procWrite(ns, `/proc/sys/net/ipv6/conf/${dev}/accept_dad`, 0),
      ])
    : [];
  const create = [
    ...ensureLink(undefined, e.hostName, ref.tag, add, "interface"),
    ip(e.netns, "link", "set", "dev", e.name, "alias", ref.tag),
    ip(undefined, "link", "set", "dev", e.hostName, "mtu", e.mtu),
    ip(e.netns, "link", "set", "dev", e.name, "mtu", e.mtu),
    ...v6prep,
    ...(host32 ? [ip(e.netns, "addr", "replace", host32, "dev", e.name)] : []),
    ...(host128 ? [ip(e.netns, "addr", "replace", host128, "dev", e.name, "nodad")] : []),
    ip(e.netns, "link", "set", "dev", e.name, "up"),
    ip(undefined, "link", "set", "dev", e.hostName, "up"),
  ];
  if (host32) {
    create.push(
      // The host-side veth answers ARP for any address the host routes through another interface
      // (the gateway included), with its own MAC, and without the default random delay of up to 0.8 s.
      `echo 1 > ${shq(`/proc/sys/net/ipv4/conf/${e.hostName}/proxy_arp`)}`,
      `echo 0 > ${shq(`/proc/sys/net/ipv4/neigh/${e.hostName}/proxy_delay`)}`,
      // onlink: the gateway is in no subnet of the namespace; ARP for it on eth0 anyway.
      ip(e.netns, "route", "replace", "default", "via", e.gateway, "dev", e.name, "onlink"),
      ...routeOwnership(host32, "-4"),
      ip(undefined, "route", "replace", host32, "dev", e.hostName, "scope", "link", "proto", ROUTE_PROTO),
    );
  }
  if (host128 && e.gateway6) {
    create.push(
      // Proxy NDP: the host-side veth answers neighbour solicitations for the link-local gateway,
      // which no interface has (the kernel answers only with forwarding on, which the endpoint turns on).
      `echo 1 > ${shq(`/proc/sys/net/ipv6/conf/${e.hostName}/proxy_ndp`)}`,
      `echo 0 > ${shq(`/proc/sys/net/ipv6/neigh/${e.hostName}/proxy_delay`)}`,
      ip(undefined, "-6", "neigh", "replace", "proxy", e.gateway6, "dev", e.hostName),
      // A link-local next hop needs no onlink: fe80::/64 is on every IPv6 link.
      ip(e.netns, "-6", "route", "replace", "default", "via", e.gateway6, "dev", e.name),
      ...routeOwnership(host128, "-6"),
      ip(undefined, "-6", "route", "replace", host128, "dev", e.hostName, "proto", ROUTE_PROTO),
    );
  }
  // Deleting the host end deletes the namespace end, the /32 and /128 routes through it, its proxy
  // neighbour entry and its proxy_arp/proxy_ndp settings.
  return { create, destroy: deleteOwnedLink(undefined, e.hostName, ref.tag) };
}
