/**
 * Read-only probes for drift: each renderer returns shell lines that print one
 * line per problem ("bridge br0 is missing in the root namespace") and nothing
 * when the object is as planned. They change nothing on the host.
 */
import { cacheWord, inNetns, ip, netnsPresent, ROUTE_PROTO, where } from "./common";
import { Flow, renderFirewallScan } from "./firewall";
import { iptablesOf, natRules } from "./nat";
import { DECIDE_FIREWALL, firewallNote, FirewallChoice } from "./nft";
import { argv, shq } from "./quote";
import { RoutedEndpointSpec } from "./routed-endpoint";
import { StackedLinkSpec } from "./stacked-link";
import { BridgeSpec, NamespaceSpec, NatSpec, RouteSpec, SysctlSpec, VethEndSpec, VethSpec } from "./types";
import { VxlanSpec } from "./vxlan";

/**
 * A probe line that starts with this marker says the object could not be
 * checked, and why (src/drift/check.ts counts it as not checked, not as drift).
 */
export const NOT_CHECKED = "?";
export { cacheWord };

/** Lines that run `body` when `iptables` exists, else print why the object is not checked. */
function withIptables(body: string[]): string[] {
  return [
    "if ! command -v iptables >/dev/null 2>&1; then",
    `  echo ${shq(`${NOT_CHECKED} iptables is missing on the host`)}`,
    "else",
    ...body.map((l) => `  ${l}`),
    "fi",
  ];
}

function say(msg: string): string {
  return `echo ${shq(msg)}`;
}

/** `if <cond>; then :; else echo <msg>; fi` on one line. */
function expect(cond: string, msg: string): string {
  return `if ${cond}; then :; else ${say(msg)}; fi`;
}

function nsPresent(netns: string | undefined): string {
  return netns ? netnsPresent(netns) : "true";
}

/*
 * The probe's cache. A host has one read of each namespace the objects use
 * (`ip -batch`: links, addresses, and hostnet's routes of both families), not
 * a few `ip` per object: with 1,000 endpoints, about 1,000 processes instead of
 * 4,000. An object's probe declares each namespace it reads with a NEED line;
 * renderCheckBatch (src/drift/check.ts) loads them all first
 * (renderCheckCache), and awk turns the output into shell variables, one per
 * link, per link's addresses and per route destination. A probe reads the
 * variable and, when it is unset (the namespace was not loaded, or the link
 * or route is not in it), runs the `ip` it always ran: a cached value is the
 * same text that `ip` prints, so the result is the same either way, and what
 * looks missing is looked up again on its own.
 */

/** Marks a probe line that names a namespace to load first ('' is the root namespace); `:` makes it a no-op on its own. */
export const NEED = ": hn_need ";

function need(netns: string | undefined): string {
  return `${NEED}${shq(netns ?? "")}`;
}

/** The cache variable for a link's line (L), its addresses (A), or the routes to a destination (R4, R6) in a namespace. */
function cacheVar(kind: "L" | "A" | "R4" | "R6", netns: string | undefined, name: string): string {
  return `hn_${kind}_${netns ? `n${cacheWord(netns)}` : "r"}__${cacheWord(name)}`;
}

/** How `ip route` prints a destination: default for /0, a host route without /32 or /128. */
function printedDestination(destination: string, family: 4 | 6 | undefined): string {
  if (destination === "default" || destination === "0.0.0.0/0" || destination === "::/0") return "default";
  if (family !== 6 && destination.endsWith("/32")) return destination.slice(0, -3);
  if (family === 6 && destination.endsWith("/128")) return destination.slice(0, -4);
  return destination;
}

/**
 * Reads `ip -o` batch output (links, addresses, routes of all tables), each
 * namespace after a "@@hn-ns <name>" line, and prints shell assignments.
 * A link name seen twice in a namespace is left out (looked up on its own),
 * and so are its addresses; routes of other tables than main are left out.
 * IPv6 routes are told by a colon or "pref" (every IPv6 route prints it).
 */
