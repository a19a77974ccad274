import { netnsPresent, tc, unlessNetnsGone, where } from "./common";
import { shq } from "./quote";
import { HtbClassSpec, HtbSpec, Hooks, ObjectRef } from "./types";

/**
 * Major handle of the object's root qdisc, as tc prints it (lowercase hex, no
 * leading zeros): derived from the object id, in 1000-efff so it is never the
 * "1:" people type by hand. A qdisc carries no alias, so the handle is the tag:
 * destroy removes the root qdisc only when it has this handle.
 */
export function htbHandle(ref: ObjectRef): string {
  return (0x1000 + (parseInt(ref.id.slice(0, 4), 16) % 0xe000)).toString(16);
}

/** Priority offset of the IPv6 twin of a port-only filter: tc keeps one protocol per priority. */
export const IPV6_FILTER_PRIO = 1000;

/**
 * The u32 filters of a class (each the words after `tc`), or [] when it has no match.
 * Addresses pick the family (`protocol ip` / `protocol ipv6` and u32's ip / ip6 selectors).
 * A match with only a port matches both families: one filter each, the IPv6 one at
 * priority `prio + 1000`, since tc refuses two protocols at one priority.
 */
export function htbFilters(dev: string, h: string, c: HtbClassSpec, prio: number): Array<Array<string | number>> {
  const m = c.match;
  if (!m || (m.src === undefined && m.dst === undefined && m.dport === undefined)) return [];
  const addresses = [m.src, m.dst].filter((a): a is string => a !== undefined);
  const families: Array<4 | 6> = addresses.length === 0 ? [4, 6] : addresses.some((a) => a.includes(":")) ? [6] : [4];
  // IPv6: dport is read right after the fixed IPv6 header, as u32 does (packets with extension headers are not matched by port).
  return families.map((f) => {
    const sel = f === 6 ? "ip6" : "ip";
    return [
      "filter",
      "add",
      "dev",
      dev,
      "parent",
      `${h}:`,
      "protocol",
      f === 6 ? "ipv6" : "ip",
      "prio",
      f === 6 && addresses.length === 0 ? prio + IPV6_FILTER_PRIO : prio,
      "u32",
      ...(m.src !== undefined ? ["match", sel, "src", m.src] : []),
      ...(m.dst !== undefined ? ["match", sel, "dst", m.dst] : []),
      ...(m.dport !== undefined ? ["match", sel, "dport", m.dport, "0xffff"] : []),
      "flowid",
      `${h}:${c.id}`,
    ];
  });
}

/**
 * Egress shaping with htb (tc classes, one per user or service): a root qdisc, one parent class
 * with the total rate, one class per entry borrowing from it up to its ceil, and
 * a u32 filter per class that has a match. Create starts from scratch each time
 * (it deletes its own qdisc first), so a re-run converges; a root qdisc someone
 * else added is never replaced.
 */
export function renderHtb(s: HtbSpec, ref: ObjectRef): Hooks {
  const h = htbHandle(ref);
  const T = (...w: Array<string | number>) => tc(s.netns, ...w);
  const ours = `qdisc htb ${h}: `;
  const create = [
    `q=$(${T("qdisc", "show", "dev", s.dev, "root")} 2>/dev/null) || hn_fail ${shq(`interface ${s.dev} does not exist in ${where(s.netns)}; create it before its bandwidth limit`)}`,
    `case "$q" in`,
    `  ${shq(ours)}*) ${T("qdisc", "del", "dev", s.dev, "root")} ;;`,
    // Handle 0: is the kernel's own default qdisc; anything else was added by someone.
    `  "qdisc "*" 0: root"*) ;;`,
    `  *) hn_fail ${shq(`interface ${s.dev} in ${where(s.netns)} already has a root qdisc that hostnet did not add:`)} ` +
      `"$q" ${shq(`; remove it (${T("qdisc", "del", "dev", s.dev, "root")}) or shape another interface`)} ;;`,
    `esac`,
    T("qdisc", "add", "dev", s.dev, "root", "handle", `${h}:`, "htb", "default", s.defaultClass ?? 0),
    T("class", "add", "dev", s.dev, "parent", `${h}:`, "classid", `${h}:1`, "htb", "rate", s.total, "ceil", s.total, "quantum", s.totalQuantum),
    ...s.classes.map((c) =>
      T(
        "class",
        "add",
        "dev",
        s.dev,
        "parent",
        `${h}:1`,
        "classid",
        `${h}:${c.id}`,
        "htb",
        "rate",
        c.rate,
        "ceil",
        c.ceil,
        ...(c.burst ? ["burst", c.burst] : []),
        "quantum",
        c.quantum,
      ),
    ),
    ...s.classes.flatMap((c, i) => htbFilters(s.dev, h, c, i + 1)).map((w) => T(...w)),
  ];
  const del = [
    `if ${T("qdisc", "show", "dev", s.dev, "root")} 2>/dev/null | grep -q ${shq(`^${ours}`)}; then`,
    `  ${T("qdisc", "del", "dev", s.dev, "root")}`,
    `fi`,
  ];
  return { create, destroy: unlessNetnsGone(s.netns, del) };
}

/**
 * Read-only drift probe for `hostnet check`: one line per difference (the qdisc
 * is gone or not hostnet's, a class is missing), nothing when all is there.
 */
export function checkHtb(s: HtbSpec, ref: ObjectRef): string[] {
  const h = htbHandle(ref);
  const T = (...w: Array<string | number>) => tc(s.netns, ...w);
  const nsOk = s.netns ? `${netnsPresent(s.netns)} && ` : "";
  return [
    `if ! { ${nsOk}${T("qdisc", "show", "dev", s.dev, "root")} 2>/dev/null | grep ` +
      `-q ${shq(`^qdisc htb ${h}: `)}; }; then echo ${shq(`htb qdisc ${h}: is missing on ${s.dev} in ${where(s.netns)}`)}; else`,
    `  cls=$(${T("class", "show", "dev", s.dev)} 2>/dev/null)`,
    ...s.classes.map(
      (c) => `  case "$cls" in *${shq(`class htb ${h}:${c.id} `)}*) ;; *) echo ${shq(`htb class ${h}:${c.id} is missing on ${s.dev}`)} ;; esac`,
    ),
    "fi",
  ];
}
