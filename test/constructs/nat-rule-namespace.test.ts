import { natRules } from "../../src/render/nat";
import { nftRules } from "../../src/render/nft";
import { Bridge, Namespace, NatRule, Subnet, Sysctl } from "../../constructs";
import { messages, newHost, newStack, validationErrors } from "../support/stacks";

describe("NatRule in a namespace (router namespace)", () => {
  test("rules created in a namespace's scope live there, and turn on forwarding there, not on the host", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const router = new Namespace(a, "router");
    const snat = NatRule.snat(router, "snat", { source: "10.95.1.0/24", toSource: "198.19.51.100" });
    const masq = NatRule.masquerade(a, "masq", { subnet: "10.95.2.0/24", namespace: router });
    expect(snat.namespace).toBe(router);
    expect(masq.namespace).toBe(router);
    expect(snat.spec()).toEqual({ type: "snat", source: "10.95.1.0/24", toSource: "198.19.51.100", allowForward: true, netns: "router" });
    const fwd = router.node.findChild("ip-forward") as Sysctl;
    expect(fwd).toBeInstanceOf(Sysctl);
    expect(fwd.namespace).toBe(router);
    expect([fwd.key, fwd.value]).toEqual(["net.ipv4.ip_forward", "1"]);
    // One forwarding sysctl per namespace, and none on the host.
    expect(snat.dependencies()).toEqual([router, fwd]);
    expect(masq.dependencies()).toEqual([router, fwd]);
    expect(a.netObjects.filter((o) => o instanceof Sysctl)).toEqual([fwd]);
    expect(snat.summary().where).toBe("netns router");
    expect(validationErrors(stack)).toEqual([]);
  });

  test("a forwarding Sysctl the user declared as ip-forward is the one the rules use", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const router = new Namespace(a, "router");
    const mine = new Sysctl(router, "ip-forward", { key: "net.ipv4.ip_forward", value: "1" });
    const nat = NatRule.oneToOne(router, "floating", { inside: "10.95.1.3", outside: "198.19.51.103" });
    expect(nat.dependencies()).toEqual([router, mine]);
    expect(validationErrors(stack)).toEqual([]);
  });

  test("1:1 NAT: spec, name and kind", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const router = new Namespace(a, "router");
    const inside = new Subnet(a, "inside", { cidr: "10.95.1.0/24" });
    const nat = NatRule.oneToOne(router, "floating", { inside: inside.address("10.95.1.3", "vm"), outside: "198.19.51.103" });
    expect(nat.kind).toBe("static");
    expect(nat.objectName).toBe("1:1 10.95.1.3 <-> 198.19.51.103");
    // An IPAM address: its subnet stays untranslated (the neighbours on its bridge see its real address).
    expect(nat.spec()).toEqual({
      type: "static",
      inside: "10.95.1.3",
      outside: "198.19.51.103",
      insideSubnet: "10.95.1.0/24",
      allowForward: true,
      netns: "router",
    });
    expect(nat.publishedPorts()).toEqual([]);
    expect(natRules(nat.spec()).find((r) => r.chain === "POSTROUTING")!.spec).toEqual([
      "-s",
      "10.95.1.3/32",
      "!",
      "-d",
      "10.95.1.0/24",
      "-j",
      "SNAT",
      "--to-source",
      "198.19.51.103",
    ]);
    expect(nftRules(nat.spec()).find((r) => r.hook === "postrouting")!.words).toEqual([
      "ip",
      "saddr",
      "10.95.1.3",
      "ip",
      "daddr",
      "!=",
      "10.95.1.0/24",
      "snat",
      "ip",
      "to",
      "198.19.51.103",
    ]);
    // A plain address: every connection it opens is translated, as before.
    expect(NatRule.oneToOne(router, "plain", { inside: "10.95.1.4", outside: "198.19.51.104" }).spec()).not.toHaveProperty("insideSubnet");
  });

  test("a port forward inside a namespace publishes no host port (no clash with the root namespace's)", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const router = new Namespace(a, "router");
    NatRule.portForward(a, "root-80", { hostPort: 80, to: "10.0.0.2" });
    const inner = NatRule.portForward(router, "router-80", { hostPort: 80, to: "10.95.1.3" });
    expect(inner.publishedPorts()).toEqual([]);
    expect(inner.spec()).toMatchObject({ netns: "router", hostPort: 80 });
    expect(validationErrors(stack)).toEqual([]);
  });

  test("root-namespace rules keep their spec exactly (no netns key)", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    expect(NatRule.masquerade(a, "m", { subnet: "10.0.0.0/24" }).spec()).toEqual({
      type: "masquerade",
      source: "10.0.0.0/24",
      notOutInterface: undefined,
      allowForward: true,
    });
  });

  test("hairpin: the target's subnet comes from its Address", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const lan = new Subnet(a, "lan", { cidr: "10.92.0.0/24" });
    const fwd = NatRule.portForward(a, "pub", { hostPort: 10080, to: lan.allocate("web"), port: 80, hairpin: true });
    expect(fwd.spec()).toMatchObject({ toAddress: "10.92.0.2", hairpinSource: "10.92.0.0/24" });
    expect(validationErrors(stack)).toEqual([]);
  });

  test.each<[string, (s: ReturnType<typeof newStack>["stack"]) => void, string[]]>([
    [
      "hairpin with a plain address",
      (stack) => NatRule.portForward(newHost(stack), "pub", { hostPort: 10080, to: "10.92.0.2", hairpin: true }),
      [
        `s/a/pub: hairpin needs the target's subnet, but "to" is a plain address (10.92.0.2). Pass an Address from a Subnet (subnet.allocate(...)) or drop props.hairpin.`,
      ],
    ],
    [
      "1:1 NAT with bad addresses",
      (stack) => NatRule.oneToOne(newHost(stack), "nat", { inside: "10.0.0.300", outside: "x" }),
      [
        `s/a/nat: inside: "10.0.0.300" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`,
        `s/a/nat: outside: "x" is not an IP address. Write an IPv4 address such as 10.0.0.1 or an IPv6 one such as fd00:88::1.`,
      ],
    ],
    [
      "1:1 NAT of an address to itself",
      (stack) => NatRule.oneToOne(newHost(stack), "nat", { inside: "10.0.0.3", outside: "10.0.0.3" }),
      ["s/a/nat: inside and outside are both 10.0.0.3; 1:1 NAT maps one address to another. Fix props.outside."],
    ],
    [
      "a masquerade in a namespace that leaves alone a bridge of the root namespace",
      (stack) => {
        const a = newHost(stack);
        NatRule.masquerade(new Namespace(a, "router"), "m", { subnet: "10.0.0.0/24", bridge: new Bridge(a, "br0") });
      },
      ["s/a/router/m: bridge br0 is in root but the rule is in netns router; create the rule where the bridge is (props.namespace)."],
    ],
  ])("validation: %s", (_name, build, expected) => {
    const { stack } = newStack();
    build(stack);
    expect(messages(stack)).toEqual(expected);
  });
});
