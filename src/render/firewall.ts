/**
 * Does the host's firewall let through what a stack forwards? Both iptables
 * backends hook into netfilter side by side: a forwarded packet must pass the
 * filter FORWARD chain of iptables-nft *and* of iptables-legacy (what Docker on
 * legacy iptables sets up), so a DROP in the backend hostnet does not write to
 * kills traffic that hostnet's own ACCEPT rules let through in the other.
 *
 * One awk program reads `iptables-save` output of one backend and prints a line
 * per problem (`P ...`) or warning (`W ...`); the preflight (src/render/preflight.ts)
 * fails on problems, `hostnet check` (src/render/check.ts) reports both.
 */
import { CIDR_AWK, NFT_FIREWALL_AWK } from "./nft-firewall";
import { DECIDE_FIREWALL, firewallNote, FirewallChoice, nftTable } from "./nft";
import { shq } from "./quote";
import { NatSpec } from "./types";

/** Traffic a stack forwards through the host's root namespace, seen from one end. */
export interface Flow {
  /** "from": packets whose source is in `cidr`; "to": packets whose destination is. */
  readonly dir: "from" | "to";
  /** CIDR of either family ("10.88.0.0/24", "10.88.0.5/32", "fd00:88::/64"); IPv6 flows are checked against ip6tables. */
  readonly cidr: string;
  /** hostnet's own FORWARD ACCEPT rules (NatRule allowForward) accept it in the backend `iptables` writes to. */
  readonly own: boolean;
}

/**
 * What a NAT object's traffic looks like in FORWARD: the source subnet of a
 * masquerade or SNAT and its replies, the target of a port forward or 1:1 NAT
 * and its answers. Its own FORWARD rules accept them when `allowForward` is set.
 */
export function natFlows(n: NatSpec): Flow[] {
  const both = (cidr: string): Flow[] => [
    { dir: "from", cidr, own: n.allowForward },
    { dir: "to", cidr, own: n.allowForward },
  ];
  switch (n.type) {
    case "masquerade":
    case "snat":
      return both(n.source);
    case "dnat":
      return both(`${n.toAddress}/${n.family === 6 ? 128 : 32}`);
    case "static":
      return both(`${n.inside}/${n.family === 6 ? 128 : 32}`);
  }
}

/** One flow per direction and CIDR; `own` when any object accepts it itself. Sorted, so the rendered lines are stable. */
export function mergeFlows(flows: readonly Flow[]): Flow[] {
  const by = new Map<string, Flow>();
  for (const f of flows) {
    const k = `${f.dir} ${f.cidr}`;
    const prev = by.get(k);
    by.set(k, { dir: f.dir, cidr: f.cidr, own: f.own || (prev?.own ?? false) });
  }
  return [...by.keys()].sort().map((k) => by.get(k)!);
}

/**
 * Reads one backend's `iptables-save` or `ip6tables-save` output. Variables: `b`
 * the backend's command ("iptables-legacy"), `active` 1 when plain `iptables` is
 * this backend (hostnet's rules go here, appended), `writer` the backend hostnet
 * writes to, `flows` "dir:cidr:own" words (an IPv6 CIDR holds colons: the
 * direction is before the first, `own` after the last), `tool` "ip6tables" for
 * IPv6 (the fix names it; default "iptables").
 *
 * Only rules that certainly match a flow decide it: a rule with no match but
 * -s/-d (and a comment), whose -s (for "from") or -d (for "to") contains the
 * flow's CIDR. Rules with any other match (-i, -o, -p, conntrack, negations),
 * jumps to user chains and RETURN are passed over: this names the drops that
 * are certain (a DROP policy, `-j DROP` for everything or for the subnet), not
 * every rule that might drop something.
 */
