import { addressLines } from "../../src/render/address";
import { renderBridge } from "../../src/render/bridge";
import { renderNamespace } from "../../src/render/namespace";
import { describeRule, natRules, renderNat, Rule, tableNote } from "../../src/render/nat";
import { renderRoute } from "../../src/render/route";
import { renderVeth } from "../../src/render/veth";
import { NatSpec, ObjectRef } from "../../src/render/types";
import { syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "s", path: "s/a/x", id: "0123456789ab", tag: "hostnet:s:s/a/x" };
const TAG = ref.tag;

describe("addressLines: IPv6 addresses without DAD, on a link with IPv6 on", () => {
  test.each<[string | undefined, string, string[], string[]]>([
    [undefined, "br0", ["10.0.0.1/24"], ["ip addr replace 10.0.0.1/24 dev br0"]],
    [
      undefined,
      "br0",
      ["10.0.0.1/24", "fd00:88::1/64"],
      ["sysctl -q -w net.ipv6.conf.br0.disable_ipv6=0", "ip addr replace 10.0.0.1/24 dev br0", "ip addr replace fd00:88::1/64 dev br0 nodad"],
    ],
    [
      "web",
      "eth0.10",
      ["fd00:88::2/64"],
      ["ip netns exec web sysctl -q -w net.ipv6.conf.eth0/10.disable_ipv6=0", "ip -n web addr replace fd00:88::2/64 dev eth0.10 nodad"],
    ],
  ])("netns %s dev %s %j", (netns, dev, addresses, lines) => {
    expect(addressLines(netns, dev, addresses)).toEqual(lines);
  });

  test("a dual-stack bridge and veth end carry both addresses; IPv4-only ones render as before", () => {
    const br = renderBridge({ name: "br0", mtu: 1500, addresses: ["10.0.0.1/24", "fd00:88::1/64"] }, ref).create;
    const brText = br.join("\n");
    expect(brText).toContain("\naddr replace fd00:88::1/64 dev br0 nodad\n");
    expect(brText.indexOf("sysctl -q -w net.ipv6.conf.br0.disable_ipv6=0")).toBeLessThan(brText.indexOf("addr replace fd00:88::1/64 dev br0 nodad"));
    const v = renderVeth(
      {
        a: { name: "eth0", netns: "web", addresses: ["10.0.0.2/24", "fd00:88::2/64"] },
        b: { name: "ve-web", master: "br0", addresses: [] },
        mtu: 1500,
      },
      ref,
    ).create;
    expect(v.join("\n")).toContain(
      "ip -n web -batch - <<'HN_IP'\nlink set dev eth0 alias hostnet:s:s/a/x\nlink set dev eth0 mtu 1500\naddr replace 10.0.0.2/24 dev eth0\naddr replace fd00:88::2/64 dev eth0 nodad\n",
    );
    expect(v.join("\n")).not.toMatch(/ve-web.*disable_ipv6/);
    expect(renderBridge({ name: "br0", mtu: 1500, addresses: ["10.0.0.1/24"] }, ref).create.join("\n")).not.toMatch(/ipv6|nodad/);
  });

  test("a namespace with IPv6 turns it on for lo before lo comes up; one without renders as before", () => {
    const create = renderNamespace({ name: "web", killProcesses: true, ipv6: true }).create;
    expect(create.slice(-2)).toEqual(["ip netns exec web sysctl -q -w net.ipv6.conf.lo.disable_ipv6=0", "ip -n web link set dev lo up"]);
    expect(renderNamespace({ name: "web", killProcesses: true }).create.join("\n")).not.toContain("ipv6");
  });
});

describe("IPv6 routes", () => {
  test("the IPv6 default route needs -6 to replace, list and delete", () => {
    const h = renderRoute({ netns: "web", destination: "default", via: "fd00:88::1", family: 6 });
    expect(h.create).toEqual([
      `cur=$(ip -n web -6 route show exact ::/0); case "$cur" in ""|*' proto 199'*) ;; *) hn_fail 'a route to default already exists in namespace web ` +
        `and hostnet did not add it; remove it or drop this Route' ;; esac`,
      "ip -n web -6 route replace default via fd00:88::1 proto 199",
    ]);
    expect(h.destroy).toEqual([
      "if ! [ ! -e /run/netns/web ]; then",
      "  cur=$(ip -n web -6 route show exact ::/0 proto 199) || cur=",
      '  [ -z "$cur" ] || ip -n web -6 route del default proto 199',
      "fi",
    ]);
    expect(syntaxErrors([...h.create, ...h.destroy].join("\n"))).toBe("");
  });

  test("an IPv6 network route", () => {
    expect(renderRoute({ destination: "fd00:89::/64", via: "fd00:88::2", metric: 5, family: 6 }).create[1]).toBe(
      "ip -6 route replace fd00:89::/64 via fd00:88::2 metric 5 proto 199",
    );
  });
});

