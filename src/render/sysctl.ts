import { inNetns, ledgerDir, unlessNetnsGone } from "./common";
import { commentSafe, shq } from "./quote";
import { Hooks, ObjectRef, SysctlSpec } from "./types";

/**
 * Set a sysctl and remember the value it had, so destroy restores it. The saved
 * value lives in the ledger directory; a re-run keeps the first saved value.
 * When the saved value is gone (the ledger was removed, or /run was emptied by
 * a reboot) destroy cannot know it: it says so on stderr, naming the sysctl and
 * the value it is left at, instead of skipping the restore without a word.
 */
export function renderSysctl(s: SysctlSpec, ref: ObjectRef): Hooks {
  const file = `${ledgerDir(ref.stack)}/${ref.id}.prev`;
  const saved = shq(file);
  const sysctl = (...w: string[]) => inNetns(s.netns, "sysctl", ...w);
  const family = FAMILY_FORWARDING[s.key];
  // Writing a family's "all" forwarding writes every interface's too (and "default"): their values are saved
  // beside it, so destroy puts back an interface that forwarded on its own before.
  const ifFile = `${file}-if`;
  const ifSaved = shq(ifFile);
  // Only interfaces (and "default") whose value differs from the one being saved: the others get it back
  // with "all". So the entry lists the exceptions, not every interface that happens to exist at that moment.
  const saveIfs = family
    ? `${sysctl("-a", "-r", `^${family.replace(/\./g, "\\.")}\\.[^.]*\\.forwarding$`)} | ` +
      `awk -v v="$v" ${shq(`$1 != "${family}.all.forwarding" && $3 != v`)} > ${ifSaved} || true; `
    : "";
  const create = [
    // Read first, then write: a key that cannot be read (no such key) stops here and leaves no empty saved value.
    `if [ ! -f ${saved} ]; then v=$(${sysctl("-n", s.key)}); ${saveIfs}printf '%s\\n' "$v" > ${saved}; fi`,
    `${sysctl("-q", "-w", `${s.key}=${s.value}`)}`,
  ];
  const where = s.netns ? ` in namespace ${s.netns}` : "";
  // printf, not echo: dash's echo would interpret backslashes in the path.
  const warn =
    `printf '%s%s%s\\n' ` +
    shq(
      `hostnet: warning: ${commentSafe(ref.path)}: no saved value of ${s.key}${where} to restore ` +
        `(${file} is gone: the ledger was removed or the host rebooted); ${s.key} stays at `,
    ) +
    " " +
    `"$(${sysctl("-n", s.key)})" ${shq(`. Set it by hand if that is not what this host needs: sysctl -w ${s.key}=<value>`)} >&2`;
  const restore = [
    `if [ -f ${saved} ]; then`,
    `  ${sysctl("-q", "-w", `${s.key}=`)}"$(cat ${saved})"`,
    // -e: an interface that is gone since is passed over.
    ...(family ? [`  [ ! -s ${ifSaved} ] || ${sysctl("-e", "-q", "-p", ifFile)}`, `  rm -f ${ifSaved}`] : []),
    `  rm -f ${saved}`,
    `else`,
    `  ${warn}`,
    `fi`,
  ];
  // A namespace that is gone took its sysctls with it: only the saved value remains.
  return { create, destroy: unlessNetnsGone(s.netns, restore, [`rm -f ${saved}${family ? ` ${ifSaved}` : ""}`]) };
}

/** Keys whose write sets the forwarding of every interface of a family: the prefix of those interfaces' keys. */
const FAMILY_FORWARDING: Readonly<Record<string, string>> = {
  "net.ipv4.ip_forward": "net.ipv4.conf",
  "net.ipv4.conf.all.forwarding": "net.ipv4.conf",
  "net.ipv6.conf.all.forwarding": "net.ipv6.conf",
};
