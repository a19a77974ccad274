/**
 * Address arithmetic shared by the firewall scans' awk programs (FIREWALL_AWK
 * in firewall.ts and NFT_FIREWALL_AWK here): `within(c, r)` says whether CIDR
 * (or address) `c` lies inside `r`, for IPv4 over 32 bits and IPv6 over 128
 * (an IPv6 address expanded to 32 hex digits, compared nibble by nibble).
 * An address of one family is never within a CIDR of the other.
 */
export const CIDR_AWK = String.raw`
function num(a,  p) { split(a, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
function hex6(a,  h, g, n, i, m, out, z) {
  # 32 hex digits of an IPv6 address ("fd00:88::1" -> "fd000088000...0001").
  if (index(a, "::")) {
    n = split(a, h, ":"); m = 0; z = ""
    for (i = 1; i <= n; i++) if (h[i] != "") m++
    for (i = 0; i < 8 - m; i++) z = z ":0"
    sub(/::/, z ":", a); sub(/^:/, "", a); sub(/:$/, "", a)
  }
  n = split(a, g, ":"); out = ""
  for (i = 1; i <= n; i++) out = out substr("0000", 1, 4 - length(g[i])) tolower(g[i])
  return out
}
function nib(c) { return index("0123456789abcdef", c) - 1 }
function within6(ca, cl, ra, rl,  x, y, q, r) {
  x = hex6(ca); y = hex6(ra); q = int(rl / 4); r = rl % 4
  if (substr(x, 1, q) != substr(y, 1, q)) return 0
  if (r == 0) return 1
  return int(nib(substr(x, q + 1, 1)) / 2 ^ (4 - r)) == int(nib(substr(y, q + 1, 1)) / 2 ^ (4 - r))
}
function within(c, r,  cp, rp, cl, rl, span, w) {
  split(c, cp, "/"); split(r, rp, "/")
  w = index(c, ":") ? 128 : 32
  if ((index(c, ":") != 0) != (index(r, ":") != 0)) return 0
  cl = (cp[2] == "") ? w : cp[2] + 0; rl = (rp[2] == "") ? w : rp[2] + 0
  if (cl < rl) return 0
  if (w == 128) return within6(cp[1], cl, rp[1], rl)
  span = 2 ^ (32 - rl)
  return int(num(cp[1]) / span) == int(num(rp[1]) / span)
}
`;

/**
 * Coexistence with other nftables tables. Every base chain on the forward hook
 * sees a forwarded packet, whatever table it is in, and the packet goes on
 * only when each of them accepts it: a `policy drop` or a drop rule in
 * firewalld's `table inet firewalld`, Docker's or iptables-nft's `table ip
 * filter` chain FORWARD (or `table ip6 filter` for ip6tables-nft), or any
 * other table, drops traffic that hostnet's own table accepts. This awk
 * program reads `nft list ruleset` and prints one `P` line per base chain that
 * drops traffic the stack forwards, with the rule to add there (and, for the
 * iptables-nft chains, `firewall: "iptables"`, which puts hostnet's accepts
 * into that very chain).
 *
 * Both families: an `ip` table sees IPv4 flows only, an `ip6` table IPv6 flows
 * only, an `inet` table both; `ip saddr`/`ip daddr` match IPv4 packets and
 * `ip6 saddr`/`ip6 daddr` IPv6 ones (an address match of the other family
 * never matches the flow), each by prefix containment over 32 or 128 bits.
 *
 * Variables: `own` the stack's table (`hostnet_<stack>`, family inet, skipped),
 * `mode` "nftables" (every other table is read) or "iptables" (the tables
 * iptables-nft and ip6tables-nft write are left to the iptables-save readers
 * of firewall.ts), `flows` "dir:cidr:own" words as there, of either family
 * (an IPv6 CIDR holds colons: the direction is before the first).
 *
 * As in firewall.ts, only rules that certainly match decide: rules made of
 * address matches (a CIDR containing the flow's), counters and a comment,
 * with accept, drop or reject. Anything else (ports, interfaces, sets, jumps,
 * `meta nfproto`, IPv4-mapped IPv6 addresses) is passed over.
 */
