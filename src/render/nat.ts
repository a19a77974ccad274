import { inNetns, LEDGER_ROOT, underLock, unlessNetnsGone } from "./common";
import { argv, shq } from "./quote";
import { FirewallChoice, renderAutoNat, renderNftNat } from "./nft";
import { DnatSpec, Hooks, MasqueradeSpec, NatSpec, ObjectRef, SnatSpec, StaticNatSpec } from "./types";

/** One iptables or ip6tables rule: family, table, chain and match/target words (without the comment). */
export interface Rule {
  /** 6: an ip6tables rule; absent: iptables (IPv4). */
  readonly family?: 6;
  readonly table: "nat" | "filter";
  readonly chain: string;
  readonly spec: readonly (string | number)[];
  /**
   * Inserted at the top of its chain (`-I CHAIN 1`) instead of appended: an SNAT, or a 1:1 NAT's SNAT of one
   * address, must come before a masquerade of the subnet around it, whichever object Terraform happened to
   * create first. Overlaps where this order would not decide are refused at synth (sourceNatClashes in
   * src/validate/topology.ts).
   */
  readonly first?: true;
}

/** A rule before the family of its spec is stamped on. */
type Words = Omit<Rule, "family">;

/** The rules a NAT object installs, in order. Every rule carries the object's tag as a comment. */
export function natRules(n: NatSpec): Rule[] {
  return n.family === 6 ? rulesOf(n).map((r) => ({ family: 6, ...r })) : rulesOf(n);
}

/** "iptables" or "ip6tables" (also the prefix of their -save and -restore tools). */
export function iptablesOf(family: 4 | 6): string {
  return family === 6 ? "ip6tables" : "iptables";
}

/** An address as one host: /32, or /128 for IPv6. */
export function hostCidr(address: string, family: 4 | 6): string {
  return `${address}/${family === 6 ? 128 : 32}`;
}

