import { ledgerDir } from "./common";
import { argv, shq } from "./quote";
import { Hooks, ObjectRef, SysctlSpec } from "./types";

/**
 * Set a sysctl and remember the value it had, so destroy restores it. The saved
 * value lives in the ledger directory; a re-run keeps the first saved value.
 */
export function renderSysctl(s: SysctlSpec, ref: ObjectRef): Hooks {
  const saved = shq(`${ledgerDir(ref.stack)}/${ref.id}.prev`);
  const sysctl = (...w: string[]) => (s.netns ? argv("ip", "netns", "exec", s.netns, "sysctl", ...w) : argv("sysctl", ...w));
  const create = [
    `[ -f ${saved} ] || ${sysctl("-n", s.key)} > ${saved}`,
    `${sysctl("-q", "-w", `${s.key}=${s.value}`)}`,
  ];
  const restore = [`if [ -f ${saved} ]; then`, `  ${sysctl("-q", "-w", `${s.key}=`)}"$(cat ${saved})"`, `  rm -f ${saved}`, `fi`];
  const destroy = s.netns ? [`if [ -e ${shq(`/run/netns/${s.netns}`)} ]; then`, ...restore.map((l) => `  ${l}`), `else`, `  rm -f ${saved}`, `fi`] : restore;
  return { create, destroy };
}
