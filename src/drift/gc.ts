/**
 * `hostnet gc`: find what a stack left on a host that is not in its current
 * plan — ledger entries, links tagged with the stack, iptables rules whose
 * comment is the stack's tag — and remove it. Anything without the stack's
 * tag is never listed, let alone touched.
 */
import { inNetns, LEDGER_ROOT, NETNS_DIR } from "../render/common";
import { nftTable } from "../render/nft";
import { shq } from "../render/quote";

export interface Orphan {
  readonly type: "ledger" | "partial" | "link" | "rule" | "nft";
  /**
   * Ledger id, file name of a partial ledger entry, "<netns|root> <ifname>", "<table> <rule>" (root namespace),
   * "<netns> <table> <rule>", or "<netns|root> <base chain> jump <chain>".
   */
  readonly what: string;
  /** The object's tag or the ledger entry's first line. */
  readonly tag: string;
  /** For links: namespace ("" for root) and name. */
  readonly netns?: string;
  readonly name?: string;
  /** For nft jumps: the base chain, the object's chain it jumps to, and the jump rule's handle. */
  readonly nft?: { readonly base: string; readonly chain: string; readonly handle: number };
  /** For rules: 6 when ip6tables holds it. */
  readonly family?: 6;
  /** For rules in a namespace (netns set): the table that holds it. */
  readonly table?: string;
}

export function tagPrefix(stack: string): string {
  return `hostnet:${stack}:`;
}

/**
 * Read-only scan: one line per tagged thing, `L id first-line`, `P file` (a
 * ledger entry whose write never finished: `<id>.down.tmp`), `K netns name
 * alias`, `R table rule` (iptables), `R6 table rule` (ip6tables), `RN netns
 * table rule` and `RN6 netns table rule` (the same in a namespace: NatRule and
 * the firewall objects take a namespace). IPv6 addresses, routes and proxy
 * neighbours belong to tagged links and go with them.
 */
export function renderGcScan(stack: string): string {
  const prefix = shq(tagPrefix(stack));
  return [
    "# hostnet gc scan: read-only",
    "set -u",
    `for f in ${shq(`${LEDGER_ROOT}/${stack}`)}/*.down; do [ -e "$f" ] || continue; id=\${f##*/}; printf 'L %s %s\\n' "\${id%.down}" "$(sed -n 1p "$f")"; done`,
    `for f in ${shq(`${LEDGER_ROOT}/${stack}`)}/*.down.tmp; do [ -e "$f" ] || continue; printf 'P %s\\n' "\${f##*/}"; done`,
    `scan() { ip \${1:+-n "$1"} -o link show 2>/dev/null | sed -n 's/^[0-9]*: \\([^:@]*\\)[@:].*\\\\    alias \\(.*\\)$/\\1 \\2/p' | while ` +
      `read -r n a; do case "$a" in ${prefix}*) printf 'K %s %s %s\\n' "\${1:--}" "$n" "$a";; esac; done; }`,
    "scan ''",
    `for n in $(ls ${shq(NETNS_DIR)} 2>/dev/null); do scan "$n"; done`,
    ...[["iptables", "R"] as const, ["ip6tables", "R6"] as const].map(
      ([tool, mark]) =>
        `for t in filter nat mangle raw; do ${tool} -w -t "$t" -S 2>/dev/null | grep -F ` +
        `-- ${shq(`--comment ${tagPrefix(stack)}`)} | sed "s/^/${mark} $t /"; ${tool} -w -t "$t" -S 2>/dev/null | grep -F ` +
        `-- ${shq(`--comment "${tagPrefix(stack)}`)} | sed "s/^/${mark} $t /"; done`,
    ),
    // Each namespace's rules: one iptables-save and ip6tables-save, which list only the tables in use there
    // (`iptables -t raw -S` would make an empty raw table in a namespace that has none, with iptables-legacy).
    `rscan() { ip netns exec "$1" sh -c 'iptables-save 2>/dev/null; echo @@hn-v6; ip6tables-save 2>/dev/null' 2>/dev/null | ` +
      `awk -v ns="$1" -v a=${shq(`--comment ${tagPrefix(stack)}`)} -v b=${shq(`--comment "${tagPrefix(stack)}`)} ` +
      `'$0 == "@@hn-v6" { m = "RN6" } substr($0, 1, 1) == "*" { t = substr($0, 2) } $1 == "-A" && (index($0, a) || index($0, b)) { print (m ? m : "RN"), ns, t, $0 }'; }`,
    `for n in $(ls ${shq(NETNS_DIR)} 2>/dev/null); do rscan "$n"; done`,
    // The stack's nft table (root and each namespace): the jumps from its base chains to objects' chains, tagged like the rules.
    `nscan() { { if [ "$1" = - ]; then nft -a list table inet ${shq(nftTable(stack))}; else ip netns exec "$1" nft -a list table inet ${shq(nftTable(stack))}; fi; } 2>/dev/null | ` +
      `awk -v ns="$1" -v p=${shq(`comment "${tagPrefix(stack)}`)} '$1 == "chain" { c = $2 } $1 == "jump" && index($0, p) ` +
      `{ t = substr($0, index($0, p) + 9); t = substr(t, 1, index(t, "\\"") - 1); print "N", ns, c, $2, $NF, t }'; }`,
    `if command -v nft >/dev/null 2>&1; then nscan -; for n in $(ls ${shq(NETNS_DIR)} 2>/dev/null); do nscan "$n"; done; fi`,
  ].join("\n");
}