const CACHE_AWK = String.raw`
BEGIN { for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i }
function enc(s,  o, i, c) {
  o = ""
  for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); if (c ~ /[A-Za-z0-9]/) o = o c; else o = o sprintf("_%02x", ord[c]) }
  return o
}
function q(s,  p, n, i, o) { n = split(s, p, "'"); o = p[1]; for (i = 2; i <= n; i++) o = o "'\''" p[i]; return "'" o "'" }
/^@@hn-ns / { n = substr($0, 9); k = (n == "") ? "r" : "n" enc(n); next }
$1 ~ /^[0-9]+:$/ && substr($3, 1, 1) == "<" { d = $2; sub(/:$/, "", d); sub(/@.*/, "", d); x = k "__" enc(d); L[x] = $0; nl[x]++; next }
$1 ~ /^[0-9]+:$/ && ($3 == "inet" || $3 == "inet6") { x = k "__" enc($2); v = (x in A) ? A[x] "\n" $0 : $0; A[x] = v; next }
/ table / { next }
{ f = (index($0, ":") || / pref /) ? "6" : "4"; x = "R" f "_" k "__" enc($1); v = (x in R) ? R[x] "\n" $0 : $0; R[x] = v }
END {
  for (x in L) if (nl[x] == 1) print "hn_L_" x "=" q(L[x])
  for (x in A) if (nl[x] == 1) print "hn_A_" x "=" q(A[x])
  for (x in R) print "hn_" x "=" q(R[x])
}`;

/**
 * Prints each namespace's `ip -o` batch output after a "@@hn-ns" line. $1 is
 * the pid of a shell that still sees /run/netns (empty: this one does, and
 * `ip -n` enters the namespace); the rest are the namespaces ('' is the root).
 */
const CACHE_LOADER = [
  'p=$1; shift; for n; do printf "@@hn-ns %s\\n" "$n"',
  '  if [ -z "$n" ]; then ip -o -force -batch -',
  '  elif [ -n "$p" ]; then nsenter --net="/proc/$p/root/run/netns/$n" ip -o -force -batch -',
  `  else ip -n "$n" -o -force -batch -; fi 2>/dev/null <<'HN_IP' || :`,
  "link show",
  "addr show",
  `route show table all proto ${ROUTE_PROTO}`,
  "HN_IP",
  "done",
].join("\n");

/** In the private mount namespace: an empty /run/netns, then the loader ($0); exit 97 when that cannot be had. */
const PRIVATE_NETNS_DIR = 'command -v nsenter >/dev/null && mount -t tmpfs hostnet-probe /run/netns || exit 97; eval "$0"';

/**
 * Lines that load the namespaces `needs` names (shell words from NEED lines)
 * into the cache, one `ip` each; nothing is cached when awk is missing.
 *
 * `ip` names the namespace of a veth's peer by opening every file in
 * /run/netns and asking for its id, once per process: with 1,000 namespaces
 * that was 15 of the 23 ms each namespace's read took. So the reads run in a
 * private mount namespace with an empty /run/netns over the real one (nothing
 * outside it sees that), each namespace entered with `nsenter` through this
 * shell's view (/proc/$$/root/run/netns/<name>); `ip` then prints the peer's
 * id where it printed its name, which no probe reads. Where that cannot be
 * set up (no unshare or nsenter, no /run/netns, no right to mount), the reads
 * run as they are, with `ip -n`.
 */
export function renderCheckCache(needs: readonly string[]): string[] {
  if (needs.length === 0) return [];
  const words = needs.join(" ");
  return [
    `hn_cache_awk=${shq(CACHE_AWK)}`,
    `hn_loader=${shq(CACHE_LOADER)}`,
    "if command -v awk >/dev/null 2>&1; then",
    `  if ! hn_dump=$(unshare -m --propagation private sh -c ${shq(PRIVATE_NETNS_DIR)} "$hn_loader" "$$" ${words} 2>/dev/null); then`,
    `    hn_dump=$(sh -c "$hn_loader" sh "" ${words})`,
    "  fi",
    `  eval "$(printf '%s\\n' "$hn_dump" | LC_ALL=C awk "$hn_cache_awk")"`,
    "  unset hn_dump",
    "fi",
  ];
}

/**
 * Checks on one link: present, tagged, MTU, master, addresses, up, and `details`
 * (a glob over `ip -d -o link show`, with the message when it does not match).
 * Stops at the first missing piece.
 */
