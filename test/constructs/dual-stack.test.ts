/** Dual stack in the link, route, endpoint, network, macvlan, bandwidth and NAT constructs: what they render and what they refuse at synth. */
import { BandwidthLimit, Bridge, Endpoint, Macvlan, Namespace, NatRule, Network, Route, Subnet, VethPair } from "../../constructs";
import { HostnetStack } from "../../constructs/hostnet-stack";
import { messages, newHost, newStack, validationErrors } from "../support/stacks";

/** A host with an IPv4 and an IPv6 subnet and a dual-stack bridge. */
function dual(stack: HostnetStack) {
  const a = newHost(stack);
  const lan = new Subnet(a, "lan", { cidr: "10.88.0.0/24" });
  const lan6 = new Subnet(a, "lan6", { cidr: "fd00:88::/64" });
  const br = new Bridge(a, "br0", { address: [lan.gateway!, lan6.gateway!] });
  return { a, lan, lan6, br };
}

describe("links of both families", () => {
  test("a dual-stack veth end and bridge: both addresses, IPv6 in canonical form without DAD, lo IPv6 in the namespace", () => {
    const { stack } = newStack();
    const { a, lan, br } = dual(stack);
    const web = new Namespace(a, "web");
    const v = new VethPair(a, "v", { a: { namespace: web, address: [lan.allocate(web), "FD00:88:0::0002/64"] }, b: { bridge: br } });
    expect(validationErrors(stack)).toEqual([]);
    expect(v.assignedAddresses().map((x) => x.cidr)).toEqual(["10.88.0.2/24", "fd00:88::2/64"]);
    expect(v.createScript()).toContain("\naddr replace fd00:88::2/64 dev eth0 nodad\n");
    expect(br.createScript()).toContain("\naddr replace fd00:88::1/64 dev br0 nodad\n");
    expect(web.createScript()).toContain("ip netns exec web sysctl -q -w net.ipv6.conf.lo.disable_ipv6=0");
  });

  test("a dual-stack macvlan child (docker network create -d macvlan --ipv6): both addresses, IPv6 without DAD (a list was a TypeError at synth)", () => {
    const { stack } = newStack();
    const { a, lan, lan6, br } = dual(stack);
    const m = new Namespace(a, "m");
    const mv = new Macvlan(a, "mv", { parent: br, namespace: m, address: [lan.allocate(m), lan6.allocate(m)] });
    expect(validationErrors(stack)).toEqual([]);
    expect(mv.address).toBe(mv.addresses[0]);
    expect(mv.assignedAddresses().map((x) => x.cidr)).toEqual(["10.88.0.2/24", "fd00:88::2/64"]);
    expect(mv.summary().addresses).toEqual(["10.88.0.2/24", "fd00:88::2/64"]);
    expect(mv.createScript()).toContain("addr replace 10.88.0.2/24 dev eth0");
    expect(mv.createScript()).toContain("addr replace fd00:88::2/64 dev eth0 nodad");
    expect(m.createScript()).toContain("ip netns exec m sysctl -q -w net.ipv6.conf.lo.disable_ipv6=0");
  });

  test("an IPv4-only namespace renders no IPv6 line", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const web = new Namespace(a, "web");
    new VethPair(a, "v", { a: { namespace: web, address: "10.0.0.1/24" }, b: {} });
    expect(web.createScript()).not.toContain("ipv6");
  });

  test.each<[string, (a: ReturnType<typeof dual>) => void, string[]]>([
    [
      "two addresses of one family on one end",
      ({ a }) => new VethPair(a, "v", { a: { address: ["10.1.0.1/24", "10.2.0.1/24"] }, b: {} }),
      [
        "s/a/v: end a address: 10.1.0.1/24 and 10.2.0.1/24 are both IPv4; an interface takes one address per family. Keep one of them in props.a.address.",
      ],
    ],
    [
      "the IPv6 subnet-router anycast address",
      ({ a }) => new Bridge(a, "b2", { address: "fd00:1::/64" }),
      ["s/a/b2: address fd00:1::/64 is the subnet-router anycast address of its prefix; use a host address (e.g. fd00:1::1/64)."],
    ],
    [
      "an IPv6 end address outside the bridge's IPv6 subnet",
      ({ a, br }) => new VethPair(a, "v", { a: { namespace: new Namespace(a, "n"), address: ["10.88.0.9/24", "fd00:99::9/64"] }, b: { bridge: br } }),
      [
        "s/a/v: end a address fd00:99::9/64 is not in fd00:88::/64, the subnet of bridge br0 (fd00:88::1/64), which the other end joins: " +
          "nothing on that bridge, its gateway included, could reach it. Set props.a.address to an address in fd00:88::/64 (s/a/lan6.allocate(...)).",
      ],
    ],
    [
      "an IPv6 address on a macvlan with a prefix over 128",
      ({ a, br }) => new Macvlan(a, "mv", { parent: br, namespace: new Namespace(a, "m"), address: "fd00:88::7/129" }),
      [`s/a/mv: address: "fd00:88::7/129" has prefix length 129; IPv6 allows 0-128.`],
    ],
    [
      "two IPv6 addresses on a macvlan",
      ({ a, br }) => new Macvlan(a, "mv", { parent: br, namespace: new Namespace(a, "m"), address: ["fd00:88::7/64", "fd00:88::8/64"] }),
      [
        "s/a/mv: address: fd00:88::7/64 and fd00:88::8/64 are both IPv6; an interface takes one address per family. Keep one of them in props.address.",
      ],
    ],
  ])("refused at synth: %s", (_, build, expected) => {
    const { stack } = newStack();
    build(dual(stack));
    expect(messages(stack)).toEqual(expected);
  });

  test.each([
    ["a zone", "fd00:88::2%eth0/64", "A zone (%eth0) is not allowed here"],
    ["brackets", "[fd00:88::2]/64", "Write it without brackets."],
    ["a shell command", "fd00:88::2;reboot/64", "is not an IPv6 address"],
    ["a newline", "fd00:88::2\n/64", "is not"],
    ["a command substitution", "fd00:88::$(id)/64", "is not an IPv6 address"],
  ])("hostile IPv6 address with %s is refused at synth and never rendered", (_, bad, hint) => {
    const { stack } = newStack();
    const a = newHost(stack);
    new VethPair(a, "v", { a: { namespace: new Namespace(a, "n"), address: bad }, b: {} });
    const m = messages(stack);
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/^s\/a\/v: end a address: /);
    expect(m[0]).toContain(hint);
  });
});