export const NFT_FIREWALL_AWK =
  CIDR_AWK +
  String.raw`
function seen(k) { return fam == "inet" || (fam == "ip" && fv[k] == 4) || (fam == "ip6" && fv[k] == 6) }
function report(  k, what, fixes, n, fix, head, why) {
  if (!inchain || !fwd) return
  n = 0; what = ""; fixes = ""
  for (k = 1; k <= nf; k++) {
    if (!seen(k)) continue
    if (!done[k] && policy == "drop") cause[k] = "policy drop"
    if (cause[k] == "") continue
    n++
    what = what (what == "" ? "" : ", ") fdir[k] " " fcidr[k] (cause[k] == "policy drop" ? "" : " (rule \"" cause[k] "\")")
    fixes = fixes (fixes == "" ? "" : "; ") "nft insert rule " fam " " tname " " chain (fv[k] == 6 ? " ip6 " : " ip ") (fdir[k] == "from" ? "saddr " : "daddr ") fcidr[k] " accept"
  }
  if (!n) return
  fix = "Fix: " fixes
  if (mode == "nftables" && (fam == "ip" || fam == "ip6") && tname == "filter") fix = fix ", or set firewall: \"iptables\" on the Host (hostnet's accepts then go into this chain)"
  head = "P nftables: table " fam " " tname " chain " chain " (hook forward" (policy == "drop" ? ", policy drop" : "") ") drops traffic this stack forwards: " what "."
  why = " A forwarded packet must be accepted by every base chain on the forward hook, so " (mode == "nftables" ? "the accepts in hostnet's table" : "hostnet's iptables rules") " do not help."
  print head why " " fix "."
}
BEGIN {
  nf = split(flows, fl, " ")
  for (k = 1; k <= nf; k++) {
    i = index(fl[k], ":"); fdir[k] = substr(fl[k], 1, i - 1); fcidr[k] = substr(fl[k], i + 1, length(fl[k]) - i - 2)
    fv[k] = index(fcidr[k], ":") ? 6 : 4
  }
}
/^table / {
  fam = $2; tname = $3
  skip = (fam == "inet" && tname == own) || fam == "arp" || fam == "bridge" || fam == "netdev"
  if (mode == "iptables" && (fam == "ip" || fam == "ip6") && tname ~ /^(filter|nat|mangle|raw|security)$/) skip = 1
  next
}
skip { next }
/^\tchain / { chain = $2; inchain = 1; fwd = 0; policy = ""; for (k = 1; k <= nf; k++) { done[k] = 0; cause[k] = "" }; next }
/^\t}/ { report(); inchain = 0; next }
/type filter hook forward / { fwd = 1; if (match($0, /policy [a-z]+;/)) policy = substr($0, RSTART + 7, RLENGTH - 8); next }
inchain && fwd {
  line = $0; sub(/^[ \t]+/, "", line)
  s = ""; d = ""; sf = 0; df = 0; v = ""; cond = 0
  for (i = 1; i <= NF; i++) {
    t = $i
    if ((t == "ip" || t == "ip6") && $(i + 1) == "saddr") { s = $(i + 2); sf = (t == "ip6") ? 6 : 4; i += 2 }
    else if ((t == "ip" || t == "ip6") && $(i + 1) == "daddr") { d = $(i + 2); df = (t == "ip6") ? 6 : 4; i += 2 }
    else if (t == "counter") {}
    else if (t == "packets" || t == "bytes") i++
    else if (t == "comment") break
    else if (t == "accept" || t == "drop" || t == "reject") { v = t; if (t == "reject") break }
    else cond = 1
  }
  # Sets, maps, negations; an IPv6 address written with a dotted IPv4 tail.
  if (cond || v == "" || s ~ /[{$@!]/ || d ~ /[{$@!]/ || (sf == 6 && s ~ /\./) || (df == 6 && d ~ /\./)) next
  for (k = 1; k <= nf; k++) {
    if (done[k] || !seen(k)) continue
    # A match of the other family: the flow's packets never match this rule.
    if ((sf && sf != fv[k]) || (df && df != fv[k])) continue
    if (s != "" && !(fdir[k] == "from" && within(fcidr[k], s))) continue
    if (d != "" && !(fdir[k] == "to" && within(fcidr[k], d))) continue
    done[k] = 1
    if (v != "accept") cause[k] = line
  }
}
`;
