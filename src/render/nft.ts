/**
 * The nftables backend of NatRule: one table per stack per host (or per
 * namespace), `table inet hostnet_<stack>`, so IPv4 and IPv6 rules share it.
 * The table's base chains sit at the standard hook priorities (nat
 * prerouting/output/postrouting, filter forward, policy accept); each object
 * has its own regular chains, jumped to from the base chains by one rule per
 * chain that carries the object's tag as its comment. A create or destroy is
 * one `nft -f -` transaction: the whole object or nothing. Destroy deletes
 * the object's jump rules (by handle, found by the tag comment) and chains;
 * the last object's destroy deletes the table. No other table is touched.
 *
 * Every value that reaches nft's input is checked here (an address, a CIDR, an
 * interface name, a tag) and the input itself is printed by `printf '%s\n'`
 * with shell-quoted lines, so neither the shell nor nft sees a value as syntax.
 */
import { cacheWord, inNetns, ledgerDir, underLock, unlessNetnsGone } from "./common";
import { shq, UnquotableError } from "./quote";
import { DnatSpec, Hooks, MasqueradeSpec, NatSpec, ObjectRef, SnatSpec, StaticNatSpec } from "./types";

/** The backend a NAT object's rules are written with. */
export type FirewallBackend = "iptables" | "nftables";
/** What a Host or stack asks for: a backend, or `auto` (decided on the host at deploy: see renderFirewallDecision). */
export type FirewallChoice = FirewallBackend | "auto";
export const FIREWALL_CHOICES: readonly FirewallChoice[] = ["iptables", "nftables", "auto"];

/** The base chains of a hostnet table, in the order they are declared. */
export const NFT_HOOKS = {
  prerouting: "type nat hook prerouting priority dstnat; policy accept;",
  output: "type nat hook output priority -100; policy accept;",
  postrouting: "type nat hook postrouting priority srcnat; policy accept;",
  forward: "type filter hook forward priority filter; policy accept;",
} as const;
export type NftHook = keyof typeof NFT_HOOKS;

const SHORT: Record<NftHook, string> = { prerouting: "pre", output: "out", postrouting: "post", forward: "fwd" };

/** One nft rule of an object: the base chain it hangs off and its statement words (without the comment). */
export interface NftRule {
  readonly hook: NftHook;
  readonly words: readonly string[];
  /** The object's jump from this hook's base chain goes first (`insert rule`), not last: see Rule.first in src/render/nat.ts. */
  readonly first?: true;
}

/** The stack's table name on every host: `hostnet_<stack>` (stack names are letters, digits, "_" and "-", which nft takes as they are). */
export function nftTable(stack: string): string {
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(stack))
    throw new UnquotableError(`stack name "${stack}" cannot name an nftables table; use 1-63 letters, digits, "_" or "-".`);
  return `hostnet_${stack}`;
}

/** The object's own chain for one hook: `o_<ledger id>_<pre|out|post|fwd>`. */
export function nftChain(ref: ObjectRef, hook: NftHook): string {
  if (!/^[A-Za-z0-9]{1,32}$/.test(ref.id)) throw new UnquotableError(`object id "${ref.id}" cannot name an nftables chain.`);
  return `o_${ref.id}_${SHORT[hook]}`;
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const V6 = /^[0-9A-Fa-f:.]{2,45}$/;

/** An IPv4 or IPv6 address or CIDR as nft reads it, checked (nft input is not shell: no quoting makes a bad one safe). */
export function nftAddress(value: string): string {
  const [addr, len, ...rest] = value.split("/");
  const v6 = addr.includes(":");
  const okAddr = v6 ? V6.test(addr) : V4.test(addr);
  const okLen = len === undefined || (/^\d{1,3}$/.test(len) && Number(len) <= (v6 ? 128 : 32));
  if (!okAddr || !okLen || rest.length) throw new UnquotableError(`"${value}" is not an IPv4 or IPv6 address or CIDR that nftables can take.`);
  return value;
}

/** `ip` for an IPv4 address, `ip6` for an IPv6 one: the address text decides. */
export function family(address: string): "ip" | "ip6" {
  return address.includes(":") ? "ip6" : "ip";
}

/** An interface name as an nft string ("br0"), after the same check as interface names everywhere. */
export function nftIfname(name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/.test(name))
    throw new UnquotableError(`interface name "${name}" cannot reach nftables; use letters, digits, "_", "-" and ".".`);
  return `"${name}"`;
}