describe("NAT66 through ip6tables", () => {
  test.each<[string, NatSpec, Rule[]]>([
    [
      "masquerade of an IPv6 subnet",
      { type: "masquerade", source: "fd00:88::/64", notOutInterface: "br0", allowForward: false, family: 6 },
      [{ family: 6, table: "nat", chain: "POSTROUTING", spec: ["-s", "fd00:88::/64", "!", "-o", "br0", "-j", "MASQUERADE"] }],
    ],
    [
      "snat to an IPv6 address (no brackets without a port)",
      { type: "snat", source: "fd00:88::5/128", toSource: "fd00:1::10", allowForward: false, family: 6 },
      [{ family: 6, table: "nat", chain: "POSTROUTING", spec: ["-s", "fd00:88::5/128", "-j", "SNAT", "--to-source", "fd00:1::10"], first: true }],
    ],
    [
      "port forward to [address]:port, the host's own connections except ::1, hairpin",
      {
        type: "dnat",
        protocol: "tcp",
        hostPort: 10080,
        toAddress: "fd00:88::2",
        toPort: 80,
        fromHost: true,
        allowForward: false,
        hairpinSource: "fd00:88::/64",
        family: 6,
      },
      [
        {
          family: 6,
          table: "nat",
          chain: "PREROUTING",
          spec: ["-p", "tcp", "-m", "addrtype", "--dst-type", "LOCAL", "--dport", 10080, "-j", "DNAT", "--to-destination", "[fd00:88::2]:80"],
        },
        {
          family: 6,
          table: "nat",
          chain: "OUTPUT",
          spec: [
            "-p",
            "tcp",
            "-m",
            "addrtype",
            "--dst-type",
            "LOCAL",
            "!",
            "-d",
            "::1/128",
            "--dport",
            10080,
            "-j",
            "DNAT",
            "--to-destination",
            "[fd00:88::2]:80",
          ],
        },
        {
          family: 6,
          table: "nat",
          chain: "POSTROUTING",
          spec: ["-s", "fd00:88::/64", "-d", "fd00:88::2", "-p", "tcp", "--dport", 80, "-m", "conntrack", "--ctstate", "DNAT", "-j", "MASQUERADE"],
        },
      ],
    ],
    [
      "1:1 NAT of /128s",
      { type: "static", inside: "fd00:88::5", outside: "fd00:1::5", allowForward: false, family: 6 },
      [
        { family: 6, table: "nat", chain: "PREROUTING", spec: ["-d", "fd00:1::5/128", "-j", "DNAT", "--to-destination", "fd00:88::5"] },
        { family: 6, table: "nat", chain: "OUTPUT", spec: ["-d", "fd00:1::5/128", "-j", "DNAT", "--to-destination", "fd00:88::5"] },
        { family: 6, table: "nat", chain: "POSTROUTING", spec: ["-s", "fd00:88::5/128", "-j", "SNAT", "--to-source", "fd00:1::5"], first: true },
      ],
    ],
  ])("%s", (_, spec, rules) => {
    expect(natRules(spec)).toEqual(rules);
  });

  test("IPv4 rules carry no family, as before", () => {
    expect(natRules({ type: "masquerade", source: "10.0.0.0/24", allowForward: false })).toEqual([
      { table: "nat", chain: "POSTROUTING", spec: ["-s", "10.0.0.0/24", "-j", "MASQUERADE"] },
    ]);
  });

  test("every line runs ip6tables and its own table tools; the table notes are apart from IPv4's", () => {
    const spec: NatSpec = { type: "masquerade", source: "fd00:88::/64", allowForward: true, family: 6 };
    const h = renderNat(spec, ref);
    const all = [...h.create, ...h.destroy].join("\n");
    expect(h.create).toContain(
      `    ip6tables -w -t nat -C POSTROUTING -s fd00:88::/64 -j MASQUERADE -m comment --comment ${TAG} 2>/dev/null || ` +
        `ip6tables -w -t nat -A POSTROUTING -s fd00:88::/64 -j MASQUERADE -m comment --comment ${TAG}`,
    );
    expect(all).toContain("hn_ipt=$(ip6tables-save 2>/dev/null) || { hn_ipt=; hn_fresh=0; }");
    expect(all).toContain(`'-A POSTROUTING -s fd00:88::/64 -j MASQUERADE -m comment --comment ${TAG}' COMMIT`);
    expect(all).toContain("ip6tables-restore -w --noflush");
    expect(all).not.toMatch(/(^|[ (])iptables/);
    expect(tableNote(undefined, "nat", 6)).toBe("/run/hostnet/.tables/host.ip6.nat");
    expect(tableNote("r", "filter", 6)).toBe("/run/hostnet/.tables/ns-r.ip6.filter");
    expect(tableNote(undefined, "nat")).toBe("/run/hostnet/.tables/host.nat");
    expect(syntaxErrors(all)).toBe("");
    expect(describeRule(natRules(spec)[0], TAG)).toBe(`ip6tables -t nat -A POSTROUTING -s fd00:88::/64 -j MASQUERADE -m comment --comment ${TAG}`);
  });
});
