import { renderNat, renderNatWith } from "../../src/render/nat";
import {
  checkNftNat,
  describeNftRules,
  family,
  nftAddress,
  nftChain,
  nftComment,
  nftCreateLines,
  nftIfname,
  NftRule,
  nftRules,
  nftTable,
  renderNftNat,
} from "../../src/render/nft";
import { UnquotableError } from "../../src/render/quote";
import { createScript, destroyScript } from "../../src/render/script";
import { NatSpec, ObjectRef } from "../../src/render/types";
import { syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "port-publish", path: "port-publish/a/nat", id: "0123456789ab", tag: "hostnet:port-publish:port-publish/a/nat" };
const header = { kind: "nat", name: "nat" };

describe("nftRules: the same traffic as the iptables rules, in nft's words", () => {
  test.each<[string, NatSpec, NftRule[]]>([
    [
      "masquerade that leaves the bridge alone, with forwarding",
      { type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: true },
      [
        { hook: "postrouting", words: ["ip", "saddr", "10.0.0.0/24", "oifname", "!=", '"br0"', "masquerade"] },
        { hook: "forward", words: ["ip", "saddr", "10.0.0.0/24", "accept"] },
        { hook: "forward", words: ["ip", "daddr", "10.0.0.0/24", "ct", "state", "established,related", "accept"] },
      ],
    ],
    [
      "IPv6 masquerade matches ip6 saddr",
      { type: "masquerade", source: "fd00:88::/64", allowForward: false },
      [{ hook: "postrouting", words: ["ip6", "saddr", "fd00:88::/64", "masquerade"] }],
    ],
    [
      "snat out of one interface",
      { type: "snat", source: "10.0.0.0/24", toSource: "192.0.2.1", outInterface: "eth0", allowForward: false },
      [{ hook: "postrouting", words: ["ip", "saddr", "10.0.0.0/24", "oifname", '"eth0"', "snat", "ip", "to", "192.0.2.1"], first: true }],
    ],
    [
      "IPv6 snat",
      { type: "snat", source: "fd00::/64", toSource: "2001:db8::1", allowForward: false },
      [{ hook: "postrouting", words: ["ip6", "saddr", "fd00::/64", "snat", "ip6", "to", "2001:db8::1"], first: true }],
    ],
    [
      "port forward on every local address, from the host too, with forwarding and hairpin",
      {
        type: "dnat",
        protocol: "tcp",
        hostPort: 10080,
        toAddress: "10.92.0.2",
        toPort: 80,
        fromHost: true,
        allowForward: true,
        hairpinSource: "10.92.0.0/24",
      },
      [
        {
          hook: "prerouting",
          words: ["meta", "nfproto", "ipv4", "fib", "daddr", "type", "local", "tcp", "dport", "10080", "dnat", "ip", "to", "10.92.0.2:80"],
        },
        {
          hook: "output",
          words: ["fib", "daddr", "type", "local", "ip", "daddr", "!=", "127.0.0.0/8", "tcp", "dport", "10080", "dnat", "ip", "to", "10.92.0.2:80"],
        },
        { hook: "forward", words: ["ip", "daddr", "10.92.0.2", "tcp", "dport", "80", "accept"] },
        { hook: "forward", words: ["ip", "saddr", "10.92.0.2", "tcp", "sport", "80", "ct", "state", "established,related", "accept"] },
        {
          hook: "postrouting",
          words: ["ip", "saddr", "10.92.0.0/24", "ip", "daddr", "10.92.0.2", "tcp", "dport", "80", "ct", "status", "dnat", "masquerade"],
        },
      ],
    ],
    [
      "udp port forward on one host address",
      {
        type: "dnat",
        protocol: "udp",
        hostPort: 53,
        hostAddress: "192.0.2.1",
        toAddress: "10.0.0.2",
        toPort: 5353,
        fromHost: false,
        allowForward: false,
      },
      [{ hook: "prerouting", words: ["ip", "daddr", "192.0.2.1", "udp", "dport", "53", "dnat", "ip", "to", "10.0.0.2:5353"] }],
    ],
    [
      "IPv6 port forward: brackets around the target",
      { type: "dnat", protocol: "tcp", hostPort: 8080, toAddress: "fd00::2", toPort: 80, fromHost: true, allowForward: false },
      [
        {
          hook: "prerouting",
          words: ["meta", "nfproto", "ipv6", "fib", "daddr", "type", "local", "tcp", "dport", "8080", "dnat", "ip6", "to", "[fd00::2]:80"],
        },
        {
          hook: "output",
          words: ["fib", "daddr", "type", "local", "ip6", "daddr", "!=", "::1", "tcp", "dport", "8080", "dnat", "ip6", "to", "[fd00::2]:80"],
        },
      ],
    ],
    [
      "1:1 NAT with forwarding",
      { type: "static", inside: "10.0.0.5", outside: "16.158.1.5", allowForward: true, netns: "router" },
      [
        { hook: "prerouting", words: ["ip", "daddr", "16.158.1.5", "dnat", "ip", "to", "10.0.0.5"] },
        { hook: "output", words: ["ip", "daddr", "16.158.1.5", "dnat", "ip", "to", "10.0.0.5"] },
        { hook: "postrouting", words: ["ip", "saddr", "10.0.0.5", "snat", "ip", "to", "16.158.1.5"], first: true },
        { hook: "forward", words: ["ip", "daddr", "10.0.0.5", "accept"] },
        { hook: "forward", words: ["ip", "saddr", "10.0.0.5", "accept"] },
      ],
    ],
  ])("%s", (_name, spec, rules) => {
    expect(nftRules(spec)).toEqual(rules);
  });
});

