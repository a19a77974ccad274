import { argv, shq } from "./quote";
import { ObjectRef } from "./types";

/** Where hostnet keeps, on each host, the destroy script of every object it created. */
export const LEDGER_ROOT = "/run/hostnet";
/** The hook lock's files in a stack's ledger directory (src/transport/hook-lock.ts); the host's last hook removes them. */
export const LOCK_FILES = [".owner", ".active", ".lock"] as const;
/** iproute2 keeps named namespaces here (NETNS_RUN_DIR). */
export const NETNS_DIR = "/run/netns";
/** Route protocol number that marks routes hostnet added (ip route ... proto 199). */
export const ROUTE_PROTO = 199;

export function ledgerDir(stack: string): string {
  return `${LEDGER_ROOT}/${stack}`;
}

export function ledgerFile(ref: ObjectRef): string {
  return `${ledgerDir(ref.stack)}/${ref.id}.down`;
}

/** `ip` or `ip -n <ns>`, followed by the given words. */
export function ip(netns: string | undefined, ...words: Array<string | number>): string {
  return netns ? argv("ip", "-n", netns, ...words) : argv("ip", ...words);
}

/**
 * Words ip's batch reader takes as they are. It splits a line at white space,
 * treats a leading quote as quoting, cuts the line at "#" and joins a line
 * ending in a backslash with the next (iproute2 lib/utils.c: getcmdline,
 * makeargs); none of those characters is allowed here.
 */
const BATCH_SAFE = /^[A-Za-z0-9_.:/@%+=,~][A-Za-z0-9_.:/@%+=,~-]*$/;
/** Delimiter of a batch's quoted heredoc; no batch line can equal it (each starts with an object: link, addr). */
const BATCH_END = "HN_IP";

/**
 * `ip` commands that follow each other in one namespace, as one process:
 * `ip [-n NS] -batch -` reading them from a quoted heredoc (never the script's
 * own stdin, which may be the script itself under `sh -s`). Without -force, ip
 * stops at the first failing line and exits non-zero, as `set -e` would.
 * One command stays a plain `ip` line, and so do the commands when any word
 * is one ip's batch reader would read differently (a value that slipped past
 * validation): then each goes through argv as before.
 *
 * The heredoc is one element of the returned lines (with embedded newlines),
 * so a caller that indents lines never indents its terminator.
 */
export function ipBatch(netns: string | undefined, cmds: ReadonlyArray<ReadonlyArray<string | number>>): string[] {
  const texts = cmds.map((c) => c.map(String));
  if (texts.length < 2 || !texts.every((c) => c.length > 0 && c.every((w) => BATCH_SAFE.test(w)))) return texts.map((c) => ip(netns, ...c));
  return [[`${ip(netns, "-batch", "-")} <<'${BATCH_END}'`, ...texts.map((c) => c.join(" ")), BATCH_END].join("\n")];
}

/** `tc` or `tc -n <ns>`, followed by the given words. */
export function tc(netns: string | undefined, ...words: Array<string | number>): string {
  return netns ? argv("tc", "-n", netns, ...words) : argv("tc", ...words);
}

/**
 * Run a command inside a namespace, for tools without a -n flag (iptables,
 * sysctl): the one way a renderer enters a namespace, as CNI's WithNetNSPath.
 */
export function inNetns(netns: string | undefined, ...words: Array<string | number>): string {
  return netns ? argv("ip", "netns", "exec", netns, ...words) : argv(...words);
}

/** The file iproute2 keeps for a named namespace. */
export function netnsPath(netns: string): string {
  return `${NETNS_DIR}/${netns}`;
}

/** Test that holds when the namespace is present. */
export function netnsPresent(netns: string): string {
  return `[ -e ${shq(netnsPath(netns))} ]`;
}

/** Test that holds when the namespace is absent (then nothing inside it needs removing). */
export function netnsGone(netns: string | undefined): string | null {
  return netns ? `[ ! -e ${shq(netnsPath(netns))} ]` : null;
}

/**
 * Destroy-side: run `body` only while the namespace exists. A namespace that is
 * gone took its links, routes, qdiscs, rules and sysctls with it, so there is
 * nothing left to remove and destroy succeeds (as CNI's cmdDel treats not-found).
 * `orElse` runs instead when it is gone (to drop notes kept outside it). In the
 * root namespace `body` runs as it is.
 */
export function unlessNetnsGone(netns: string | undefined, body: string[], orElse: string[] = []): string[] {
  const gone = netnsGone(netns);
  if (!gone) return body;
  return [`if ! ${gone}; then`, ...indent(body), ...(orElse.length ? ["else", ...indent(orElse)] : []), `fi`];
}