describe("IPv6 routes", () => {
  test("an IPv6 default route (from its next hop) and an IPv6 network route render with -6; family 6 makes 'default dev' IPv6", () => {
    const { stack } = newStack();
    const { a, lan6 } = dual(stack);
    const web = new Namespace(a, "web");
    const r1 = new Route(web, "d6", { via: lan6.gateway });
    const r2 = new Route(web, "net6", { destination: "FD00:89::/64", via: "fd00:88::0001" });
    const r3 = new Route(web, "dev6", { dev: "eth0", family: 6 });
    expect([r1.family, r2.family, r3.family]).toEqual([6, 6, 6]);
    expect(r1.createScript()).toContain("ip -n web -6 route replace default via fd00:88::1 proto 199");
    expect(r2.createScript()).toContain("ip -n web -6 route replace fd00:89::/64 via fd00:88::1 proto 199");
    expect(r3.createScript()).toContain("ip -n web -6 route replace default dev eth0 proto 199");
  });

  test.each<[string, ConstructorParameters<typeof Route>[2], string]>([
    [
      "IPv6 destination via an IPv4 gateway",
      { destination: "fd00:89::/64", via: "10.0.0.1" },
      "s/a/r: destination fd00:89::/64 is IPv6 but via 10.0.0.1 is IPv4; a next hop must be of the destination's family. " +
        "Set props.via to an IPv6 address (the gateway's IPv6 address, e.g. subnet6.gateway).",
    ],
    [
      "family 4 with an IPv6 next hop",
      { via: "fd00::1", family: 4 },
      "s/a/r: family is 4 but via fd00::1 is IPv6. Drop props.family or fix props.via.",
    ],
    [
      "an IPv6 destination with host bits",
      { destination: "fd00:89::1/64", dev: "eth0" },
      `s/a/r: destination: "fd00:89::1/64" has host bits set; the network is fd00:89::/64. Use that.`,
    ],
  ])("refused at synth: %s", (_, props, message) => {
    const { stack } = newStack();
    new Route(newHost(stack), "r", props);
    expect(messages(stack)).toEqual([message]);
  });
});