describe("names and values that reach nft's input", () => {
  test.each<[string, string]>([
    ["port-publish", "hostnet_port-publish"],
    ["s_1", "hostnet_s_1"],
    ["9lives", "hostnet_9lives"],
  ])("stack %s has table %s", (stack, table) => {
    expect(nftTable(stack)).toBe(table);
  });

  test("an object's chains are named after its ledger id and hook", () => {
    expect(["prerouting", "output", "postrouting", "forward"].map((h) => nftChain(ref, h as "forward"))).toEqual([
      "o_0123456789ab_pre",
      "o_0123456789ab_out",
      "o_0123456789ab_post",
      "o_0123456789ab_fwd",
    ]);
  });

  test.each([["10.0.0.1"], ["10.0.0.0/8"], ["0.0.0.0/0"], ["fd00::1"], ["fd00:88::/64"], ["::ffff:10.0.0.1"]])("address %s passes", (a) => {
    expect(nftAddress(a)).toBe(a);
  });

  test.each([
    ["10.0.0.1; flush ruleset"],
    ["10.0.0.1\nflush ruleset"],
    ["10.0.0.256"],
    ["10.0.0.1/33"],
    ["fd00::/129"],
    ["10.0.0.0/8/8"],
    ['10.0.0.1" comment "x'],
    ["{ 10.0.0.1, 10.0.0.2 }"],
    ["$var"],
    [""],
  ])("address %j is refused", (a) => {
    expect(() => nftAddress(a)).toThrow(UnquotableError);
  });

  test.each([['br0"; flush ruleset; "'], ["a b"], ["br0\n"], ["-x"], ["verylonginterface0"], ["br\\0"], [""]])(
    "interface name %j is refused",
    (name) => {
      expect(() => nftIfname(name)).toThrow(UnquotableError);
    },
  );

  test.each([['hostnet:s:a" ; flush ruleset #'], ["hostnet:s:a\nflush ruleset"], ["hostnet:s:a b"], ["hostnet:s:$(reboot)"]])(
    "tag %j cannot be a comment",
    (tag) => {
      expect(() => nftComment(tag)).toThrow(UnquotableError);
    },
  );

  test.each([["a.b"], ["a b"], ["x;y"], [""]])("stack name %j cannot name a table", (stack) => {
    expect(() => nftTable(stack)).toThrow(UnquotableError);
  });

  test("a port out of range or a protocol nft would read as syntax is refused", () => {
    const dnat = (over: Partial<NatSpec>) =>
      nftRules({
        type: "dnat",
        protocol: "tcp",
        hostPort: 80,
        toAddress: "10.0.0.2",
        toPort: 80,
        fromHost: false,
        allowForward: false,
        ...over,
      } as NatSpec);
    expect(() => dnat({ hostPort: 70000 })).toThrow(UnquotableError);
    expect(() => dnat({ toPort: 1.5 } as Partial<NatSpec>)).toThrow(UnquotableError);
    expect(() => dnat({ protocol: "tcp dport 1 accept;" } as Partial<NatSpec>)).toThrow(UnquotableError);
  });

  test("family follows the address text", () => {
    expect([family("10.0.0.1"), family("fd00::1"), family("10.0.0.0/24"), family("::/0")]).toEqual(["ip", "ip6", "ip", "ip6"]);
  });
});

