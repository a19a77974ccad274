/** gc's tag scan covers iptables and ip6tables rules inside namespaces (NatRule takes a namespace), not only the root namespace's. */
import { findOrphans, renderGcRemove, renderGcScan } from "../../src/drift/gc";
import { syntaxErrors } from "../support/fake-host";

const plan = { ids: new Set<string>(), tags: new Set(["hostnet:s:s/a/kept"]) };

describe("gc, rules in namespaces", () => {
  test("the scan reads each namespace once with iptables-save and ip6tables-save (which list only the tables in use)", () => {
    const scan = renderGcScan("s");
    expect(scan).toContain(`rscan() { ip netns exec "$1" sh -c 'iptables-save 2>/dev/null; echo @@hn-v6; ip6tables-save 2>/dev/null'`);
    expect(scan).toContain(`for n in $(ls /run/netns 2>/dev/null); do rscan "$n"; done`);
    expect(syntaxErrors(scan)).toBe("");
  });

  test("RN and RN6 lines of a tag the plan lacks are rule orphans in that namespace and table; a kept tag is not", () => {
    const scan = [
      'RN ns1 nat -A POSTROUTING -s 10.88.0.0/24 ! -o br0 -m comment --comment "hostnet:s:s/a/gone" -j MASQUERADE',
      "RN ns1 nat -A POSTROUTING -s 10.89.0.0/24 -m comment --comment hostnet:s:s/a/kept -j MASQUERADE",
      'RN6 ns2 filter -A FORWARD -s fd00:88::/64 -m comment --comment "hostnet:s:s/a/gone" -j ACCEPT',
    ].join("\n");
    const orphans = findOrphans(scan, plan);
    expect(orphans.map((o) => [o.type, o.netns, o.table, o.family, o.tag])).toEqual([
      ["rule", "ns1", "nat", undefined, "hostnet:s:s/a/gone"],
      ["rule", "ns2", "filter", 6, "hostnet:s:s/a/gone"],
    ]);
    expect(orphans[0].what).toBe('ns1 nat -A POSTROUTING -s 10.88.0.0/24 ! -o br0 -m comment --comment "hostnet:s:s/a/gone" -j MASQUERADE');
  });

  test("removal runs in the rule's namespace and reads only the table it was found in", () => {
    const orphans = findOrphans(
      [
        'RN ns1 nat -A POSTROUTING -m comment --comment "hostnet:s:s/a/gone" -j MASQUERADE',
        'RN6 ns2 filter -A FORWARD -m comment --comment "hostnet:s:s/a/gone" -j ACCEPT',
        'R nat -A POSTROUTING -m comment --comment "hostnet:s:s/a/gone" -j MASQUERADE',
      ].join("\n"),
      plan,
    );
    const remove = renderGcRemove("s", orphans);
    expect(remove).toContain("for t in nat; do");
    expect(remove).toContain(`    ip netns exec ns1 iptables -w -t "$t" -D $pos`);
    expect(remove).toContain("for t in filter; do");
    expect(remove).toContain(`    ip netns exec ns2 ip6tables -w -t "$t" -D $pos`);
    // The root namespace's rule as before: every table, with the tools as they are.
    expect(remove).toContain("for t in filter nat mangle raw; do");
    expect(remove).toContain(`    iptables -w -t "$t" -D $pos`);
    expect(syntaxErrors(remove)).toBe("");
  });
});