/** Orphans: scanned things whose id or tag is not in the current plan. */
export function findOrphans(scan: string, plan: { ids: ReadonlySet<string>; tags: ReadonlySet<string> }): Orphan[] {
  const out: Orphan[] = [];
  for (const line of scan.split("\n")) {
    const [type, ...rest] = line.split(" ");
    if (type === "L") {
      const [id, ...first] = rest;
      if (!plan.ids.has(id)) out.push({ type: "ledger", what: id, tag: first.join(" ") });
    } else if (type === "P") {
      // Never complete, so never run: a create stopped while writing it (a full /run).
      if (/^[A-Za-z0-9_-]+\.down\.tmp$/.test(rest[0] ?? "")) out.push({ type: "partial", what: rest[0], tag: "unfinished ledger entry" });
    } else if (type === "K") {
      const [ns, name, tag] = rest;
      if (!plan.tags.has(tag)) out.push({ type: "link", what: `${ns === "-" ? "root" : ns} ${name}`, tag, netns: ns === "-" ? "" : ns, name });
    } else if (type === "N") {
      const [ns, base, chain, handle, tag] = rest;
      const sane = /^(-|[A-Za-z0-9_][A-Za-z0-9_.-]*)$/.test(ns ?? "") && /^(prerouting|output|postrouting|forward)$/.test(base ?? "");
      if (sane && /^o_[0-9a-f]+_(pre|out|post|fwd)$/.test(chain ?? "") && /^\d+$/.test(handle ?? "") && tag && !plan.tags.has(tag))
        out.push({
          type: "nft",
          what: `${ns === "-" ? "root" : ns} ${base} jump ${chain}`,
          tag,
          netns: ns === "-" ? "" : ns,
          nft: { base, chain, handle: Number(handle) },
        });
    } else if (type === "R" || type === "R6" || type === "RN" || type === "RN6") {
      // RN lines name the namespace and the table first.
      const place = type.startsWith("RN") ? { netns: rest[0], table: rest[1] } : undefined;
      const m = /--comment "?([^" ]+)"?/.exec(line);
      if (m && !plan.tags.has(m[1]) && (!place || (place.netns && place.table)))
        out.push({ type: "rule", what: rest.join(" "), tag: m[1], ...place, ...(type.endsWith("6") ? { family: 6 as const } : {}) });
    }
  }
  return out;
}

/**
 * Remove orphans: stored destroy scripts first (they know how), then any link
 * or rule that still carries an orphaned tag. Rules are deleted by position
 * (`iptables -D CHAIN N`), found again on every pass, so no rule text is re-parsed by a shell.
 */