export const FIREWALL_AWK =
  CIDR_AWK +
  String.raw`
BEGIN {
  if (tool == "") tool = "iptables"
  n = split(flows, fl, " ")
  for (k = 1; k <= n; k++) {
    i = index(fl[k], ":"); fdir[k] = substr(fl[k], 1, i - 1); fown[k] = substr(fl[k], length(fl[k]))
    fcidr[k] = substr(fl[k], i + 1, length(fl[k]) - i - 2); done[k] = 0; cause[k] = ""
  }
  policy = ""; nrules = 0; pols = ""
}
/^\*/ { table = substr($0, 2); next }
/^:/ {
  if ($2 != "ACCEPT" && $2 != "-") pols = pols " " table "/" substr($1, 2) "=" $2
  if (table == "filter" && $1 == ":FORWARD") policy = $2
  next
}
/^-A / {
  nrules++
  if (table != "filter" || $2 != "FORWARD") next
  s = ""; d = ""; tgt = ""; cond = 0
  for (i = 3; i <= NF; i++) {
    t = $i
    if (t == "-s") s = $(++i)
    else if (t == "-d") d = $(++i)
    else if (t == "-j") { tgt = $(i + 1); break }
    else if (t == "-m" && $(i + 1) == "comment" && $(i + 2) == "--comment") {
      i += 3
      if ($i ~ /^"/ && (length($i) == 1 || $i !~ /"$/)) { i++; while (i < NF && $i !~ /"$/) i++ }
    }
    else cond = 1
  }
  if (cond || (tgt != "ACCEPT" && tgt != "DROP" && tgt != "REJECT")) next
  for (k = 1; k <= n; k++) {
    if (done[k]) continue
    if (s != "" && !(fdir[k] == "from" && within(fcidr[k], s))) continue
    if (d != "" && !(fdir[k] == "to" && within(fcidr[k], d))) continue
    done[k] = 1
    if (tgt != "ACCEPT") cause[k] = $0
  }
  next
}
END {
  for (k = 1; k <= n; k++) {
    if (done[k]) continue
    if (active && fown[k] == 1) continue
    if (policy == "DROP") cause[k] = "policy"
  }
  nc = 0; bad = 0
  for (k = 1; k <= n; k++) {
    if (cause[k] == "") continue
    bad = 1
    if (!(cause[k] in group)) { order[++nc] = cause[k]; group[cause[k]] = ""; fixes[cause[k]] = "" }
    group[cause[k]] = group[cause[k]] (group[cause[k]] == "" ? "" : ", ") fdir[k] " " fcidr[k]
    fixes[cause[k]] = fixes[cause[k]] (fixes[cause[k]] == "" ? "" : "; ") (active ? tool : b) " -I FORWARD " (fdir[k] == "from" ? "-s " : "-d ") fcidr[k] " -j ACCEPT"
  }
  for (c = 1; c <= nc; c++) {
    w = order[c]
    what = (w == "policy") ? "the filter FORWARD policy DROP" : "rule \"" w "\" in filter FORWARD"
    if (!active && writer == "nftables") why = " (hostnet writes its rules with nftables; a forwarded packet must pass this FORWARD chain too, so the accepts in hostnet's table do not help here)"
    else if (!active) why = " (hostnet writes its rules with " writer "; a forwarded packet must pass the FORWARD chain of both backends, so hostnet's ACCEPT rules do not help here)"
    else if (w == "policy") why = " and no rule accepts it"
    else why = " before hostnet's own ACCEPT rules (appended at the end) are reached"
    fix = "Fix: " fixes[w]
    # Under nftables no iptables switch puts hostnet's accepts into this chain: the legacy rules go, or the stack goes to them.
    if (!active && writer == "nftables")
      fix = fix ", or remove the legacy rules if nothing on the host needs them (" b " -P FORWARD ACCEPT; " b " -F FORWARD), " \
        "or set firewall: \"iptables\" on the Host and, before the first deploy, make " b " the host's " tool \
        " (update-alternatives --set " tool " /usr/sbin/" b ") so that hostnet's accepts go into this chain"
    else if (!active) fix = fix ", or before the first deploy make " b " the host's " tool " (update-alternatives --set " tool " /usr/sbin/" b ") so that hostnet's rules land beside these"
    printf "P %s: %s drops traffic this stack forwards (%s)%s. %s.\n", b, what, group[w], why, fix
  }
  if (!active && !bad && (nrules > 0 || pols != ""))
    printf "W %s has %d rule(s)%s beside the rules hostnet writes with %s; both backends filter every packet. ` +
  String.raw`Keep to one backend, or make sure both accept this stack's traffic.\n", b, nrules, (pols == "" ? "" : " and non-ACCEPT policies" pols), writer
}
`;

/**
 * Shell function `hn_fw_scan`: prints the P and W lines of the native nft
 * tables (NFT_FIREWALL_AWK, both families) and, of the awk program above, for
 * the backend plain `iptables` uses and for the other one; IPv6 flows are read
 * from `ip6tables-save` of both backends the same way (only when there are
 * some, so an IPv4-only stack's lines are as they were). Where hostnet writes
 * nft, the legacy iptables and ip6tables tables are read (iptables-nft's are
 * in the nft ruleset). Read-only: the legacy tables are read only when the
 * kernel has some (reading them with `iptables-legacy-save -t filter` would
 * create them).
 */