function linkChecks(
  l: { name: string; netns?: string; mtu: number; master?: string; addresses: readonly string[] },
  tag: string,
  what: string,
  details: ReadonlyArray<readonly [glob: string, msg: string]> = [],
): string[] {
  const show = `${ip(l.netns, "-o", "link", "show", "dev", l.name)} 2>/dev/null`;
  const lines = [
    need(l.netns),
    // The cached line, else ip's (the status is ip's when it runs, 0 when the cache has the link).
    `if ! ${nsPresent(l.netns)} || ! l=\${${cacheVar("L", l.netns, l.name)}-$(${show})}; then ${say(`${what} ${l.name} is missing in ${where(l.netns)}`)}; else`,
    // `ip -o` prints the alias as "\    alias <tag>", last or before another "\    " field (altname): no second ip and sed.
    `  ${expect(`case "$l" in *${shq(`\\    alias ${tag}`)}|*${shq(`\\    alias ${tag}\\`)}*) true;; *) false;; esac`, `${what} ${l.name} does not carry this object's tag`)}`,
    `  ${expect(`case "$l" in *" mtu ${l.mtu} "*) true;; *) false;; esac`, `${what} ${l.name}: MTU is not ${l.mtu}`)}`,
    `  ${expect(`case "$l" in *"<"*UP*">"*) true;; *) false;; esac`, `${what} ${l.name} is down`)}`,
  ];
  if (l.master)
    lines.push(`  ${expect(`case "$l" in *" master ${l.master} "*) true;; *) false;; esac`, `${what} ${l.name} is not a port of ${l.master}`)}`);
  // One `ip -o addr` per link, matched by `case` for each address (a grep per address before).
  if (l.addresses.length) lines.push(`  ad=\${${cacheVar("A", l.netns, l.name)}-$(${ip(l.netns, "-o", "addr", "show", "dev", l.name)} 2>/dev/null)}`);
  for (const a of l.addresses) {
    lines.push(`  ${expect(`case "$ad" in *${shq(` ${a} `)}*) true;; *) false;; esac`, `${what} ${l.name} lacks address ${a}`)}`);
  }
  if (details.length) {
    lines.push(`  d=$(${ip(l.netns, "-d", "-o", "link", "show", "dev", l.name)} 2>/dev/null)`);
    for (const [glob, msg] of details) lines.push(`  ${expect(`case "$d" in ${glob}) true;; *) false;; esac`, `${what} ${l.name}: ${msg}`)}`);
  }
  lines.push("fi");
  return lines;
}

export function checkNamespace(ns: NamespaceSpec): string[] {
  return [expect(netnsPresent(ns.name), `namespace ${ns.name} is missing`)];
}

export function checkBridge(br: BridgeSpec, tag: string): string[] {
  return linkChecks({ name: br.name, netns: br.netns, mtu: br.mtu, addresses: br.addresses }, tag, "bridge");
}

export function checkVeth(v: VethSpec, tag: string): string[] {
  const end = (e: VethEndSpec) => linkChecks({ ...e, mtu: v.mtu }, tag, "veth end");
  return [...end(v.a), ...end(v.b)];
}

export function checkRoute(r: RouteSpec): string[] {
  const dest = r.destination === "default" ? (r.family === 6 ? "::/0" : "0.0.0.0/0") : r.destination;
  const cached = cacheVar(r.family === 6 ? "R6" : "R4", r.netns, printedDestination(r.destination, r.family));
  const lines = [
    need(r.netns),
    `if ! ${nsPresent(r.netns)} || ! ` +
      `rt=\${${cached}-$(${ip(r.netns, ...(r.family === 6 ? ["-6"] : []), "route", "show", "exact", dest, "proto", ROUTE_PROTO)} 2>/dev/null)} || [ -z "$rt" ]; ` +
      `then ${say(`route to ${r.destination} is missing in ${where(r.netns)}`)}; else`,
  ];
  if (r.via)
    lines.push(`  ${expect(`case "$rt" in *"via ${r.via} "*) true;; *) false;; esac`, `route to ${r.destination} does not go via ${r.via}`)}`);
  if (r.dev)
    lines.push(`  ${expect(`case "$rt" in *"dev ${r.dev} "*) true;; *) false;; esac`, `route to ${r.destination} does not use dev ${r.dev}`)}`);
  lines.push("fi");
  return lines;
}

