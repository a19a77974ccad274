/**
 * Coexistence with other nftables tables. Every base chain on the forward hook
 * sees a forwarded packet, whatever table it is in, and the packet goes on
 * only when each of them accepts it: a `policy drop` or a drop rule in
 * firewalld's `table inet firewalld`, Docker's or iptables-nft's `table ip
 * filter` chain FORWARD, or any other table, drops traffic that hostnet's own
 * table accepts. This awk program reads `nft list ruleset` and prints one `P`
 * line per base chain that drops traffic the stack forwards, with the rule to
 * add there (and, for the iptables-nft chain, `firewall: "iptables"`, which
 * puts hostnet's accepts into that very chain).
 *
 * Variables: `own` the stack's table (`hostnet_<stack>`, family inet, skipped),
 * `mode` "nftables" (every other table is read) or "iptables" (the tables
 * iptables-nft writes are left to the iptables-save reader of firewall.ts),
 * `flows` "dir:cidr:own" words as there (IPv4; IPv6 flows are passed over).
 *
 * As in firewall.ts, only rules that certainly match decide: rules made of
 * `ip saddr`/`ip daddr` (a CIDR containing the flow's), counters and a comment,
 * with accept, drop or reject. Anything else (ports, interfaces, sets, jumps)
 * is passed over.
 */
export const NFT_FIREWALL_AWK = String.raw`
function num(a,  p) { split(a, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
function within(c, r,  cp, rp, cl, rl, span) {
  split(c, cp, "/"); split(r, rp, "/")
  cl = (cp[2] == "") ? 32 : cp[2] + 0; rl = (rp[2] == "") ? 32 : rp[2] + 0
  if (cl < rl) return 0
  span = 2 ^ (32 - rl)
  return int(num(cp[1]) / span) == int(num(rp[1]) / span)
}
function report(  k, what, fixes, n, fix, head, why) {
  if (!inchain || !fwd) return
  n = 0; what = ""; fixes = ""
  for (k = 1; k <= nf; k++) {
    if (!done[k] && policy == "drop") cause[k] = "policy drop"
    if (cause[k] == "") continue
    n++
    what = what (what == "" ? "" : ", ") fdir[k] " " fcidr[k] (cause[k] == "policy drop" ? "" : " (rule \"" cause[k] "\")")
    fixes = fixes (fixes == "" ? "" : "; ") "nft insert rule " fam " " tname " " chain " ip " (fdir[k] == "from" ? "saddr " : "daddr ") fcidr[k] " accept"
  }
  if (!n) return
  fix = "Fix: " fixes
  if (mode == "nftables" && fam == "ip" && tname == "filter") fix = fix ", or set firewall: \"iptables\" on the Host (hostnet's accepts then go into this chain)"
  head = "P nftables: table " fam " " tname " chain " chain " (hook forward" (policy == "drop" ? ", policy drop" : "") ") drops traffic this stack forwards: " what "."
  why = " A forwarded packet must be accepted by every base chain on the forward hook, so " (mode == "nftables" ? "the accepts in hostnet's table" : "hostnet's iptables rules") " do not help."
  print head why " " fix "."
}
BEGIN {
  nf = split(flows, fl, " ")
  for (k = 1; k <= nf; k++) { split(fl[k], x, ":"); fdir[k] = x[1]; fcidr[k] = x[2] }
}
/^table / {
  fam = $2; tname = $3
  skip = (fam == "inet" && tname == own) || fam == "ip6" || fam == "arp" || fam == "bridge" || fam == "netdev"
  if (mode == "iptables" && (fam == "ip" || fam == "ip6") && tname ~ /^(filter|nat|mangle|raw|security)$/) skip = 1
  next
}
skip { next }
/^\tchain / { chain = $2; inchain = 1; fwd = 0; policy = ""; for (k = 1; k <= nf; k++) { done[k] = 0; cause[k] = "" }; next }
/^\t}/ { report(); inchain = 0; next }
/type filter hook forward / { fwd = 1; if (match($0, /policy [a-z]+;/)) policy = substr($0, RSTART + 7, RLENGTH - 8); next }
inchain && fwd {
  line = $0; sub(/^[ \t]+/, "", line)
  s = ""; d = ""; v = ""; cond = 0
  for (i = 1; i <= NF; i++) {
    t = $i
    if (t == "ip" && $(i + 1) == "saddr") { s = $(i + 2); i += 2 }
    else if (t == "ip" && $(i + 1) == "daddr") { d = $(i + 2); i += 2 }
    else if (t == "counter") {}
    else if (t == "packets" || t == "bytes") i++
    else if (t == "comment") break
    else if (t == "accept" || t == "drop" || t == "reject") { v = t; if (t == "reject") break }
    else cond = 1
  }
  if (cond || v == "" || s ~ /[{$@!]/ || d ~ /[{$@!]/) next
  for (k = 1; k <= nf; k++) {
    if (done[k] || fcidr[k] ~ /:/) continue
    if (s != "" && !(fdir[k] == "from" && within(fcidr[k], s))) continue
    if (d != "" && !(fdir[k] == "to" && within(fcidr[k], d))) continue
    done[k] = 1
    if (v != "accept") cause[k] = line
  }
}
`;