describe("NAT66", () => {
  test("an IPv6 masquerade goes through ip6tables and turns on IPv6 forwarding where it lives (root and namespace)", () => {
    const { stack } = newStack();
    const { a, lan6, br } = dual(stack);
    const m = NatRule.masquerade(a, "m6", { subnet: lan6, bridge: br });
    const router = new Namespace(a, "router");
    NatRule.masquerade(router, "rm6", { subnet: "fd00:77::/64" });
    expect(validationErrors(stack)).toEqual([]);
    expect(m.spec()).toEqual({ type: "masquerade", source: "fd00:88::/64", notOutInterface: "br0", allowForward: true, family: 6 });
    expect(m.requiredCommands()).toEqual(["ip6tables", "flock"]);
    expect(m.createScript()).toContain("ip6tables -w -t nat -A POSTROUTING -s fd00:88::/64 '!' -o br0 -j MASQUERADE");
    const sysctls = a.netObjects.filter((o) => o.kind === "sysctl").map((o) => `${o.node.path} ${o.objectName}`);
    expect(sysctls).toEqual(["s/a/ip6-forward net.ipv6.conf.all.forwarding=1", "s/a/router/ip6-forward net.ipv6.conf.all.forwarding=1"]);
  });

  test("an IPv4 and an IPv6 port forward of one host port live side by side; two IPv6 ones clash", () => {
    const { stack } = newStack();
    const { a } = dual(stack);
    NatRule.portForward(a, "p4", { hostPort: 8080, to: "10.88.0.2" });
    const p6 = NatRule.portForward(a, "p6", { hostPort: 8080, to: "fd00:88::2", port: 80 });
    expect(validationErrors(stack)).toEqual([]);
    expect(p6.objectName).toBe("tcp/8080 -> [fd00:88::2]:80");
    NatRule.portForward(a, "p6b", { hostPort: 8080, to: "fd00:88::3" });
    expect(messages(stack)).toEqual(["s/a/p6b: host port tcp/8080 is already published by s/a/p6. Use another hostPort."]);
  });

  test.each<[string, (a: ReturnType<typeof dual>["a"]) => void, string]>([
    [
      "snat of an IPv6 source to an IPv4 address",
      (a) => NatRule.snat(a, "n", { source: "fd00:88::/64", toSource: "192.0.2.1" }),
      "s/a/n: source fd00:88::/64 is IPv6 but toSource 192.0.2.1 is IPv4; one NAT rule translates one family (ip6tables for IPv6). " +
        "Make props.toSource IPv6, or add a second rule for IPv4.",
    ],
    [
      "a port forward to an IPv6 target on an IPv4 host address",
      (a) => NatRule.portForward(a, "n", { hostPort: 80, to: "fd00:88::2", hostAddress: "198.18.0.10" }),
      "s/a/n: to fd00:88::2 is IPv6 but hostAddress 198.18.0.10 is IPv4; one NAT rule translates one family (ip6tables for IPv6). " +
        "Make props.hostAddress IPv6, or add a second rule for IPv4.",
    ],
    [
      "1:1 NAT between families",
      (a) => NatRule.oneToOne(a, "n", { inside: "fd00:88::5", outside: "192.0.2.5" }),
      "s/a/n: inside fd00:88::5 is IPv6 but outside 192.0.2.5 is IPv4; one NAT rule translates one family (ip6tables for IPv6). " +
        "Make props.outside IPv6, or add a second rule for IPv4.",
    ],
    [
      "a port forward to a zoned address",
      (a) => NatRule.portForward(a, "n", { hostPort: 80, to: "fe80::1%eth0" }),
      "A zone (%eth0) is not allowed here",
    ],
  ])("refused at synth: %s", (_, build, message) => {
    const { stack } = newStack();
    build(dual(stack).a);
    const m = messages(stack);
    expect(m).toHaveLength(1);
    expect(m[0]).toContain(message);
  });

  test("snat of an IPv6 Address is a /128", () => {
    const { stack } = newStack();
    const { a, lan6 } = dual(stack);
    const n = NatRule.snat(a, "n", { source: lan6.address("fd00:88::5", "vm"), toSource: "fd00:1::5" });
    expect(n.spec()).toMatchObject({ source: "fd00:88::5/128", toSource: "fd00:1::5", family: 6 });
  });
});

