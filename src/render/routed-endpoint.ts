import { deleteOwnedLink, ensureLink, ip, ROUTE_PROTO } from "./common";
import { argv, shq } from "./quote";
import { Hooks, ObjectRef } from "./types";

/**
 * A routed endpoint (Calico style): a veth from the root namespace into a
 * namespace, no bridge. The namespace holds one /32 and sends everything to a
 * gateway address that exists nowhere; the host-side veth answers ARP for it
 * (proxy ARP) and the host routes the /32 back through the veth.
 */
export interface RoutedEndpointSpec {
  /** Host-side veth, in the root namespace. */
  readonly hostName: string;
  readonly netns: string;
  /** Veth end inside the namespace. */
  readonly name: string;
  /** Dotted quad; carried as a /32. */
  readonly address: string;
  readonly gateway: string;
  readonly mtu: number;
}

export function renderRoutedEndpoint(e: RoutedEndpointSpec, ref: ObjectRef): Hooks {
  const host32 = `${e.address}/32`;
  const add = [
    `if ${ip(e.netns, "link", "show", "dev", e.name)} >/dev/null 2>&1; then ` +
      `hn_fail ${shq(`interface ${e.name} already exists in namespace ${e.netns}; remove it or choose another name for this endpoint`)}; fi`,
    argv("ip", "link", "add", "name", e.hostName, "type", "veth", "peer", "name", e.name, "netns", e.netns),
  ];
  const show = ip(undefined, "route", "show", "exact", host32);
  const create = [
    ...ensureLink(undefined, e.hostName, ref.tag, add, "interface"),
    ip(e.netns, "link", "set", "dev", e.name, "alias", ref.tag),
    ip(undefined, "link", "set", "dev", e.hostName, "mtu", e.mtu),
    ip(e.netns, "link", "set", "dev", e.name, "mtu", e.mtu),
    ip(e.netns, "addr", "replace", host32, "dev", e.name),
    ip(e.netns, "link", "set", "dev", e.name, "up"),
    ip(undefined, "link", "set", "dev", e.hostName, "up"),
    // The host-side veth answers ARP for any address the host routes through another interface
    // (the gateway included), with its own MAC, and without the default random delay of up to 0.8 s.
    `echo 1 > ${shq(`/proc/sys/net/ipv4/conf/${e.hostName}/proxy_arp`)}`,
    `echo 0 > ${shq(`/proc/sys/net/ipv4/neigh/${e.hostName}/proxy_delay`)}`,
    // onlink: the gateway is in no subnet of the namespace; ARP for it on eth0 anyway.
    ip(e.netns, "route", "replace", "default", "via", e.gateway, "dev", e.name, "onlink"),
    `cur=$(${show})`,
    `if [ -n "$cur" ] && ! printf '%s\\n' "$cur" | grep -q ' ` +
      `proto ${ROUTE_PROTO}'; then ` +
      `hn_fail ${shq(`a route to ${host32} already exists in the root namespace and hostnet did not add it; remove it or give this endpoint another address`)}; fi`,
    ip(undefined, "route", "replace", host32, "dev", e.hostName, "scope", "link", "proto", ROUTE_PROTO),
  ];
  // Deleting the host end deletes the namespace end, the /32 route through it and its proxy_arp setting.
  return { create, destroy: deleteOwnedLink(undefined, e.hostName, ref.tag) };
}
