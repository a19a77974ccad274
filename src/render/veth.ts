import { addressLines } from "./address";
import { deleteOwnedLink, ensureLink, inNetns, ip, where } from "./common";
import { argv, shq } from "./quote";
import { Hooks, ObjectRef, VethEndSpec, VethSpec } from "./types";

/**
 * A veth pair is created from the host's root namespace with each end placed
 * straight into its namespace (`netns` on both ends), so neither name has to be
 * free in the root namespace. Deleting one end deletes both.
 */
export function renderVeth(v: VethSpec, ref: ObjectRef): Hooks {
  const add = [
    `if ${ip(v.b.netns, "link", "show", "dev", v.b.name)} >/dev/null 2>&1; then ` +
      `hn_fail ${shq(`interface ${v.b.name} already exists in ${where(v.b.netns)}; remove it or choose another name for this veth end`)}; fi`,
    argv(
      "ip",
      "link",
      "add",
      "name",
      v.a.name,
      ...(v.a.netns ? ["netns", v.a.netns] : []),
      "type",
      "veth",
      "peer",
      "name",
      v.b.name,
      ...(v.b.netns ? ["netns", v.b.netns] : []),
    ),
  ];
  const create = [
    ...ensureLink(v.a.netns, v.a.name, ref.tag, add, "interface"),
    ip(v.b.netns, "link", "set", "dev", v.b.name, "alias", ref.tag),
    ...configureEnd(v.a, v.mtu),
    ...configureEnd(v.b, v.mtu),
  ];
  return { create, destroy: deleteOwnedLink(v.a.netns, v.a.name, ref.tag) };
}

function configureEnd(end: VethEndSpec, mtu: number): string[] {
  return [
    ip(end.netns, "link", "set", "dev", end.name, "mtu", mtu),
    ...(end.master ? [ip(end.netns, "link", "set", "dev", end.name, "master", end.master)] : []),
    ...(end.master && end.hairpin ? [ip(end.netns, "link", "set", "dev", end.name, "type", "bridge_slave", "hairpin", "on")] : []),
    ...addressLines(end.netns, end.name, end.addresses),
    ...(end.netns ? [arpNotify(end.netns, end.name)] : []),
    ip(end.netns, "link", "set", "dev", end.name, "up"),
  ];
}

/**
 * arp_notify=1 on an end inside a namespace (as the CNI bridge plugin sets on
 * a container's interface): it sends a gratuitous ARP when the link comes up,
 * so neighbours that cached an earlier holder of the address learn the new MAC
 * at once. Set before `up`, which is what triggers it. sysctl(8) writes "/" for
 * a "." in an interface name (net.ipv4.conf.eth0/10.arp_notify).
 */
export function arpNotify(netns: string, name: string): string {
  return inNetns(netns, "sysctl", "-q", "-w", `net.ipv4.conf.${name.replace(/\./g, "/")}.arp_notify=1`);
}
