import { addressLines } from "./address";
import { deleteOwnedLink, ensureLink, ip, where } from "./common";
import { shq } from "./quote";
import { Hooks, ObjectRef } from "./types";

/**
 * A link stacked on a parent device (macvlan, ipvlan): created from the parent's
 * namespace and placed straight into its own (`netns`), so its name only has to
 * be free where it ends up.
 */
export interface StackedLinkSpec {
  readonly type: "macvlan" | "ipvlan";
  readonly mode: string;
  readonly name: string;
  /** Namespace the link lives in; undefined: the root namespace. */
  readonly netns?: string;
  readonly parent: string;
  /** Namespace of the parent; undefined: the root namespace. */
  readonly parentNetns?: string;
  readonly mtu: number;
  /** Addresses in CIDR form. */
  readonly addresses: readonly string[];
}

export function renderStackedLink(s: StackedLinkSpec, ref: ObjectRef): Hooks {
  if (s.netns === undefined && s.parentNetns !== undefined) {
    // `netns` takes a name or a pid; the root namespace has no name here.
    throw new Error(`${s.type} ${s.name}: a link on a parent in namespace ${s.parentNetns} cannot be placed in the root namespace`);
  }
  const moves = s.netns !== s.parentNetns;
  const add = [
    `${ip(s.parentNetns, "link", "show", "dev", s.parent)} >/dev/null 2>&1 || ` +
      `hn_fail ${shq(`parent device ${s.parent} of ${s.type} ${s.name} does not exist in ${where(s.parentNetns)}; create it first or fix props.parent`)}`,
    `${ip(s.parentNetns, "link", "add", "link", s.parent, "name", s.name, ...(moves ? ["netns", s.netns!] : []), "type", s.type, "mode", s.mode)} ` +
      `|| hn_fail ${shq(`could not add ${s.type} ${s.name} on ${s.parent} (see the error above); "Unknown device type" means the kernel lacks the ${s.type} module (modprobe ${s.type})`)}`,
  ];
  const create = [
    ...ensureLink(s.netns, s.name, ref.tag, add, "interface"),
    ip(s.netns, "link", "set", "dev", s.name, "mtu", s.mtu),
    ...addressLines(s.netns, s.name, s.addresses),
    ip(s.netns, "link", "set", "dev", s.name, "up"),
  ];
  // Deleting the parent or the namespace deletes the link too; then there is nothing to do.
  return { create, destroy: deleteOwnedLink(s.netns, s.name, ref.tag) };
}
