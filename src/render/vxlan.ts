import { deleteOwnedLink, ensureLink, ip } from "./common";
import { argv, shq } from "./quote";
import { Hooks, ObjectRef } from "./types";

/** A VXLAN device in the host's root namespace, flooding to a static list of peers. */
export interface VxlanSpec {
  readonly name: string;
  /** VXLAN network identifier (24 bits). */
  readonly vni: number;
  /** UDP destination port. */
  readonly port: number;
  /** Underlay source address (IPv4 or IPv6, canonical). */
  readonly local: string;
  /** Underlay device the encapsulated packets leave through. */
  readonly parent: string;
  readonly mtu: number;
  /** Underlay addresses of the other ends. */
  readonly peers: readonly string[];
  /** Bridge (root namespace) to enslave the device to. */
  readonly master?: string;
  /** Addresses of the device itself, in CIDR form. */
  readonly addresses: readonly string[];
}

// The all-zeros MAC is the default fdb entry: frames for unknown MACs (ARP broadcasts
// included) go to every such entry, so each peer gets a copy without multicast.
const FLOOD_MAC = "00:00:00:00:00:00";

/**
 * `nolearning`: the device never learns remote MACs from the traffic it decapsulates;
 * flooding to the static peer list is what delivers frames, like flannel's vxlan
 * backend with the fdb filled up front.
 */
export function renderVxlan(v: VxlanSpec, ref: ObjectRef): Hooks {
  const add = [
    `${ip(undefined, "link", "show", "dev", v.parent)} >/dev/null 2>&1 || hn_fail ${shq(`parent device ${v.parent} of vxlan ${v.name} does not exist in the root namespace; fix props.parent`)}`,
    ip(undefined, "link", "add", "name", v.name, "type", "vxlan", "id", v.vni, "local", v.local, "dev", v.parent, "dstport", v.port, "nolearning"),
  ];
  const create = [
    ...ensureLink(undefined, v.name, ref.tag, add, "interface"),
    ip(undefined, "link", "set", "dev", v.name, "mtu", v.mtu),
    // `append` adds a second entry for the same MAC; the check keeps a re-run from duplicating one.
    ...v.peers.map(
      (p) =>
        `${argv("bridge", "fdb", "show", "dev", v.name)} | grep -qF ${shq(`${FLOOD_MAC} dst ${p} `)} || ${argv("bridge", "fdb", "append", FLOOD_MAC, "dev", v.name, "dst", p)}`,
    ),
    ...(v.master ? [ip(undefined, "link", "set", "dev", v.name, "master", v.master)] : []),
    // nodad: an IPv6 address is usable at once, not after duplicate address detection (~1 s).
    ...v.addresses.map((a) =>
      a.includes(":") ? ip(undefined, "addr", "replace", a, "dev", v.name, "nodad") : ip(undefined, "addr", "replace", a, "dev", v.name),
    ),
    ip(undefined, "link", "set", "dev", v.name, "up"),
  ];
  // The fdb entries go with the device.
  return { create, destroy: deleteOwnedLink(undefined, v.name, ref.tag) };
}