/** The comment of a rule: hostnet's tag (src/plan/names.ts keeps it to [A-Za-z0-9_.:/~-]), in nft's double quotes. */
export function nftComment(tag: string): string {
  if (!/^[A-Za-z0-9_.:/~-]{1,200}$/.test(tag)) throw new UnquotableError(`tag "${tag}" cannot be an nftables comment.`);
  return `comment "${tag}"`;
}

function port(p: number): string {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new UnquotableError(`port ${p} is not a port number from 1 to 65535.`);
  return String(p);
}

function proto(p: string): string {
  if (p !== "tcp" && p !== "udp") throw new UnquotableError(`protocol "${p}" is not tcp or udp.`);
  return p;
}

/** `ip saddr 10.0.0.0/24` or `ip6 saddr fd00::/64`. */
function match(dir: "saddr" | "daddr", address: string): string[] {
  return [family(address), dir, nftAddress(address)];
}

/** The target of a DNAT: `10.0.0.2:80`, `[fd00::2]:80`. */
function hostPort(address: string, p: number): string {
  return family(address) === "ip6" ? `[${nftAddress(address)}]:${port(p)}` : `${nftAddress(address)}:${port(p)}`;
}

/** The rules a NAT object installs with nftables, in order: the same traffic as natRules (src/render/nat.ts) selects. */
export function nftRules(n: NatSpec): NftRule[] {
  switch (n.type) {
    case "masquerade":
      return masqueradeRules(n);
    case "snat":
      return snatRules(n);
    case "dnat":
      return dnatRules(n);
    case "static":
      return staticRules(n);
  }
}

function masqueradeRules(n: MasqueradeSpec): NftRule[] {
  const out = n.notOutInterface ? ["oifname", "!=", nftIfname(n.notOutInterface)] : [];
  return [{ hook: "postrouting", words: [...match("saddr", n.source), ...out, "masquerade"] }, ...(n.allowForward ? forwardSubnet(n.source) : [])];
}

function snatRules(n: SnatSpec): NftRule[] {
  const out = n.outInterface ? ["oifname", nftIfname(n.outInterface)] : [];
  return [
    { hook: "postrouting", words: [...match("saddr", n.source), ...out, "snat", family(n.toSource), "to", nftAddress(n.toSource)], first: true },
    ...(n.allowForward ? forwardSubnet(n.source) : []),
  ];
}

function forwardSubnet(source: string): NftRule[] {
  return [
    { hook: "forward", words: [...match("saddr", source), "accept"] },
    { hook: "forward", words: [...match("daddr", source), "ct", "state", "established,related", "accept"] },
  ];
}

function dnatRules(n: DnatSpec): NftRule[] {
  const fam = family(n.toAddress);
  const p = proto(n.protocol);
  // Without a host address, any address local to the host (iptables' addrtype LOCAL); the family
  // match keeps an IPv4 DNAT to IPv4 packets in the inet table.
  const dst = n.hostAddress ? match("daddr", n.hostAddress) : ["meta", "nfproto", fam === "ip6" ? "ipv6" : "ipv4", "fib", "daddr", "type", "local"];
  const target = ["dnat", fam, "to", hostPort(n.toAddress, n.toPort)];
  const rules: NftRule[] = [{ hook: "prerouting", words: [...dst, p, "dport", port(n.hostPort), ...target] }];
  if (n.fromHost) {
    // Connections the host opens itself skip prerouting; loopback is left out (it would need route_localnet).
    // The address match implies the family: nft lists the rule without `meta nfproto`, so it is left out here too.
    const notLoopback = [fam, "daddr", "!=", fam === "ip6" ? "::1" : "127.0.0.0/8"];
    const local = n.hostAddress ? match("daddr", n.hostAddress) : ["fib", "daddr", "type", "local"];
    rules.push({ hook: "output", words: [...local, ...notLoopback, p, "dport", port(n.hostPort), ...target] });
  }
  if (n.allowForward) {
    rules.push(
      { hook: "forward", words: [...match("daddr", n.toAddress), p, "dport", port(n.toPort), "accept"] },
      { hook: "forward", words: [...match("saddr", n.toAddress), p, "sport", port(n.toPort), "ct", "state", "established,related", "accept"] },
    );
  }
  if (n.hairpinSource) {
    // As the iptables rule: `ct status dnat` is --ctstate DNAT, so direct connections between neighbours stay as they are.
    rules.push({
      hook: "postrouting",
      words: [...match("saddr", n.hairpinSource), ...match("daddr", n.toAddress), p, "dport", port(n.toPort), "ct", "status", "dnat", "masquerade"],
    });
  }
  return rules;
}