function rulesOf(n: NatSpec): Words[] {
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

function masqueradeRules(n: MasqueradeSpec): Words[] {
  const rules: Words[] = [
    { table: "nat", chain: "POSTROUTING", spec: ["-s", n.source, ...(n.notOutInterface ? ["!", "-o", n.notOutInterface] : []), "-j", "MASQUERADE"] },
  ];
  if (n.allowForward) rules.push(...forwardSubnet(n.source));
  return rules;
}

function snatRules(n: SnatSpec): Words[] {
  const rules: Words[] = [
    {
      table: "nat",
      chain: "POSTROUTING",
      spec: ["-s", n.source, ...(n.outInterface ? ["-o", n.outInterface] : []), "-j", "SNAT", "--to-source", n.toSource],
      first: true,
    },
  ];
  if (n.allowForward) rules.push(...forwardSubnet(n.source));
  return rules;
}

// Where the FORWARD policy is DROP (Docker sets it), forwarded traffic needs these.
function forwardSubnet(source: string): Words[] {
  return [
    { table: "filter", chain: "FORWARD", spec: ["-s", source, "-j", "ACCEPT"] },
    { table: "filter", chain: "FORWARD", spec: ["-d", source, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"] },
  ];
}

function dnatRules(n: DnatSpec): Words[] {
  const v6 = n.family === 6;
  const dst = n.hostAddress ? ["-d", n.hostAddress] : ["-m", "addrtype", "--dst-type", "LOCAL"];
  // An IPv6 address with a port is written in brackets ([fd00::2]:80), or its colons would be read as the port's.
  const target = ["-j", "DNAT", "--to-destination", v6 ? `[${n.toAddress}]:${n.toPort}` : `${n.toAddress}:${n.toPort}`];
  const rules: Words[] = [{ table: "nat", chain: "PREROUTING", spec: ["-p", n.protocol, ...dst, "--dport", n.hostPort, ...target] }];
  if (n.fromHost) {
    // Connections the host opens itself skip PREROUTING; loopback is left out (IPv4 would need route_localnet, IPv6 has no such switch).
    const loopback = v6 ? "::1/128" : "127.0.0.0/8";
    rules.push({ table: "nat", chain: "OUTPUT", spec: ["-p", n.protocol, ...dst, "!", "-d", loopback, "--dport", n.hostPort, ...target] });
  }
  if (n.allowForward) {
    // Both directions: the service's replies are forwarded too, and a DROP policy would eat them.
    rules.push(
      { table: "filter", chain: "FORWARD", spec: ["-p", n.protocol, "-d", n.toAddress, "--dport", n.toPort, "-j", "ACCEPT"] },
      {
        table: "filter",
        chain: "FORWARD",
        spec: ["-p", n.protocol, "-s", n.toAddress, "--sport", n.toPort, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
      },
    );
  }
  if (n.hairpinSource) {
    // A neighbour on the target's own bridge that connects to the published port is
    // DNATed to the target, which would answer it directly over the bridge from an
    // address the client never called. Masquerading makes the answer go back through
    // here; --ctstate DNAT leaves direct connections between neighbours alone.
    rules.push({
      table: "nat",
      chain: "POSTROUTING",
      spec: [
        "-s",
        n.hairpinSource,
        "-d",
        n.toAddress,
        "-p",
        n.protocol,
        "--dport",
        n.toPort,
        "-m",
        "conntrack",
        "--ctstate",
        "DNAT",
        "-j",
        "MASQUERADE",
      ],
    });
  }
  return rules;
}

// The two rules of a router namespace's 1:1 NAT: traffic to the outside address goes to the inside
// one (also when this namespace opens the connection itself), and the inside address
// leaves under the outside one.
function staticRules(n: StaticNatSpec): Words[] {
  const family = n.family ?? 4;
  const inside = hostCidr(n.inside, family);
  const outside = hostCidr(n.outside, family);
  const rules: Words[] = [
    { table: "nat", chain: "PREROUTING", spec: ["-d", outside, "-j", "DNAT", "--to-destination", n.inside] },
    { table: "nat", chain: "OUTPUT", spec: ["-d", outside, "-j", "DNAT", "--to-destination", n.inside] },
    {
      table: "nat",
      chain: "POSTROUTING",
      spec: ["-s", inside, ...(n.insideSubnet ? ["!", "-d", n.insideSubnet] : []), "-j", "SNAT", "--to-source", n.outside],
      first: true,
    },
  ];
  if (n.allowForward) {
    rules.push(
      { table: "filter", chain: "FORWARD", spec: ["-d", inside, "-j", "ACCEPT"] },
      { table: "filter", chain: "FORWARD", spec: ["-s", inside, "-j", "ACCEPT"] },
    );
  }
  return rules;
}

function ruleWords(r: Rule, op: "-C" | "-A" | "-D", tag: string): Array<string | number> {
  // -w: wait for the xtables lock instead of failing when another hook holds it.
  const where = op === "-A" && r.first ? ["-I", r.chain, 1] : [op, r.chain];
  return [iptablesOf(r.family ?? 4), "-w", "-t", r.table, ...where, ...r.spec, "-m", "comment", "--comment", tag];
}

/** Words iptables-restore reads as they are, each one word (every rule word hostnet writes is one: addresses, names, ports, the tag). */
const RESTORE_WORD = /^[A-Za-z0-9_.:/~!,+[\]-]+$/;

/** A newline in a shell variable, without a literal newline in the script: `$(...)` drops only trailing ones. */
const NEWLINE = "hn_nl=$(printf '\\nx'); hn_nl=${hn_nl%x}";

/**
 * awk over `iptables-save`: for every rule carrying the tag as its comment
 * (quoted, as iptables-save prints it, or bare), the `-D` line that deletes it,
 * under its `*table` line, each table closed by COMMIT: iptables-restore input.
 */
const DELETE_AWK = [
  "/^\\*/ { t = $0; next }",
  '/^-A / && (index($0 " ", " --comment \\"" tag "\\" ") || index($0 " ", " --comment " tag " ")) {',
  '  if (t != open) { if (open != "") print "COMMIT"; print t; open = t }',
  '  sub(/^-A /, "-D "); print',
  "}",
  'END { if (open != "") print "COMMIT" }',
].join("\n");

/**
 * The rules of a NAT object. Create: one `iptables-save`, and where none of the
 * object's rules is there yet (a fresh create), all of them in one
 * `iptables-restore --noflush`; a create run again, or one whose restore
 * fails, checks and appends rule by rule (`-C` || `-A`), so no rule is ever
 * there twice. Destroy: one `iptables-save`, and the `-D` of every rule that
 * carries the tag in one `iptables-restore --noflush`; should that fail, the
 * rules are deleted one by one (`-C`, `-D`) as before. A table hostnet made
 * goes with its last rule (removeTableIfEmpty).
 */
export function renderNat(n: NatSpec, ref: ObjectRef): Hooks {
  const netns = n.netns;
  const rules = natRules(n);
  const family = n.family ?? 4;
  const tool = iptablesOf(family);
  const tables = [...new Set(rules.map((r) => r.table))];
  const one = (r: Rule, op: "-C" | "-A" | "-D") => inNetns(netns, ...ruleWords(r, op, ref.tag));
  const addEach = rules.map((r) => `${one(r, "-C")} 2>/dev/null || ${one(r, "-A")}`);
  const deleteEach = [...rules].reverse().map((r) => `while ${one(r, "-C")} 2>/dev/null; do ${one(r, "-D")}; done`);
  const restorable = rules.every((r) => [r.chain, ...r.spec.map(String), ref.tag].every((w) => RESTORE_WORD.test(w)));
  const indent = (ls: string[]) => ls.map((l) => `  ${l}`);
  const save = `${inNetns(netns, `${tool}-save`)} 2>/dev/null`;
  // Any of the object's rules already there: the object's tag as a comment, quoted or bare, before a space or at the end of a line.
  const tagged = [` --comment "${ref.tag}"`, ` --comment ${ref.tag}`].flatMap((c) => [`*${shq(`${c} `)}*`, `*${shq(c)}"$hn_nl"*`]).join("|");
  const restore = inNetns(netns, `${tool}-restore`, "-w", "--noflush");
  const input = tables.flatMap((t) => [
    `*${t}`,
    // iptables-restore takes the words after `iptables -w -t <table>`.
    ...rules.filter((r) => r.table === t).map((r) => ruleWords(r, "-A", ref.tag).slice(4).join(" ")),
    "COMMIT",
  ]);
  const notes = tables.map((t) => noteNewTable(netns, t, family));
  // No iptables-save output (the tool missing or failing): rule by rule, as without it.
  const create = restorable
    ? [
        NEWLINE,
        "hn_fresh=1",
        `hn_ipt=$(${save}) || { hn_ipt=; hn_fresh=0; }`,
        ...notes,
        `case "$hn_ipt$hn_nl" in ${tagged}) hn_fresh=0 ;; esac`,
        `if [ "$hn_fresh" = 0 ] || ! printf '%s\\n' ${input.map(shq).join(" ")} | ${restore} 2>/dev/null; then`,
        ...indent(addEach),
        "fi",
      ]
    : [NEWLINE, `hn_ipt=$(${save}) || hn_ipt=`, ...notes, ...addEach];
  // Rule by rule when there is no iptables-save output, or when the restore fails.
  const del = restorable
    ? [
        NEWLINE,
        "hn_each=1",
        `if hn_ipt=$(${save}); then`,
        "  hn_each=0",
        `  case "$hn_ipt$hn_nl" in ${tagged})`,
        `    printf '%s\\n' "$hn_ipt" | awk -v tag=${shq(ref.tag)} ${shq(DELETE_AWK)} | ${restore} 2>/dev/null || hn_each=1 ;;`,
        "  esac",
        "fi",
        `if [ "$hn_each" = 1 ]; then`,
        ...indent(deleteEach),
        "fi",
        ...tables.flatMap((t) => removeTableIfEmpty(netns, t, family)),
      ]
    : [...deleteEach, ...tables.flatMap((t) => removeTableIfEmpty(netns, t, family))];
  // A namespace that is gone took its tables with it: only the notes remain.
  const dropNotes = [`${argv("rm", "-f", ...tables.map((t) => tableNote(netns, t, family)))}; rmdir ${shq(TABLE_NOTES)} 2>/dev/null || true`];
  // Every NAT object's create and destroy on the host, of every stack, holds one lock: a destroy that finds a
  // table hostnet made empty replaces it, and a create beside it would add rules between that check and the
  // replacement (they were lost). The table notes are the host's, shared by its stacks; so is the lock.
  return {
    create: underLock("hn_nat_lock", LEDGER_ROOT, create),
    destroy: unlessNetnsGone(netns, underLock("hn_nat_lock", LEDGER_ROOT, del), dropNotes),
  };
}

/**
 * Where hostnet notes that a netfilter table did not exist before one of its
 * rules went in (one file per namespace and table, shared by every stack on the
 * host). In a fresh namespace iptables-save prints nothing until a rule creates
 * a table; removing the rules leaves the empty table. The object that removes
 * the table's last rule removes the table too, so iptables-save is what it was.
 */
export const TABLE_NOTES = `${LEDGER_ROOT}/.tables`;

/** The note for an IPv4 table ("host.nat") or an IPv6 one ("host.ip6.nat"). */
export function tableNote(netns: string | undefined, table: string, family: 4 | 6 = 4): string {
  return `${TABLE_NOTES}/${netns ? `ns-${netns}` : "host"}.${family === 6 ? "ip6." : ""}${table}`;
}

// Read from the full `iptables-save` in $hn_ipt (framed by $hn_nl), which lists only tables that exist;
// `iptables-save -t nat` prints an empty table even when there is none.
function noteNewTable(netns: string | undefined, table: string, family: 4 | 6): string {
  const note = shq(tableNote(netns, table, family));
  return `case "$hn_nl$hn_ipt$hn_nl" in *"$hn_nl"${shq(`*${table}`)}"$hn_nl"*) ;; *) [ -f ${note} ] || { mkdir -p ${shq(TABLE_NOTES)}; : > ${note}; } ;; esac`;
}

/**
 * The table goes only when hostnet noted that it made it, and only when it
 * holds nothing: no rule, no user chain, no policy other than ACCEPT.
 * `iptables-restore` without --noflush replaces the table: with iptables-nft
 * an empty `*table` section deletes it. With iptables-legacy the table cannot
 * be unloaded from a namespace; the same command only flushes the (already
 * empty) table, so legacy hosts keep an empty table listed.
 */
function removeTableIfEmpty(netns: string | undefined, table: string, family: 4 | 6): string[] {
  const note = shq(tableNote(netns, table, family));
  // Only from a listing iptables-save gave: no output is not an empty table (replacing the table would drop every rule in it).
  const content = `printf '%s\\n' "$hn_tbl" | grep -v -e '^#' -e ${shq(`^\\*${table}$`)} -e '^COMMIT$' -e '^:[A-Z]* ACCEPT ' | grep -q .`;
  return [
    `if [ -f ${note} ] && hn_tbl=$(${inNetns(netns, `${iptablesOf(family)}-save`, "-t", table)}) && ! ${content}; then`,
    `  printf ${shq(`*${table}\\nCOMMIT\\n`)} | ${inNetns(netns, `${iptablesOf(family)}-restore`, "-w")}`,
    `  rm -f ${note}; rmdir ${shq(TABLE_NOTES)} 2>/dev/null || true`,
    `fi`,
  ];
}

/** For review output: the rule as iptables-save would list it. */
export function describeRule(r: Rule, tag: string): string {
  return `${r.family === 6 ? "ip6tables " : ""}-t ${r.table} ${argv("-A", r.chain, ...r.spec, "-m", "comment", "--comment", tag)}`;
}

/**
 * The hooks of a NAT object with the host's firewall backend: iptables rules,
 * an nftables chain set (src/render/nft.ts), or, for `auto`, both renderings
 * with the choice made on the host at deploy.
 */
export function renderNatWith(n: NatSpec, ref: ObjectRef, firewall: FirewallChoice): Hooks {
  if (firewall === "nftables") return renderNftNat(n, ref);
  const iptables = renderNat(n, ref);
  return firewall === "auto" ? renderAutoNat(n, ref, iptables) : iptables;
}
