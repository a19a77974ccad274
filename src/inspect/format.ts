/** Text output of `hostnet inspect`: one line per object, a summary line last. */
import { HostInspection, InspectedLink } from "./parse";

/** "root" or "netns <name>". */
export function placeOf(netns?: string): string {
  return netns === undefined ? "root" : `netns ${netns}`;
}

function peerText(l: InspectedLink): string {
  const p = l.peer;
  if (!p) return "";
  if (!p.found) return `peer ifindex ${p.ifindex}, outside the namespaces seen`;
  return `peer ${p.name} in ${placeOf(p.netns)}`;
}

/** Pads each column to its widest cell; the last column is not padded. */
export function columns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd(),
  );
}

/**
 * Lines for a person: namespaces, bridges with their ports, links (veth ends
 * with where their peer lives), routes of both families, IPv6 proxy neighbours,
 * hostnet's NAT rules (ip6tables ones marked), and a summary.
 * Loopback devices are left out unless they carry more than 127.0.0.1 and ::1.
 */
export function formatInspection(hostLabel: string, h: HostInspection): string[] {
  const rows: string[][] = [];
  rows.push(["namespaces", "", h.namespaces.length ? h.namespaces.join(", ") : "(none)"]);
  for (const b of h.bridges)
    rows.push(["bridge", placeOf(b.netns), [b.name, ...b.addresses, `ports: ${b.ports.length ? b.ports.join(", ") : "(none)"}`].join("  ")]);
  const shown = h.links.filter((l) => !(l.kind === "loopback" && l.addresses.every((a) => a.startsWith("127.") || a === "::1/128")));
  for (const l of shown) {
    const parts = [l.name, l.kind, l.up ? "up" : "down", ...l.addresses];
    if (l.master) parts.push(`master ${l.master}`);
    const peer = peerText(l);
    if (peer) parts.push(peer);
    if (l.alias?.startsWith("hostnet:")) parts.push(`[${l.alias}]`);
    rows.push(["link", placeOf(l.netns), parts.join("  ")]);
  }
  for (const r of h.routes) rows.push([r.family === 6 ? "route6" : "route", placeOf(r.netns), r.text]);
  for (const p of h.proxies ?? []) rows.push(["proxy6", placeOf(p.netns), `${p.address} dev ${p.dev}`]);
  // nft rules come as "*nft <family> <table>" and "-A <chain> <rule>": shown as nft lists them.
  const ruleText = (n: HostInspection["nat"][number]) =>
    n.table.startsWith("nft ") ? `${n.table.slice(4)} ${n.chain}: ${n.rule.replace(/^-A \S+ /, "")}` : `-t ${n.table} ${n.rule}`;
  for (const n of h.nat) rows.push([n.family === 6 ? "rule6" : "rule", placeOf(n.netns), `${ruleText(n)}  [${n.tag}]`]);
  const veths = h.links.filter((l) => l.kind === "veth").length;
  const summary =
    `${hostLabel}: ${count(h.namespaces.length, "namespace")}, ${count(shown.length, "link")} ` +
    `(${count(veths, "veth end")}, ${count(h.bridges.length, "bridge")}), ${count(h.routes.length, "route")}, ${count(h.nat.length, "hostnet NAT rule")}` +
    ((h.proxies ?? []).length ? `, ${count(h.proxies.length, "IPv6 proxy neighbour")}` : "");
  return [...columns(rows), summary];
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}