function staticRules(n: StaticNatSpec): NftRule[] {
  const fam = family(n.inside);
  const dnat = [...match("daddr", n.outside), "dnat", fam, "to", nftAddress(n.inside)];
  const rules: NftRule[] = [
    { hook: "prerouting", words: dnat },
    { hook: "output", words: dnat },
    {
      hook: "postrouting",
      words: [...match("saddr", n.inside), ...(n.insideSubnet ? [fam, "daddr", "!=", n.insideSubnet] : []), "snat", fam, "to", nftAddress(n.outside)],
      first: true,
    },
  ];
  if (n.allowForward)
    rules.push(
      { hook: "forward", words: [...match("daddr", n.inside), "accept"] },
      { hook: "forward", words: [...match("saddr", n.inside), "accept"] },
    );
  return rules;
}

/** The hooks an object's rules use, in NFT_HOOKS order. */
function hooksOf(rules: readonly NftRule[]): NftHook[] {
  return (Object.keys(NFT_HOOKS) as NftHook[]).filter((h) => rules.some((r) => r.hook === h));
}

/**
 * nft input lines that add the object's chains, rules and jumps (the table and
 * base chains first, when missing). `fresh`: the object's chains are made with
 * `create`, which fails the whole transaction when one exists already (a create
 * run again), instead of `add` + `flush`.
 */
export function nftCreateLines(n: NatSpec, ref: ObjectRef, fresh = false): string[] {
  const t = `inet ${nftTable(ref.stack)}`;
  const rules = nftRules(n);
  const hooks = hooksOf(rules);
  const comment = nftComment(ref.tag);
  return [
    `add table ${t}`,
    ...hooks.map((h) => `add chain ${t} ${h} { ${NFT_HOOKS[h]} }`),
    ...hooks.flatMap((h) =>
      fresh ? [`create chain ${t} ${nftChain(ref, h)}`] : [`add chain ${t} ${nftChain(ref, h)}`, `flush chain ${t} ${nftChain(ref, h)}`],
    ),
    ...rules.map((r) => `add rule ${t} ${nftChain(ref, r.hook)} ${r.words.join(" ")} ${comment}`),
    ...hooks.map((h) => `${rules.some((r) => r.hook === h && r.first) ? "insert" : "add"} rule ${t} ${h} jump ${nftChain(ref, h)} ${comment}`),
  ];
}

/** For review output: the object's rules as `nft list` shows them, chain by chain. */
export function describeNftRules(n: NatSpec, ref: ObjectRef): string[] {
  const t = `inet ${nftTable(ref.stack)}`;
  const rules = nftRules(n);
  return hooksOf(rules).flatMap((h) => [
    `${t} ${h}: jump ${nftChain(ref, h)}`,
    ...rules.filter((r) => r.hook === h).map((r) => `${t} ${nftChain(ref, h)}: ${r.words.join(" ")} ${nftComment(ref.tag)}`),
  ]);
}

/** `nft` in the object's namespace. */
function nft(netns: string | undefined, ...words: string[]): string {
  return inNetns(netns, "nft", ...words);
}

/**
 * awk over `nft -a list table` (nft prints `# handle N` last on each line):
 * prints a `delete rule` line for each of the object's jumps in a base chain
 * (found by the jump and the tag comment, `m` holding one such text per base
 * chain, "|"-separated); with `drop` set it then prints `drop` ("|"-separated
 * nft lines) and, when no other object's chain (`o_*` not starting with
 * `own`) is left in the table, `delete table`. Prints nothing for no input
 * (the table is gone).
 */
const JUMPS_AWK = [
  'BEGIN { n = split(m, M, "|"); split(bases, B, " "); for (i in B) base[B[i]] = 1 }',
  '$1 == "chain" { c = $2; if (c ~ /^o_/ && index(c, own) != 1) others++; next }',
  'c in base { for (i = 1; i <= n; i++) if (index($0, M[i]) && $NF ~ /^[0-9]+$/) { print "delete rule " t " " c " handle " $NF; break } }',
  'END { if (NR == 0 || drop == "") exit; k = split(drop, D, "|"); for (i = 1; i <= k; i++) print D[i]; if (!others) print "delete table " t }',
].join("\n");