export function checkNat(n: NatSpec, tag: string): string[] {
  const run = (...w: Array<string | number>) => inNetns(n.netns, ...w);
  return withIptables(
    natRules(n).map((r) =>
      expect(
        `${run(iptablesOf(r.family ?? 4), "-w", "-t", r.table, "-C", r.chain, ...r.spec, "-m", "comment", "--comment", tag)} 2>/dev/null`,
        `${iptablesOf(r.family ?? 4)} rule missing: -t ${r.table} -A ${r.chain} ${r.spec.join(" ")}`,
      ),
    ),
  );
}

/** VXLAN device: present, tagged, up, MTU, master, addresses; its VNI, local address, parent and port; one flood entry per peer. */
export function checkVxlan(v: VxlanSpec, tag: string): string[] {
  const lines = linkChecks({ name: v.name, mtu: v.mtu, master: v.master, addresses: v.addresses }, tag, "vxlan", [
    [`*" vxlan id ${v.vni} "*`, `VNI is not ${v.vni}`],
    [`*" local ${v.local} "*`, `local address is not ${v.local}`],
    [`*" dev ${v.parent} "*`, `parent device is not ${v.parent}`],
    [`*" dstport ${v.port} "*`, `UDP port is not ${v.port}`],
  ]);
  const fdb = v.peers.map(
    (p) =>
      "  " +
      expect(
        `${argv("bridge", "fdb", "show", "dev", v.name)} 2>/dev/null | grep -qF ${shq(`00:00:00:00:00:00 dst ${p} `)}`,
        `vxlan ${v.name} does not flood to peer ${p} (its fdb entry is missing)`,
      ),
  );
  // Inside the device's else branch: peers are only looked at when the device is there.
  return [...lines.slice(0, -1), ...fdb, lines[lines.length - 1]];
}

/**
 * Routed endpoint: both veth ends, the /32 (and /128) inside, the default routes via the gateways, the /32 (and /128)
 * route back, proxy ARP on the host end (and proxy NDP with its entry for the IPv6 gateway).
 */
export function checkRoutedEndpoint(e: RoutedEndpointSpec, tag: string): string[] {
  const host32 = e.address !== undefined ? `${e.address}/32` : undefined;
  const host128 = e.address6 !== undefined ? `${e.address6}/128` : undefined;
  const inside = [...(host32 ? [host32] : []), ...(host128 ? [host128] : [])];
  const lines = [
    ...linkChecks({ name: e.hostName, mtu: e.mtu, addresses: [] }, tag, "veth end"),
    ...linkChecks({ name: e.name, netns: e.netns, mtu: e.mtu, addresses: inside }, tag, "veth end"),
    `if ${nsPresent(e.netns)} && { [ -n "\${${cacheVar("L", e.netns, e.name)}-}" ] || ${ip(e.netns, "link", "show", "dev", e.name)} >/dev/null 2>&1; }; then`,
  ];
  if (host32)
    lines.push(
      "  " +
        expect(
          `${ip(e.netns, "route", "show", "default")} 2>/dev/null | grep -qF ${shq(`via ${e.gateway} dev ${e.name} `)}`,
          `default route via ${e.gateway} dev ${e.name} is missing in ${where(e.netns)}`,
        ),
    );
  if (host128 && e.gateway6)
    lines.push(
      "  " +
        expect(
          `${ip(e.netns, "-6", "route", "show", "default")} 2>/dev/null | grep -qF ${shq(`via ${e.gateway6} dev ${e.name} `)}`,
          `IPv6 default route via ${e.gateway6} dev ${e.name} is missing in ${where(e.netns)}`,
        ),
    );
  lines.push(
    "fi",
    `if [ -n "\${${cacheVar("L", undefined, e.hostName)}-}" ] || ${ip(undefined, "link", "show", "dev", e.hostName)} >/dev/null 2>&1; then`,
  );
  if (host32) {
    const proxy = `/proc/sys/net/ipv4/conf/${e.hostName}/proxy_arp`;
    lines.push(
      "  " +
        expect(
          `${ip(undefined, "route", "show", "exact", host32, "proto", ROUTE_PROTO)} 2>/dev/null | grep -qF ${shq(`dev ${e.hostName} `)}`,
          `route to ${host32} dev ${e.hostName} is missing in the root namespace`,
        ),
      `  ${expect(`[ "$(cat ${shq(proxy)} 2>/dev/null)" = 1 ]`, `proxy_arp is off on ${e.hostName}`)}`,
    );
  }
  if (host128 && e.gateway6) {
    const proxy = `/proc/sys/net/ipv6/conf/${e.hostName}/proxy_ndp`;
    lines.push(
      "  " +
        expect(
          `${ip(undefined, "-6", "route", "show", "exact", host128, "proto", ROUTE_PROTO)} 2>/dev/null | grep -qF ${shq(`dev ${e.hostName} `)}`,
          `route to ${host128} dev ${e.hostName} is missing in the root namespace`,
        ),
      `  ${expect(`[ "$(cat ${shq(proxy)} 2>/dev/null)" = 1 ]`, `proxy_ndp is off on ${e.hostName}`)}`,
      "  " +
        expect(
          `${ip(undefined, "-6", "neigh", "show", "proxy", e.gateway6, "dev", e.hostName)} 2>/dev/null | grep -q .`,
          `proxy neighbour entry for ${e.gateway6} on ${e.hostName} is missing (the namespace cannot resolve its IPv6 gateway)`,
        ),
    );
  }
  lines.push("fi");
  return lines;
}