function indent(lines: string[]): string[] {
  return lines.map((l) => `  ${l}`);
}

/**
 * `body` in a subshell that holds an exclusive flock on the directory `dir`
 * (whose path the shell variable `name` holds; "/" when the directory is gone,
 * as after a lost ledger: then nobody else holds it either). The lock goes
 * with the subshell, however it ends.
 */
export function underLock(name: string, dir: string, body: readonly string[]): string[] {
  return [`${name}=${shq(dir)}; [ -d "$${name}" ] || ${name}=/`, `(`, `  flock 9`, ...body.map((l) => `  ${l}`), `) 9<"$${name}"`];
}

export function where(netns: string | undefined): string {
  return netns ? `namespace ${netns}` : "the root namespace";
}

/**
 * The link's one-line description (`ip -o link show`: fields joined by "\    ")
 * in `hn_l`, true when the link exists. One process per ownership check: the
 * alias is matched by `case`, never by another `ip` or `sed`.
 */
function showLink(netns: string | undefined, name: string): string {
  return `hn_l=$(${ip(netns, "-o", "link", "show", "dev", name)} 2>/dev/null)`;
}

/**
 * `case` subject and patterns for the alias field of `hn_l`: with a field
 * separator appended, an alias is always followed by one, so a tag never
 * matches a longer alias it is a prefix of.
 */
const LINK_FIELDS = `"$hn_l\\\\    "`;
const aliasIs = (tag: string) => `*'\\    alias '${shq(tag)}'\\    '*`;
const ANY_ALIAS = `*'\\    alias '*`;

/**
 * Shell variable a create script sets to 1 when it added the namespace itself
 * in this run (see `namespaceCreate`): nothing but lo is in it yet, so a check
 * for a link or route already there would find nothing and is skipped.
 */
export const NEW_NETNS = "hn_new";
/** Test that holds unless this run made the namespace itself (`NEW_NETNS`). */
export const NOT_NEW_NETNS = `[ "$${NEW_NETNS}" = 0 ]`;

/** The words that tag a link as this object's (its alias): for `ip` or `ipBatch`. */
export function aliasWords(name: string, tag: string): string[] {
  return ["link", "set", "dev", name, "alias", tag];
}

export interface EnsureLinkOptions {
  /**
   * The caller sets the alias itself (`aliasWords`, first in its batch), so it
   * shares that process.
   * @default false: the last line sets it
   */
  readonly aliasByCaller?: boolean;
  /** The link's namespace was made by this run (`NEW_NETNS`): the link cannot exist yet, so it is not looked up. @default false */
  readonly inNewNetns?: boolean;
}

/**
 * Create-side ownership: the link must be absent (then `add` runs), or carry this
 * object's tag, or carry no tag while this object's ledger entry existed before
 * the run (a create that stopped between `link add` and `alias`).
 */
export function ensureLink(
  netns: string | undefined,
  name: string,
  tag: string,
  add: string[],
  what: string,
  opts: EnsureLinkOptions = {},
): string[] {
  const fail = `hn_fail ${shq(`${what} ${name} already exists in ${where(netns)} and hostnet did not create it for this object; remove it or choose another name`)}`;
  return [
    `if ${opts.inNewNetns ? `${NOT_NEW_NETNS} && ` : ""}${showLink(netns, name)}; then`,
    `  case ${LINK_FIELDS} in ${aliasIs(tag)}) hn_ok=1 ;; ${ANY_ALIAS}) hn_ok=0 ;; *) hn_ok=$hn_own ;; esac`,
    `  [ "$hn_ok" = 1 ] || ${fail}`,
    `else`,
    ...add.map((l) => `  ${l}`),
    `fi`,
    ...(opts.aliasByCaller ? [] : [ip(netns, ...aliasWords(name, tag))]),
  ];
}

/** Destroy-side: delete the link only when it carries this object's tag. */
export function deleteOwnedLink(netns: string | undefined, name: string, tag: string): string[] {
  return unlessNetnsGone(netns, [
    `if ${showLink(netns, name)}; then`,
    `  case ${LINK_FIELDS} in ${aliasIs(tag)}) ${ip(netns, "link", "del", "dev", name)} ;; esac`,
    `fi`,
  ]);
}

/** Letters and digits as they are, every other byte as _xx ("_" too): a name that fits in a shell variable's (enc() in CACHE_AWK). */
export function cacheWord(s: string): string {
  let o = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    o += /[A-Za-z0-9]/.test(c) ? c : `_${b.toString(16).padStart(2, "0")}`;
  }
  return o;
}