describe("renderNftNat", () => {
  const masq: NatSpec = { type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: true };

  test("the create input adds table, base chains, the object's chains, its rules and its jumps, each rule tagged", () => {
    const t = "inet hostnet_port-publish";
    const c = `comment "${ref.tag}"`;
    expect(nftCreateLines(masq, ref)).toEqual([
      `add table ${t}`,
      `add chain ${t} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
      `add chain ${t} forward { type filter hook forward priority filter; policy accept; }`,
      `add chain ${t} o_0123456789ab_post`,
      `flush chain ${t} o_0123456789ab_post`,
      `add chain ${t} o_0123456789ab_fwd`,
      `flush chain ${t} o_0123456789ab_fwd`,
      `add rule ${t} o_0123456789ab_post ip saddr 10.0.0.0/24 oifname != "br0" masquerade ${c}`,
      `add rule ${t} o_0123456789ab_fwd ip saddr 10.0.0.0/24 accept ${c}`,
      `add rule ${t} o_0123456789ab_fwd ip daddr 10.0.0.0/24 ct state established,related accept ${c}`,
      `add rule ${t} postrouting jump o_0123456789ab_post ${c}`,
      `add rule ${t} forward jump o_0123456789ab_fwd ${c}`,
    ]);
  });

  test("create and destroy are one nft -f - each (the create's second only for a run again), under the stack's ledger lock, and parse as sh", () => {
    const h = renderNftNat(masq, ref);
    const create = h.create.join("\n");
    const destroy = h.destroy.join("\n");
    // test/render/nft-real.test.ts runs them: a fresh create is one nft process, a run again three.
    expect(create.match(/nft -f -/g)).toHaveLength(2);
    expect(create).toContain("'create chain inet hostnet_port-publish o_0123456789ab_post'");
    expect(destroy.match(/nft -f -/g)).toHaveLength(1);
    expect(create).toContain("flock 9");
    // The table goes with the last object (awk prints the line when no other object's chain is left).
    expect(destroy).toContain(`-v t='inet hostnet_port-publish'`);
    expect(destroy).toContain('print "delete table " t');
    expect(destroy).toContain("delete chain inet hostnet_port-publish o_0123456789ab_post");
    expect(destroy).not.toMatch(/iptables/);
    expect(syntaxErrors(createScript(h, ref, header))).toBe("");
    expect(syntaxErrors(destroyScript(h, ref, header))).toBe("");
  });

  test("in a namespace every nft runs there, and a namespace that is gone needs nothing removed", () => {
    const h = renderNftNat({ ...masq, netns: "router" }, ref);
    const nfts = [...h.create, ...h.destroy].join("\n").match(/(?:ip netns exec router )?nft (?:-|list)/g)!;
    expect(nfts.every((w) => w.startsWith("ip netns exec router"))).toBe(true);
    expect(h.destroy[0]).toBe("if ! [ ! -e /run/netns/router ]; then");
  });

  test("renderNatWith picks the backend: iptables as before, nftables alone, auto with both", () => {
    expect(renderNatWith(masq, ref, "iptables")).toEqual(renderNat(masq, ref));
    expect(renderNatWith(masq, ref, "nftables")).toEqual(renderNftNat(masq, ref));
    const auto = renderNatWith(masq, ref, "auto");
    expect(auto.create.join("\n")).toContain('if [ "$hn_fwb" = nftables ]; then');
    expect(auto.create.join("\n")).toContain("/run/hostnet/port-publish/.firewall");
    expect(auto.destroy.join("\n")).toMatch(/nft -f -[\s\S]*iptables -w -t nat -C POSTROUTING/);
    expect(syntaxErrors(createScript(auto, ref, header))).toBe("");
  });

  test("review lines and the drift probe name each chain and rule", () => {
    expect(describeNftRules(masq, ref)[0]).toBe("inet hostnet_port-publish postrouting: jump o_0123456789ab_post");
    const probe = checkNftNat(masq, ref).join("\n");
    expect(probe).toContain('nft rule missing: o_0123456789ab_post: ip saddr 10.0.0.0/24 oifname != "br0" masquerade');
    expect(syntaxErrors(probe)).toBe("");
  });
});
