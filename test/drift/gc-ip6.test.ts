/** gc's tag scan covers ip6tables (issue 15): rules hostnet tagged there are found and removed with ip6tables, not iptables. */
import { findOrphans, renderGcRemove, renderGcScan } from "../../src/drift/gc";
import { syntaxErrors } from "../support/fake-host";

const plan = { ids: new Set<string>(), tags: new Set(["hostnet:s:s/a/kept"]) };

describe("gc, ip6tables", () => {
  test("the scan lists ip6tables rules with the stack's tag as R6 lines", () => {
    const scan = renderGcScan("s");
    expect(scan).toContain(
      `for t in filter nat mangle raw; do ip6tables -w -t "$t" -S 2>/dev/null | grep -F -- '--comment hostnet:s:' | sed "s/^/R6 $t /";`,
    );
    expect(scan).toContain(
      `for t in filter nat mangle raw; do iptables -w -t "$t" -S 2>/dev/null | grep -F -- '--comment hostnet:s:' | sed "s/^/R $t /";`,
    );
    expect(syntaxErrors(scan)).toBe("");
  });

  test("an R6 rule of a tag the plan lacks is an IPv6 rule orphan; one of a kept tag is not", () => {
    const scan = [
      'R6 nat -A POSTROUTING -s fd00:88::/64 ! -o br0 -m comment --comment "hostnet:s:s/a/gone" -j MASQUERADE',
      'R6 nat -A POSTROUTING -s fd00:89::/64 ! -o br1 -m comment --comment "hostnet:s:s/a/kept" -j MASQUERADE',
      'R nat -A POSTROUTING -s 10.88.0.0/24 ! -o br0 -m comment --comment "hostnet:s:s/a/gone" -j MASQUERADE',
    ].join("\n");
    const orphans = findOrphans(scan, plan);
    expect(orphans.map((o) => [o.type, o.tag, o.family])).toEqual([
      ["rule", "hostnet:s:s/a/gone", 6],
      ["rule", "hostnet:s:s/a/gone", undefined],
    ]);
    const remove = renderGcRemove("s", orphans);
    expect(remove).toContain('    ip6tables -w -t "$t" -D $pos');
    expect(remove).toContain('    iptables -w -t "$t" -D $pos');
    expect(syntaxErrors(remove)).toBe("");
  });

  test("an IPv4-only orphan list removes nothing through ip6tables", () => {
    const orphans = findOrphans('R nat -A POSTROUTING -m comment --comment "hostnet:s:s/a/gone" -j MASQUERADE', plan);
    expect(renderGcRemove("s", orphans)).not.toContain("ip6tables");
  });
});