export function renderGcRemove(stack: string, orphans: readonly Orphan[]): string {
  const lines = ["# hostnet gc: remove what this stack left behind", "set -eu"];
  for (const o of orphans.filter((o) => o.type === "ledger")) {
    const f = shq(`${LEDGER_ROOT}/${stack}/${o.what}.down`);
    lines.push(`[ ! -f ${f} ] || sh ${f}`);
  }
  for (const o of orphans.filter((o) => o.type === "partial")) lines.push(`rm -f ${shq(`${LEDGER_ROOT}/${stack}/${o.what}`)}`);
  for (const o of orphans.filter((o) => o.type === "link")) {
    const ipn = o.netns ? `ip -n ${shq(o.netns)}` : "ip";
    lines.push(
      `if ${ipn} link show dev ${shq(o.name!)} 2>/dev/null | grep -qxF ${shq(`    alias ${o.tag}`)}; then ${ipn} link del dev ${shq(o.name!)}; fi`,
    );
  }
  lines.push(...removeNft(stack, orphans));
  for (const [tool, family] of [
    ["iptables", undefined],
    ["ip6tables", 6],
  ] as const) {
    const rules = orphans.filter((o) => o.type === "rule" && o.family === family);
    // In the root namespace: every table, as the scan read it. In a namespace: the table the rule was found in.
    const places = [...new Map(rules.map((o) => [`${o.netns ?? ""}\n${o.table ?? ""}\n${o.tag}`, o])).values()];
    for (const { netns, table, tag } of places) {
      const run = netns ? `${inNetns(netns, tool)} -w` : `${tool} -w`;
      lines.push(
        table ? `for t in ${shq(table)}; do` : `for t in filter nat mangle raw; do`,
        `  while pos=$(${run} -t "$t" -S 2>/dev/null | awk -v ` +
          `a=${shq(`--comment ${tag} `)} -v ` +
          `b=${shq(`--comment "${tag}"`)} '$1=="-A"{n[$2]++; if (index($0" ", a) || index($0, b)) {print $2" "n[$2]; exit}}') && [ -n "$pos" ]; do`,
        `    ${run} -t "$t" -D $pos`,
        `  done`,
        `done`,
      );
    }
  }
  return lines.join("\n");
}

/**
 * Orphaned nft objects, one transaction per namespace: their jumps and
 * chains go, and the table when no object chain is left. Jumps are found
 * again by chain and tag (a ledger entry run just before may have removed them).
 */
function removeNft(stack: string, orphans: readonly Orphan[]): string[] {
  const jumps = orphans.filter((o) => o.type === "nft" && o.nft);
  const table = nftTable(stack);
  const lines: string[] = [];
  for (const ns of [...new Set(jumps.map((o) => o.netns ?? ""))]) {
    const nft = (...w: string[]) => inNetns(ns || undefined, "nft", ...w);
    lines.push(`if ${nft("list", "table", "inet", table)} >/dev/null 2>&1; then`, "  in=$(");
    for (const o of jumps.filter((j) => (j.netns ?? "") === ns)) {
      const { base, chain } = o.nft!;
      const jump = `jump ${chain} comment "${o.tag}" `;
      lines.push(
        `    ${nft("-a", "list", "chain", "inet", table, base)} 2>/dev/null | awk -v m=${shq(jump)} -v d=${shq(`delete rule inet ${table} ${base} handle `)} 'index($0, m) { print d $NF }'`,
        `    if ${nft("list", "chain", "inet", table, chain)} >/dev/null 2>&1; then printf '%s\\n' ${shq(`flush chain inet ${table} ${chain}`)} ${shq(`delete chain inet ${table} ${chain}`)}; fi`,
      );
    }
    lines.push(
      "  )",
      `  [ -z "$in" ] || printf '%s\\n' "$in" | ${nft("-f", "-")}`,
      `  ${nft("list", "table", "inet", table)} | awk '$1 == "chain" && $2 ~ /^o_/' | grep -q . || ${nft("delete", "table", "inet", table)}`,
      "fi",
    );
  }
  return lines;
}