/** Macvlan or ipvlan link: present in its namespace, tagged, up, MTU, addresses, its type and mode. */
export function checkStackedLink(s: StackedLinkSpec, tag: string): string[] {
  return linkChecks({ name: s.name, netns: s.netns, mtu: s.mtu, addresses: s.addresses }, tag, s.type, [
    [`*" ${s.type} "*"mode ${s.mode} "*`, `is not a ${s.type} in mode ${s.mode}`],
  ]);
}

/**
 * Host-wide probe, before the objects': the tool the host's rules are written
 * with is there (else every rule would read as missing): `nft` on a host whose
 * objects use nftables, `iptables` where they use iptables (`h.iptables`: some
 * object writes iptables rules), and under `auto` whichever the host hook
 * recorded (decided the same way when the note is missing). Then the firewall
 * lets through what the stack forwards (src/render/firewall.ts). Problems
 * print as they are; warnings start with "warning: ".
 */
export function checkHost(h: { iptables: boolean; flows: readonly Flow[]; backend?: { firewall: FirewallChoice; stack: string } }): string[] {
  const lines: string[] = [];
  const firewall = h.backend?.firewall ?? "iptables";
  if (firewall === "nftables") lines.push(`command -v nft >/dev/null 2>&1 || ${say(MISSING.nft)}`);
  else if (firewall === "auto")
    lines.push(
      `hn_fwb=$(cat ${shq(firewallNote(h.backend!.stack))} 2>/dev/null || true)`,
      `case "$hn_fwb" in iptables|nftables) ;; *) ${DECIDE_FIREWALL} ;; esac`,
      `if [ "$hn_fwb" = nftables ]; then command -v nft >/dev/null 2>&1 || ${say(MISSING.nft)}; ` +
        `else command -v iptables >/dev/null 2>&1 || ${say(MISSING.iptables)}; fi`,
    );
  else if (h.iptables) lines.push(`command -v iptables >/dev/null 2>&1 || ${say(MISSING.iptables)}`);
  if (h.flows.length) {
    lines.push(...renderFirewallScan(h.flows, h.backend), `hn_fw_scan | sed -n 's/^P //p; s/^W /warning: /p'`);
  }
  return lines;
}

const MISSING = {
  iptables:
    "iptables is missing on the host, so none of this stack's iptables rules can be there or be checked; install iptables, then run hostnet check again",
  nft: "nft is missing on the host, so none of this stack's nftables rules can be there or be checked; install nftables (it gives nft), then run hostnet check again",
};

export function checkSysctl(s: SysctlSpec): string[] {
  const get = inNetns(s.netns, "sysctl", "-n", s.key);
  return [expect(`[ "$(${get} 2>/dev/null)" = ${shq(s.value)} ]`, `${s.key} is not ${s.value}${s.netns ? ` in namespace ${s.netns}` : ""}`)];
}