/**
 * One `nft -a list table` piped through JUMPS_AWK: the object's jumps of an
 * earlier run (create) or of this one (destroy, with `drop`), as nft input.
 */
function jumpLines(netns: string | undefined, ref: ObjectRef, drop: readonly string[] = []): string {
  const table = nftTable(ref.stack);
  const hooks = Object.keys(NFT_HOOKS) as NftHook[];
  const markers = hooks.map((h) => `jump ${nftChain(ref, h)} ${nftComment(ref.tag)} `).join("|");
  const vars = [
    ["t", `inet ${table}`],
    ["m", markers],
    ["bases", hooks.join(" ")],
    ["own", `o_${ref.id}_`],
    ["drop", drop.join("|")],
  ];
  return `${nft(netns, "-a", "list", "table", "inet", table)} 2>/dev/null | awk ${vars.map(([k, v]) => `-v ${k}=${shq(v)}`).join(" ")} ${shq(JUMPS_AWK)}`;
}

// Objects of one stack on one host are created in parallel: the check of the
// table's other chains and the transaction that may delete the table must not
// interleave with another object's create. The stack's ledger directory exists
// while any of its objects does, so it is what they lock (flock on a directory).
// A destroy run where the directory is gone (a lost ledger) locks "/" instead: it then has nobody to wait for.
function locked(ref: ObjectRef, body: string[]): string[] {
  return underLock("hn_nft_lock", ledgerDir(ref.stack), body);
}

/** Lines that print nft input lines, one shell-quoted argument per line. */
function printLines(lines: readonly string[]): string {
  return `printf '%s\\n' ${lines.map(shq).join(" ")}`;
}

/**
 * Create: one transaction that adds table, base chains, the object's chains
 * (with `create`), its rules and its jumps: one nft process. Where one of the
 * object's chains exists (a create run again) that transaction fails as a
 * whole, and a second one removes the earlier run's jumps (one listing of the
 * table), then adds the chains (flushed), rules and jumps again.
 */
export function renderNftNatCreate(n: NatSpec, ref: ObjectRef): string[] {
  return locked(ref, [
    `if ! ${printLines(nftCreateLines(n, ref, true))} | ${nft(n.netns, "-f", "-")} 2>/dev/null; then`,
    `  { ${jumpLines(n.netns, ref)}; ${printLines(nftCreateLines(n, ref))}; } | ${nft(n.netns, "-f", "-")}`,
    `fi`,
  ]);
}

/**
 * Destroy: one listing of the table, and one transaction that deletes the
 * object's jump rules and chains, and the table when no other object's chain
 * is left in it. Nothing to do when nft, the table (or the namespace) is gone.
 */
export function renderNftNatDestroy(n: NatSpec, ref: ObjectRef): string[] {
  const t = `inet ${nftTable(ref.stack)}`;
  const mine = (Object.keys(NFT_HOOKS) as NftHook[]).map((h) => nftChain(ref, h));
  // `add` first: deleting a chain that does not exist would fail the whole transaction.
  const dropChains = mine.flatMap((c) => [`add chain ${t} ${c}`, `flush chain ${t} ${c}`, `delete chain ${t} ${c}`]);
  const body = [
    `if command -v nft >/dev/null 2>&1; then`,
    ...locked(ref, [`${jumpLines(n.netns, ref, dropChains)} | ${nft(n.netns, "-f", "-")}`]).map((l) => `  ${l}`),
    `fi`,
  ];
  return unlessNetnsGone(n.netns, body);
}

export function renderNftNat(n: NatSpec, ref: ObjectRef): Hooks {
  return { create: renderNftNatCreate(n, ref), destroy: renderNftNatDestroy(n, ref) };
}

/** Where the host hook records what `auto` chose for the stack on this host; every NAT object of the stack reads it. */
export function firewallNote(stack: string): string {
  return `${ledgerDir(stack)}/.firewall`;
}

/**
 * `auto`, decided on the host: nftables where `nft` exists and plain
 * `iptables` is the nf_tables one (`iptables -V` says "nf_tables") or absent;
 * else iptables. Sets hn_fwb.
 */
export const DECIDE_FIREWALL =
  "hn_fwb=iptables; if command -v nft >/dev/null 2>&1; then " +
  'if ! command -v iptables >/dev/null 2>&1; then hn_fwb=nftables; else case "$(iptables -V 2>/dev/null)" in *nf_tables*) hn_fwb=nftables ;; esac; fi; fi';

