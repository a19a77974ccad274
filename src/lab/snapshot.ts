import { HostnetError } from "../errors";
import { hostExec } from "./exec";
import { Inventory } from "./inventory";

/** Sections of a host snapshot, in output order, with the command that fills each. */
export const SNAPSHOT_SECTIONS: ReadonlyArray<readonly [name: string, command: string]> = [
  ["netns", "ip netns list"],
  ["link", "ip -br link"],
  ["addr", "ip -br addr"],
  ["rule", "ip -4 rule"],
  ["route", "ip -4 route show table all"],
  ["iptables", "iptables-save"],
  ["rule6", "ip -6 rule"],
  ["route6", "ip -6 route show table all"],
  ["neigh6-proxy", "ip -6 neigh show proxy"],
  ["ip6tables", "ip6tables-save"],
  ["sysctl", "sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding"],
  ["run-hostnet", "ls -A /run/hostnet"],
];

const MARK = "@@hostnet-snapshot ";

/** The script a snapshot runs on the host: each section's output after a marker line. */
export function snapshotScript(): string {
  return SNAPSHOT_SECTIONS.map(([name, cmd]) => `echo '${MARK}${name}'; ${cmd} 2>&1`).join("\n");
}

/** Splits the script's output back into sections. */
export function splitSections(output: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split("\n")) {
    if (line.startsWith(MARK)) {
      current = [];
      sections.set(line.slice(MARK.length), current);
    } else if (current) {
      current.push(line);
    }
  }
  return sections;
}

const collapse = (line: string) => line.trim().replace(/\s+/g, " ");
const nonEmpty = (lines: readonly string[]) => lines.map(collapse).filter((l) => l !== "");
const sorted = (lines: readonly string[]) => [...lines].sort();

/** `ip netns list`: names only ("x (id: 3)" → "x"), sorted; ids depend on creation order. */
export function normalizeNetns(lines: readonly string[]): string[] {
  return sorted(nonEmpty(lines).map((l) => l.replace(/ \(id: \d+\)$/, "")));
}

/** `ip -br link` / `ip -br addr`: "veth0@if12" → "veth0@if?" (peer ifindex changes when the peer is recreated), sorted. */
export function normalizeBriefLinks(lines: readonly string[]): string[] {
  return sorted(nonEmpty(lines).map((l) => l.replace(/^(\S+?)@if\d+\b/, "$1@if?")));
}

/**
 * `ip -br addr`, like links, and without IPv6 link-local addresses: the
 * kernel derives them from the MAC when a link comes up, so they are not
 * configured state.
 */
export function normalizeBriefAddrs(lines: readonly string[]): string[] {
  return normalizeBriefLinks(lines).map((l) =>
    l
      .split(" ")
      .filter((w) => !/^fe80:/i.test(w))
      .join(" "),
  );
}

const BUILTIN_CHAINS = new Set(["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]);

/**
 * `iptables-save`: drops comment lines and counters, orders tables and
 * chains by name, keeps rule order within a chain (it matters). A table
 * with only built-in ACCEPT chains and no rules equals no table: merely
 * listing a table makes iptables create it.
 */
export function normalizeIptables(lines: readonly string[]): string[] {
  interface Table {
    name: string;
    chains: string[];
    rules: Map<string, string[]>;
    meaningful: boolean;
  }
  const tables: Table[] = [];
  let t: Table | undefined;
  for (const raw of nonEmpty(lines)) {
    if (raw.startsWith("#") || raw === "COMMIT") continue;
    if (raw.startsWith("*")) {
      t = { name: raw.slice(1), chains: [], rules: new Map(), meaningful: false };
      tables.push(t);
      continue;
    }
    if (!t) continue;
    if (raw.startsWith(":")) {
      const [chain, policy] = raw.slice(1).split(" ");
      t.chains.push(`:${chain} ${policy}`);
      if (!BUILTIN_CHAINS.has(chain) || policy !== "ACCEPT") t.meaningful = true;
      continue;
    }
    const rule = raw.replace(/^\[\d+:\d+\] /, "");
    const chain = /^-A (\S+)/.exec(rule)?.[1] ?? "";
    if (!t.rules.has(chain)) t.rules.set(chain, []);
    t.rules.get(chain)!.push(rule);
    t.meaningful = true;
  }
  const out: string[] = [];
  for (const table of [...tables].filter((x) => x.meaningful).sort((a, b) => a.name.localeCompare(b.name))) {
    out.push(`*${table.name}`, ...sorted(table.chains));
    for (const chain of sorted([...table.rules.keys()])) out.push(...table.rules.get(chain)!);
    out.push("COMMIT");
  }
  return out;
}

/**
 * `ip -6 route show table all`, sorted, without the routes the kernel derives
 * from links (fe80::/64, the link-local and multicast entries of the local
 * table): the [link] section covers them, and their link-local addresses come
 * from MACs.
 */
export function normalizeRoutes6(lines: readonly string[]): string[] {
  return sorted(nonEmpty(lines).filter((l) => !/^(?:(?:local|anycast|multicast|broadcast) )?(?:fe80:|ff00::\/8 )/i.test(l)));
}

const NORMALIZERS: Record<string, (lines: readonly string[]) => string[]> = {
  netns: normalizeNetns,
  link: normalizeBriefLinks,
  addr: normalizeBriefAddrs,
  rule: nonEmpty, // already ordered by priority; equal priorities keep insertion order, which matters
  route: (l) => sorted(nonEmpty(l)),
  iptables: normalizeIptables,
  rule6: nonEmpty,
  route6: normalizeRoutes6,
  "neigh6-proxy": (l) => sorted(nonEmpty(l)),
  ip6tables: normalizeIptables,
  sysctl: nonEmpty,
  "run-hostnet": (l) => sorted(nonEmpty(l)),
};

/** Normalized snapshot text from the raw output of snapshotScript(); equal state gives equal text. */
export function normalizeSnapshot(output: string): string {
  const sections = splitSections(output);
  const parts: string[] = [];
  for (const [name] of SNAPSHOT_SECTIONS) {
    const lines = sections.get(name);
    if (lines === undefined) throw new HostnetError(`snapshot output lacks section "${name}".`, 1);
    parts.push(`[${name}]`, ...NORMALIZERS[name](lines));
  }
  return parts.join("\n") + "\n";
}

/**
 * Normalized text of a test host's network state (netns, links, addresses,
 * rules, routes, iptables, and their IPv6 counterparts with proxy neighbours,
 * forwarding of both families, /run/hostnet) for before/after
 * comparisons in tests.
 */
export async function hostSnapshot(inv: Inventory, host: string): Promise<string> {
  const r = await hostExec(inv, host, snapshotScript());
  return normalizeSnapshot(r.stdout);
}
