import { addressSteps } from "./address";
import { aliasWords, deleteOwnedLink, ensureLink, inNetns, ip, ipBatch, where } from "./common";
import { argv, shq } from "./quote";
import { Hooks, ObjectRef, VethEndSpec, VethSpec } from "./types";

/** What runs in one namespace: sysctl settings (key=value, one `sysctl` for all), then `ip` commands (one batch). */
export interface NetnsSteps {
  readonly sysctls: readonly string[];
  readonly ip: ReadonlyArray<ReadonlyArray<string | number>>;
}

export interface VethRenderOptions {
  /** End a's namespace was made by this create (`NEW_NETNS`): end a cannot exist yet and is not looked up. @default false */
  readonly aInNewNetns?: boolean;
  /** Steps that run first in end a's namespace, in the same processes (an Endpoint's lo). @default none */
  readonly aFirst?: NetnsSteps;
}

/**
 * A veth pair is created from the host's root namespace with each end placed
 * straight into its namespace (`netns` on both ends), so neither name has to be
 * free in the root namespace. Deleting one end deletes both.
 *
 * Each end is then set up by two processes at most: one `sysctl` for its
 * settings and one `ip -batch` that tags it first, then sets MTU, bridge,
 * addresses and brings it up (end a before end b, as always).
 */
export function renderVeth(v: VethSpec, ref: ObjectRef, opts: VethRenderOptions = {}): Hooks {
  const addPair = argv(
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
  );
  // The add is tried first: it fails, changing nothing, when end b's name is taken. Only
  // then is end b looked up, to say so, and the add is run again for ip's own message.
  const add = [
    `if ! ${addPair} 2>/dev/null; then`,
    `  if ${ip(v.b.netns, "link", "show", "dev", v.b.name)} >/dev/null 2>&1; then ` +
      `hn_fail ${shq(`interface ${v.b.name} already exists in ${where(v.b.netns)}; remove it or choose another name for this veth end`)}; fi`,
    `  ${addPair}`,
    `fi`,
  ];
  const first = opts.aFirst ?? { sysctls: [], ip: [] };
  const a = joinSteps(first, endSteps(v.a, v.mtu, ref.tag));
  const b = endSteps(v.b, v.mtu, ref.tag);
  const create = [
    ...ensureLink(v.a.netns, v.a.name, ref.tag, add, "interface", { aliasByCaller: true, inNewNetns: opts.aInNewNetns }),
    // Both ends in one namespace: one sysctl and one batch for the two.
    ...(v.a.netns === v.b.netns ? netnsStepLines(v.a.netns, joinSteps(a, b)) : [...netnsStepLines(v.a.netns, a), ...netnsStepLines(v.b.netns, b)]),
  ];
  return { create, destroy: deleteOwnedLink(v.a.netns, v.a.name, ref.tag) };
}

function joinSteps(x: NetnsSteps, y: NetnsSteps): NetnsSteps {
  return { sysctls: [...x.sysctls, ...y.sysctls], ip: [...x.ip, ...y.ip] };
}

/** The lines of `NetnsSteps`: at most one `sysctl` and one `ip` process. */
export function netnsStepLines(netns: string | undefined, s: NetnsSteps): string[] {
  return [...(s.sysctls.length ? [inNetns(netns, "sysctl", "-q", "-w", ...s.sysctls)] : []), ...ipBatch(netns, s.ip)];
}

/**
 * One end: its tag first (so a create stopped after this still owns the link),
 * then MTU, bridge, hairpin, addresses, and `up` last. The sysctls (IPv6 on for
 * an IPv6 address, arp_notify) are written before any of it.
 */
function endSteps(end: VethEndSpec, mtu: number, tag: string): NetnsSteps {
  const addr = addressSteps(end.name, end.addresses);
  return {
    sysctls: [...addr.sysctls, ...(end.netns ? [arpNotifySetting(end.name)] : [])],
    ip: [
      aliasWords(end.name, tag),
      ["link", "set", "dev", end.name, "mtu", mtu],
      ...(end.master ? [["link", "set", "dev", end.name, "master", end.master]] : []),
      ...(end.master && end.hairpin ? [["link", "set", "dev", end.name, "type", "bridge_slave", "hairpin", "on"]] : []),
      ...addr.ip,
      ["link", "set", "dev", end.name, "up"],
    ],
  };
}

/**
 * arp_notify=1 on an end inside a namespace (as the CNI bridge plugin sets on
 * a container's interface): it sends a gratuitous ARP when the link comes up,
 * so neighbours that cached an earlier holder of the address learn the new MAC
 * at once. Set before `up`, which is what triggers it. sysctl(8) writes "/" for
 * a "." in an interface name (net.ipv4.conf.eth0/10.arp_notify).
 */
export function arpNotifySetting(name: string): string {
  return `net.ipv4.conf.${name.replace(/\./g, "/")}.arp_notify=1`;
}