export function renderFirewallScan(
  flows: readonly Flow[],
  backend: { firewall: FirewallChoice; stack: string } = { firewall: "iptables", stack: "" },
): string[] {
  const merged = mergeFlows(flows);
  const wordsOf = (list: Flow[]) => list.map((f) => `${f.dir}:${f.cidr}:${f.own ? 1 : 0}`).join(" ");
  const words = wordsOf(merged.filter((f) => !f.cidr.includes(":")));
  const words6 = wordsOf(merged.filter((f) => f.cidr.includes(":")));
  const awk = (b: string, active: 0 | 1, writer: string, v6 = false) =>
    `awk -v b=${b} -v active=${active} -v writer=${writer}${v6 ? " -v tool=ip6tables" : ""} -v flows="${v6 ? "$hn_fw_flows6" : "$hn_fw_flows"}" "$hn_fw_awk"`;
  const v6 =
    words6 === ""
      ? []
      : [
          `  ip6tables-save 2>/dev/null | ${awk('"ip6tables-$hn_fw_a"', 1, '"ip6tables-$hn_fw_a"', true)}`,
          '  if command -v "ip6tables-$hn_fw_o-save" >/dev/null 2>&1 && { [ "$hn_fw_o" = nft ] || grep -qs . /proc/net/ip6_tables_names; }; then',
          `    "ip6tables-$hn_fw_o-save" 2>/dev/null | ${awk('"ip6tables-$hn_fw_o"', 0, '"ip6tables-$hn_fw_a"', true)}`,
          "  fi",
        ];
  return [
    `hn_fw_awk=${shq(FIREWALL_AWK)}`,
    // The one line that sums up the host's objects (and so changes with any of them).
    `hn_fw_flows=${shq(words)}`,
    `hn_fw_nft=${shq(NFT_FIREWALL_AWK)}`,
    ...(words6 === "" ? [] : [`hn_fw_flows6=${shq(words6)}`]),
    "hn_fw_scan() {",
    ...decideBackend(backend).map((l) => `  ${l}`),
    // Native nft tables: every one but hostnet's own when hostnet writes nft; beside iptables, those iptables-nft does not write.
    // Both families: the nft reader judges IPv4 flows in ip and inet tables, IPv6 flows in ip6 and inet tables.
    `  if command -v nft >/dev/null 2>&1; then nft -s list ruleset 2>/dev/null | awk -v own=${shq(ownTable(backend.stack))} -v mode="$hn_fwb" ` +
      `-v flows="$hn_fw_flows${words6 === "" ? "" : " $hn_fw_flows6"}" "$hn_fw_nft"; fi`,
    // hostnet writes nft: of the iptables backends only the legacy ones are other table sets (iptables-nft's are in the ruleset).
    ...(backend.firewall === "iptables"
      ? []
      : [
          '  if [ "$hn_fwb" = nftables ]; then',
          "    if command -v iptables-legacy-save >/dev/null 2>&1 && grep -qs . /proc/net/ip_tables_names; then",
          `      iptables-legacy-save 2>/dev/null | ${awk("iptables-legacy", 0, "nftables")}`,
          "    fi",
          ...(words6 === ""
            ? []
            : [
                "    if command -v ip6tables-legacy-save >/dev/null 2>&1 && grep -qs . /proc/net/ip6_tables_names; then",
                `      ip6tables-legacy-save 2>/dev/null | ${awk("ip6tables-legacy", 0, "nftables", true)}`,
                "    fi",
              ]),
          "    return 0",
          "  fi",
        ]),
    "  hn_fw_v=$(iptables -V 2>/dev/null) || return 0",
    '  case "$hn_fw_v" in *nf_tables*) hn_fw_a=nft; hn_fw_o=legacy ;; *) hn_fw_a=legacy; hn_fw_o=nft ;; esac',
    ...v6,
    `  iptables-save 2>/dev/null | ${awk('"iptables-$hn_fw_a"', 1, '"iptables-$hn_fw_a"')}`,
    '  command -v "iptables-$hn_fw_o-save" >/dev/null 2>&1 || return 0',
    '  if [ "$hn_fw_o" = legacy ] && ! grep -qs . /proc/net/ip_tables_names; then return 0; fi',
    `  "iptables-$hn_fw_o-save" 2>/dev/null | ${awk('"iptables-$hn_fw_o"', 0, '"iptables-$hn_fw_a"')}`,
    "}",
  ];
}

/** Sets hn_fwb in the scan: the backend hostnet writes to on this host (auto: what the host hook recorded, else decided the same way). */
function decideBackend(b: { firewall: FirewallChoice; stack: string }): string[] {
  if (b.firewall !== "auto") return [`hn_fwb=${b.firewall}`];
  return [`hn_fwb=$(cat ${shq(firewallNote(b.stack))} 2>/dev/null || true)`, `case "$hn_fwb" in iptables|nftables) ;; *) ${DECIDE_FIREWALL} ;; esac`];
}

function ownTable(stack: string): string {
  return stack ? nftTable(stack) : "";
}
