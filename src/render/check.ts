/**
 * Read-only probes for drift: each renderer returns shell lines that print one
 * line per problem ("bridge br0 is missing in the root namespace") and nothing
 * when the object is as planned. They change nothing on the host.
 */
import { ip, NETNS_DIR, ROUTE_PROTO, where } from "./common";
import { natRules } from "./nat";
import { argv, shq } from "./quote";
import { BridgeSpec, NamespaceSpec, NatSpec, RouteSpec, SysctlSpec, VethEndSpec, VethSpec } from "./types";

function say(msg: string): string {
  return `echo ${shq(msg)}`;
}

/** `if <cond>; then :; else echo <msg>; fi` on one line. */
function expect(cond: string, msg: string): string {
  return `if ${cond}; then :; else ${say(msg)}; fi`;
}

function nsPresent(netns: string | undefined): string {
  return netns ? `[ -e ${shq(`${NETNS_DIR}/${netns}`)} ]` : "true";
}

/** Checks on one link: present, tagged, MTU, master, addresses, up. Stops at the first missing piece. */
function linkChecks(l: { name: string; netns?: string; mtu: number; master?: string; addresses: readonly string[] }, tag: string, what: string): string[] {
  const show = `${ip(l.netns, "-o", "link", "show", "dev", l.name)} 2>/dev/null`;
  const lines = [
    `if ! ${nsPresent(l.netns)} || ! l=$(${show}); then ${say(`${what} ${l.name} is missing in ${where(l.netns)}`)}; else`,
    `  ${expect(`[ "$(${ip(l.netns, "link", "show", "dev", l.name)} | sed -n 's/^    alias //p')" = ${shq(tag)} ]`, `${what} ${l.name} does not carry this object's tag`)}`,
    `  ${expect(`case "$l" in *" mtu ${l.mtu} "*) true;; *) false;; esac`, `${what} ${l.name}: MTU is not ${l.mtu}`)}`,
    `  ${expect(`case "$l" in *"<"*UP*">"*) true;; *) false;; esac`, `${what} ${l.name} is down`)}`,
  ];
  if (l.master) lines.push(`  ${expect(`case "$l" in *" master ${l.master} "*) true;; *) false;; esac`, `${what} ${l.name} is not a port of ${l.master}`)}`);
  for (const a of l.addresses) {
    lines.push(`  ${expect(`${ip(l.netns, "-o", "addr", "show", "dev", l.name)} | grep -qF ${shq(` ${a} `)}`, `${what} ${l.name} lacks address ${a}`)}`);
  }
  lines.push("fi");
  return lines;
}

export function checkNamespace(ns: NamespaceSpec): string[] {
  return [expect(`[ -e ${shq(`${NETNS_DIR}/${ns.name}`)} ]`, `namespace ${ns.name} is missing`)];
}

export function checkBridge(br: BridgeSpec, tag: string): string[] {
  return linkChecks({ name: br.name, netns: br.netns, mtu: br.mtu, addresses: br.addresses }, tag, "bridge");
}

export function checkVeth(v: VethSpec, tag: string): string[] {
  const end = (e: VethEndSpec) => linkChecks({ ...e, mtu: v.mtu }, tag, "veth end");
  return [...end(v.a), ...end(v.b)];
}

export function checkRoute(r: RouteSpec): string[] {
  const dest = r.destination === "default" ? "0.0.0.0/0" : r.destination;
  const lines = [
    `if ! ${nsPresent(r.netns)} || ! rt=$(${ip(r.netns, "route", "show", "exact", dest, "proto", ROUTE_PROTO)} 2>/dev/null) || [ -z "$rt" ]; then ${say(`route to ${r.destination} is missing in ${where(r.netns)}`)}; else`,
  ];
  if (r.via) lines.push(`  ${expect(`case "$rt" in *"via ${r.via} "*) true;; *) false;; esac`, `route to ${r.destination} does not go via ${r.via}`)}`);
  if (r.dev) lines.push(`  ${expect(`case "$rt" in *"dev ${r.dev} "*) true;; *) false;; esac`, `route to ${r.destination} does not use dev ${r.dev}`)}`);
  lines.push("fi");
  return lines;
}

export function checkNat(n: NatSpec, tag: string): string[] {
  const netns = n.netns;
  const run = (...w: Array<string | number>) => (netns ? argv("ip", "netns", "exec", netns, ...w) : argv(...w));
  return natRules(n).map((r) =>
    expect(`${run("iptables", "-w", "-t", r.table, "-C", r.chain, ...r.spec, "-m", "comment", "--comment", tag)} 2>/dev/null`, `iptables rule missing: -t ${r.table} -A ${r.chain} ${r.spec.join(" ")}`),
  );
}

export function checkSysctl(s: SysctlSpec): string[] {
  const get = s.netns ? argv("ip", "netns", "exec", s.netns, "sysctl", "-n", s.key) : argv("sysctl", "-n", s.key);
  return [expect(`[ "$(${get} 2>/dev/null)" = ${shq(s.value)} ]`, `${s.key} is not ${s.value}${s.netns ? ` in namespace ${s.netns}` : ""}`)];
}
