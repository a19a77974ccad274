import { ledgerDir, ledgerFile } from "./common";
import { commentSafe, shq } from "./quote";
import { Hooks, ObjectRef } from "./types";

/** What the hook is about, for the first comment line of both scripts. */
export interface ScriptHeader {
  readonly kind: string;
  readonly name: string;
}

/**
 * The destroy script as it runs and as it is kept in the host's ledger: it
 * removes only what carries this object's tag, succeeds when the object is gone,
 * and ends by deleting its own ledger entry.
 */
export function destroyScript(hooks: Hooks, ref: ObjectRef, h: ScriptHeader): string {
  return [
    `# hostnet destroy ${commentSafe(h.kind)} ${commentSafe(h.name)} (${commentSafe(ref.path)})`,
    "set -eu",
    ...hooks.destroy,
    `rm -f ${shq(ledgerFile(ref))}`,
  ].join("\n");
}

/**
 * The create script. Before touching anything it records the destroy script in
 * the ledger (/run/hostnet/<stack>/<id>.down), so an object whose resource block
 * later disappears, or whose create stopped half-way, can still be removed.
 * `hn_own` says whether that entry existed before this run; `hn_fail` reports a
 * conflict and withdraws an entry this run wrote, so a foreign object is never adopted.
 *
 * The create lines run in a subshell (with `set -e`): when one fails, the
 * stored destroy script undoes what they made and removes the entry. Terraform
 * marks a resource whose create failed as tainted and never runs its destroy
 * provisioner, so without this a failed create left its entry (and what it
 * made) behind after a successful destroy. A ledger entry that cannot be
 * written (a full or read-only /run) leaves no partial `.tmp` file.
 *
 * The framing starts as few processes as it can (each one is a fork and an
 * exec on the host, the largest cost of a deploy): the ledger directory is
 * made only when it is missing, and the entry is written by the shell's own
 * printf, the destroy script one single-quoted word (shq), so nothing in it
 * is ever expanded. It is still written to `.tmp` and renamed, so the entry
 * is never seen half-written and a previous entry stays whole when the write
 * fails. The create lines run in one subshell, whose last command runs
 * without a fork of its own.
 */
export function createScript(hooks: Hooks, ref: ObjectRef, h: ScriptHeader): string {
  const down = destroyScript(hooks, ref, h);
  const L = shq(ledgerFile(ref));
  const T = shq(`${ledgerFile(ref)}.tmp`);
  const D = shq(ledgerDir(ref.stack));
  return [
    `# hostnet create ${commentSafe(h.kind)} ${commentSafe(h.name)} (${commentSafe(ref.path)})`,
    "set -eu",
    `hn_own=0; [ -f ${L} ] && hn_own=1`,
    `hn_fail() { [ "$hn_own" = 1 ] || rm -f ${L}; echo "hostnet: ${commentSafe(ref.path).replace(/[^A-Za-z0-9_.:/ -]/g, "_")}: $*" >&2; exit 1; }`,
    `hn_undo() { if [ ` +
      `-f ${L} ]; then ` +
      `echo ${shq(`hostnet: ${ref.path.replace(/[^A-Za-z0-9_.:/ -]/g, "_")}: create failed; undoing what it made`)} >&2; ` +
      `sh ${L} || echo ${shq(`hostnet: undoing failed; the entry ${ledgerFile(ref)} stays for the next deploy or hostnet gc`)} >&2; fi; exit "$1"; }`,
    `[ -d ${D} ] || mkdir -p ${D}`,
    `printf '%s\\n' ${shq(down)} > ${T} || ` +
      `{ rm -f ${T} || true; hn_fail ${shq(`cannot write the ledger entry ${ledgerFile(ref)} (is ${ledgerDir(ref.stack)} full or read-only?); nothing was changed`)}; }`,
    `mv -f ${T} ${L}`,
    "set +e; ( set -e",
    ...hooks.create,
    `); hn_rc=$?; set -e; [ "$hn_rc" = 0 ] || hn_undo "$hn_rc"`,
  ].join("\n");
}
