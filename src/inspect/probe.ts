/**
 * The read-only probe `hostnet inspect` runs on a host: for the root namespace
 * and each named namespace, links (`ip -d -j link`), addresses, IPv4 and IPv6
 * routes of the main table, IPv6 proxy neighbours (proxy NDP), the namespace's
 * nsid map (`ip -j netns list-id`) and the iptables, ip6tables and nftables
 * rules hostnet tagged. It only lists; it changes nothing.
 * A constant: namespace names come from the host and stay in "$P".
 */

import { NETNS_DIR } from "../render/common";
import { shq } from "../render/quote";

/** Marker that starts each section of the probe's output. */
export const INSPECT_MARK = "@@hostnet-inspect";

export const INSPECT_SCRIPT = [
  "set -u",
  `M='${INSPECT_MARK}'`,
  'hn_ip() { if [ -n "$P" ]; then ip -n "$P" "$@"; else ip "$@"; fi; }',
  'hn_ex() { if [ -n "$P" ]; then ip netns exec "$P" "$@"; else "$@"; fi; }',
  "hn_dump() {",
  "  P=$1",
  '  echo "$M place $P"',
  '  echo "$M link"; hn_ip -d -j link show 2>/dev/null || echo "[]"',
  '  echo "$M addr"; hn_ip -j addr show 2>/dev/null || echo "[]"',
  '  echo "$M route"; hn_ip -4 -j route show table main 2>/dev/null || echo "[]"',
  '  echo "$M route6"; hn_ip -6 -j route show table main 2>/dev/null || echo "[]"',
  '  echo "$M proxy6"; hn_ip -6 -j neigh show proxy 2>/dev/null || echo "[]"',
  '  echo "$M nsid"; hn_ip -j netns list-id 2>/dev/null || echo "[]"',
  // Table headers and the rules whose comment is hostnet's tag; nothing else.
  `  echo "$M nat"; hn_ex iptables-save 2>/dev/null | grep -e '^\\*' -e '--comment "\\{0,1\\}hostnet:' || true`,
  // hostnet's nft tables, rule by rule in the same shape ("*nft inet hostnet_<stack>", "-A <chain> <rule> -m comment --comment <tag>"); jumps left out.
  "  command -v nft >/dev/null 2>&1 && hn_ex nft list ruleset 2>/dev/null | awk " +
    String.raw`'/^table / { t = ($3 ~ /^hostnet_/) ? $2 " " $3 : ""; if (t != "") print "*nft " t; next } t == "" { next } /^\tchain / { c = $2; next } ` +
    String.raw`$1 != "jump" && /comment "hostnet:/ { r = $0; sub(/^[ \t]+/, "", r); i = index(r, " comment \""); print "-A " c " " substr(r, 1, i - 1) " -m comment --comment " substr(r, i + 9) }'`,
  `  echo "$M nat6"; hn_ex ip6tables-save 2>/dev/null | grep -e '^\\*' -e '--comment "\\{0,1\\}hostnet:' || true`,
  "}",
  'echo "$M host $(hostname)"',
  'hn_dump ""',
  `ls -1A ${shq(NETNS_DIR)} 2>/dev/null | while IFS= read -r ns; do hn_dump "$ns"; done`,
  'echo "$M end"',
].join("\n");