describe("Endpoint and Network on both families", () => {
  test("an Endpoint with both subnets gets an address from each and a default route per family", () => {
    const { stack } = newStack();
    const { a, lan, lan6, br } = dual(stack);
    const ep = new Endpoint(a, "web", { bridge: br, address: [lan, lan6] });
    expect(validationErrors(stack)).toEqual([]);
    expect(ep.assignedAddresses().map((x) => x.cidr)).toEqual(["10.88.0.2/24", "fd00:88::2/64"]);
    expect(ep.gateways).toEqual(["10.88.0.1", "fd00:88::1"]);
    const script = ep.createScript();
    expect(script).toContain("ip -n web route replace default via 10.88.0.1 proto 199");
    expect(script).toContain("ip -n web -6 route replace default via fd00:88::1 proto 199");
    expect(script).toContain("ip netns exec web sysctl -q -w net.ipv6.conf.lo.disable_ipv6=0");
  });

  test("an IPv4-only Endpoint on a dual-stack bridge gets only the IPv4 route", () => {
    const { stack } = newStack();
    const { a, lan, br } = dual(stack);
    expect(new Endpoint(a, "web", { bridge: br, address: lan }).gateways).toEqual(["10.88.0.1"]);
  });

  test("an Endpoint's IPv6 gateway without an IPv6 address is refused", () => {
    const { stack } = newStack();
    const { a, lan, br } = dual(stack);
    new Endpoint(a, "web", { bridge: br, address: lan, gateway: ["10.88.0.1", "fd00:88::1"] });
    // The host-wide next-hop check (src/validate/topology.ts) says it too, in its words.
    expect(messages(stack)).toContain(
      "s/a/web: gateway fd00:88::1 is IPv6 but the endpoint has no IPv6 address to reach it from. Add one to props.address or drop the gateway.",
    );
  });

  test("a dual-stack Network: bridge with both gateways, endpoint address and route per family, masquerade and published port per family", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const net = new Network(a, "app", { subnet: "10.80.0.0/24", subnet6: "fd00:80::/64" });
    const ep = net.connect(new Namespace(a, "web"), { publish: [{ hostPort: 10080, port: 80 }] });
    expect(validationErrors(stack)).toEqual([]);
    expect(net.bridge.addresses.map((x) => (typeof x === "string" ? x : x.cidr))).toEqual(["10.80.0.1/24", "fd00:80::1/64"]);
    expect([ep.address.cidr, ep.address6?.cidr]).toEqual(["10.80.0.2/24", "fd00:80::2/64"]);
    expect(ep.route6?.createScript()).toContain("ip -n web -6 route replace default via fd00:80::1 proto 199");
    expect(net.masquerade6?.spec()).toMatchObject({ source: "fd00:80::/64", family: 6 });
    expect(ep.published.map((p) => p.objectName)).toEqual(["tcp/10080 -> 10.80.0.2:80", "tcp/10080 -> [fd00:80::2]:80"]);
  });

  test("a Network's subnet6 must be IPv6", () => {
    const { stack } = newStack();
    new Network(newHost(stack), "app", { subnet: "10.80.0.0/24", subnet6: "10.81.0.0/24" });
    expect(messages(stack)).toContain(
      "s/a/app: subnet6 10.81.0.0/24 is not an IPv6 subnet. Set props.subnet6 to one such as fd00:89::/64, or drop it for an IPv4-only network.",
    );
  });
});

describe("BandwidthLimit matches of IPv6", () => {
  test("an IPv6 match is a protocol ipv6 filter with ip6 selectors; a mixed-family match is refused", () => {
    const { stack } = newStack();
    const { a, lan6, br } = dual(stack);
    const srv = new Namespace(a, "srv");
    const v = new VethPair(a, "srv-veth", { a: { namespace: srv, address: lan6.allocate(srv) }, b: { bridge: br } });
    const bw = new BandwidthLimit(a, "limit", {
      interface: v.b,
      classes: [
        { id: 10, rate: "20mbit", match: { src: "fd00:88::5", dport: 80 } },
        { id: 11, rate: "5mbit", match: { dst: lan6 } },
      ],
    });
    expect(validationErrors(stack)).toEqual([]);
    const script = bw.createScript();
    expect(script).toMatch(/protocol ipv6 prio 1 u32 match ip6 src fd00:88::5\/128 match ip6 dport 80 0xffff flowid/);
    expect(script).toMatch(/protocol ipv6 prio 2 u32 match ip6 dst fd00:88::\/64 flowid/);
    new BandwidthLimit(a, "mixed", { interface: v.b, classes: [{ id: 10, rate: "1mbit", match: { src: "fd00:88::5", dst: "10.0.0.1" } }] });
    expect(messages(stack).join("\n")).toContain(
      "match.src fd00:88::5/128 is IPv6 but match.dst 10.0.0.1/32 is IPv4; one filter matches one family.",
    );
  });
});