/**
 * The host hook's lines for `auto`: decide once and record it in the stack's
 * ledger directory, unless an earlier deploy did (objects already made with
 * one backend stay with it).
 */
export function renderFirewallDecision(stack: string, host: string): string[] {
  const note = shq(firewallNote(stack));
  return [
    `if [ ! -s ${note} ]; then`,
    `  ${DECIDE_FIREWALL}`,
    `  echo "$hn_fwb" > ${note}`,
    `  echo ${shq(`hostnet: host ${host.replace(/[^A-Za-z0-9_.-]/g, "_")}: firewall auto chose`)} "$hn_fwb" ${shq("(nftables where nft exists and iptables is nf_tables-backed or absent)")}`,
    `fi`,
  ];
}

/**
 * A NAT object whose host says `auto`: the create uses what the host hook
 * recorded (deciding the same way if the note is missing); the destroy
 * removes the object from both backends, each only where its command exists
 * (removing what is absent changes nothing), so it never depends on the note.
 */
export function renderAutoNat(n: NatSpec, ref: ObjectRef, iptables: Hooks): Hooks {
  const nftHooks = renderNftNat(n, ref);
  const ind = (ls: string[]) => ls.map((l) => `  ${l}`);
  return {
    create: [
      `hn_fwb=$(cat ${shq(firewallNote(ref.stack))} 2>/dev/null || true)`,
      `case "$hn_fwb" in iptables|nftables) ;; *) ${DECIDE_FIREWALL} ;; esac`,
      `if [ "$hn_fwb" = nftables ]; then`,
      ...ind(nftHooks.create),
      `else`,
      ...ind(iptables.create),
      `fi`,
    ],
    destroy: [...nftHooks.destroy, `if command -v iptables >/dev/null 2>&1; then`, ...ind(iptables.destroy), `fi`],
  };
}

/**
 * awk over `nft list table`: `want` holds the expected lines as "|"-separated
 * triples (chain, line as listed without its indent, what to print when it is
 * missing: none of them holds a "|"); prints the message of each one not in its chain.
 */
const CHECK_AWK = [
  'BEGIN { n = split(want, W, "|"); for (i = 1; i + 2 <= n; i += 3) { k++; key[k] = W[i] SUBSEP W[i + 1]; msg[k] = W[i + 2] } }',
  '$1 == "chain" { c = $2; next }',
  '{ l = $0; sub(/^[ \\t]+/, "", l); seen[c SUBSEP l] = 1 }',
  "END { for (i = 1; i <= k; i++) if (!(key[i] in seen)) print msg[i] }",
].join("\n");

/**
 * Drift probe (src/render/check.ts): the table, each jump from a base chain
 * and each rule of the object's chains, as `nft list` prints them. Prints one
 * line per missing piece; `?` when nft is missing. The table is listed once
 * per namespace in a probe run (a shell variable every NAT object of the stack
 * reads) and each object's lines are looked up in it by one awk.
 */
export function checkNftNat(n: NatSpec, ref: ObjectRef): string[] {
  const table = nftTable(ref.stack);
  const rules = nftRules(n);
  const say = (msg: string) => `echo ${shq(msg)}`;
  const comment = nftComment(ref.tag);
  const want = [
    ...hooksOf(rules).map((h) => [h, `jump ${nftChain(ref, h)} ${comment}`, `nft jump from inet ${table} ${h} to ${nftChain(ref, h)} is missing`]),
    ...rules.map((r) => [
      nftChain(ref, r.hook),
      `${r.words.join(" ")} ${comment}`,
      `nft rule missing: ${nftChain(ref, r.hook)}: ${r.words.join(" ")}`,
    ]),
  ];
  const cache = `hn_nft_${n.netns ? `n${cacheWord(n.netns)}` : "r"}__${cacheWord(table)}`;
  return [
    "if ! command -v nft >/dev/null 2>&1; then",
    `  ${say("? nft is missing on the host")}`,
    "else",
    `  [ -n "\${${cache}+x}" ] || ${cache}=$(${nft(n.netns, "list", "table", "inet", table)} 2>/dev/null) || ${cache}=`,
    `  if [ -z "$${cache}" ]; then`,
    `    ${say(`nftables table inet ${table} is missing`)}`,
    "  else",
    `    printf '%s\\n' "$${cache}" | awk -v want=${shq(want.flat().join("|"))} ${shq(CHECK_AWK)}`,
    "  fi",
    "fi",
  ];
}
