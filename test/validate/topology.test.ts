import { App } from "cdktf";
import { Bridge, Host, HostnetStack, Namespace, NatRule, Subnet, VethPair } from "../../constructs";
import { checkHostFacts } from "../../src/validate/topology";
import { formatPathProblem } from "../../src/validate/problem";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFLaLzjWwhzi4ie45/rm3ZfzUE67Q4iWjnkGxVtBj/Lw";
const none = { namespaces: [], interfaces: [], addresses: [], subnets: [], publishes: [] };

/** Synthesize with validations and return the error text ("" when synth succeeds). */
function synthErrors(build: (host: Host, stack: HostnetStack) => void): string {
  const app = new App({ outdir: require("fs").mkdtempSync(require("path").join(require("os").tmpdir(), "hn-")) });
  const stack = new HostnetStack(app, "s");
  build(new Host(stack, "a", { address: "198.18.0.10", hostKey: KEY }), stack);
  try {
    app.synth();
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

describe("checkHostFacts", () => {
  test.each([
    [
      {
        ...none,
        namespaces: [
          { name: "web", place: "host", path: "s/a/web" },
          { name: "web", place: "host", path: "s/a/web2" },
        ],
      },
      's/a/web2: namespace name "web" is also used by s/a/web on this host. Give one of them another name (props.name).',
    ],
    [
      {
        ...none,
        interfaces: [
          { name: "eth0", place: "netns web", path: "s/a/v1" },
          { name: "eth0", place: "netns web", path: "s/a/v2" },
        ],
      },
      's/a/v2: interface name "eth0" in netns web is also used by s/a/v1. Set a different name on one of them.',
    ],
    [
      {
        ...none,
        interfaces: [
          { name: "br0", place: "root", path: "s/a/b1" },
          { name: "br0", place: "root", path: "s/a/b2" },
        ],
      },
      's/a/b2: interface name "br0" in the root namespace is also used by s/a/b1. Set a different name on one of them.',
    ],
    [
      {
        ...none,
        addresses: [
          { cidr: "10.0.0.2/24", place: "root", iface: "x", path: "s/a/x" },
          { cidr: "10.0.0.2/16", place: "netns y", iface: "eth0", path: "s/a/y" },
        ],
      },
      "s/a/y: address 10.0.0.2 (on eth0) is also assigned to x by s/a/x. Give one of them another address, or allocate both from a Subnet.",
    ],
    [
      {
        ...none,
        subnets: [
          { cidr: "10.0.0.0/16", path: "s/a/big" },
          { cidr: "10.0.5.0/24", path: "s/a/small" },
        ],
      },
      "s/a/small: subnet 10.0.5.0/24 overlaps 10.0.0.0/16 of s/a/big on the same host. Use non-overlapping subnets.",
    ],
    [
      {
        ...none,
        publishes: [
          { protocol: "tcp", port: 8080, path: "s/a/p1" },
          { protocol: "tcp", port: 8080, path: "s/a/p2" },
        ],
      },
      "s/a/p2: host port tcp/8080 is already published by s/a/p1. Use another hostPort.",
    ],
  ])("reports a clash %#", (facts, message) => {
    expect(checkHostFacts(facts).map(formatPathProblem)).toEqual([message]);
  });

  test.each([
    [
      {
        ...none,
        interfaces: [
          { name: "eth0", place: "netns a", path: "p1" },
          { name: "eth0", place: "netns b", path: "p2" },
        ],
      },
    ],
    [
      {
        ...none,
        subnets: [
          { cidr: "10.0.0.0/24", path: "p1" },
          { cidr: "10.0.1.0/24", path: "p2" },
        ],
      },
    ],
    [
      {
        ...none,
        publishes: [
          { protocol: "tcp", port: 53, path: "p1" },
          { protocol: "udp", port: 53, path: "p2" },
        ],
      },
    ],
  ])("accepts what does not clash %#", (facts) => {
    expect(checkHostFacts(facts)).toEqual([]);
  });
});

describe("validation across one host's objects at synth", () => {
  test("all problems are reported at once, each with its construct path", () => {
    const msg = synthErrors((host) => {
      const lan = new Subnet(host, "lan", { cidr: "10.88.0.0/24" });
      new Subnet(host, "lan2", { cidr: "10.88.0.128/25" });
      new Namespace(host, "web");
      new Namespace(host, "web2", { name: "web" });
      NatRule.portForward(host, "p1", { hostPort: 8080, to: lan.allocate("x") });
      NatRule.portForward(host, "p2", { hostPort: 8080, to: lan.allocate("y") });
    });
    expect(msg).toContain('s/a/web2: namespace name "web" is also used by s/a/web on this host.');
    expect(msg).toContain("s/a/lan2: subnet 10.88.0.128/25 overlaps 10.88.0.0/24 of s/a/lan on the same host.");
    expect(msg).toContain("s/a/p2: host port tcp/8080 is already published by s/a/p1.");
  });

  test("an address from one subnet on a veth whose other end joins a bridge of another subnet is rejected", () => {
    const msg = synthErrors((host) => {
      const lan = new Subnet(host, "lan", { cidr: "10.88.0.0/24" });
      const other = new Subnet(host, "other", { cidr: "10.99.0.0/24" });
      const br = new Bridge(host, "br", { address: lan.gateway });
      const ns = new Namespace(host, "web");
      new VethPair(host, "v", { a: { namespace: ns, address: other.allocate("web") }, b: { bridge: br } });
    });
    expect(msg).toContain(
      "s/a/v: end a address is from s/a/other (10.99.0.0/24) but bridge br, which the other end joins, is on s/a/lan (10.88.0.0/24). Allocate props.a.address from s/a/lan.",
    );
  });

  test("two veths that both default their namespace end to eth0 clash", () => {
    const msg = synthErrors((host) => {
      const ns = new Namespace(host, "web");
      const br = new Bridge(host, "br");
      new VethPair(host, "v1", { a: { namespace: ns }, b: { bridge: br } });
      new VethPair(host, "v2", { a: { namespace: ns }, b: { bridge: br } });
    });
    expect(msg).toContain('s/a/v2: interface name "eth0" in netns web is also used by s/a/v1.');
  });

  test("a clean topology synthesizes", () => {
    expect(
      synthErrors((host) => {
        const lan = new Subnet(host, "lan", { cidr: "10.88.0.0/24" });
        const br = new Bridge(host, "br", { address: lan.gateway });
        for (const n of ["a1", "a2"])
          new VethPair(host, `${n}-v`, { a: { namespace: new Namespace(host, n), address: lan.allocate(n) }, b: { bridge: br } });
      }),
    ).toBe("");
  });
});

describe("checkHostFacts with IPv6", () => {
  const addr = (cidr: string, iface: string, path: string, place = "netns web") => ({ cidr, iface, place, path });
  const route = (via: string, path: string, destination = "default", place = "netns web") => ({ destination, via, place, path });

  test.each([
    [
      "one IPv6 address twice, however it is spelled",
      { ...none, addresses: [addr("fd00:88::2/64", "eth0", "s/a/v1"), addr("FD00:88:0::0002/64", "eth1", "s/a/v2")] },
      [
        "s/a/v2: address FD00:88:0::0002 (on eth1) is also assigned to eth0 by s/a/v1. Give one of them another address, or allocate both from a Subnet.",
      ],
    ],
    [
      "a link-local address on two links is not a clash (fe80::1 may be the gateway on every veth)",
      { ...none, addresses: [addr("fe80::1/64", "cali1", "s/a/r1", "root"), addr("fe80::1/64", "cali2", "s/a/r2", "root")] },
      [],
    ],
    [
      "overlapping IPv6 subnets",
      {
        ...none,
        subnets: [
          { cidr: "fd00:88::/64", path: "s/a/lan6" },
          { cidr: "fd00:88::/48", path: "s/a/big6" },
        ],
      },
      ["s/a/big6: subnet fd00:88::/48 overlaps fd00:88::/64 of s/a/lan6 on the same host. Use non-overlapping subnets."],
    ],
    [
      "an IPv4 and an IPv6 subnet never overlap (dual stack is one of each)",
      {
        ...none,
        subnets: [
          { cidr: "10.88.0.0/24", path: "s/a/lan" },
          { cidr: "::/0", path: "s/a/all6" },
        ],
      },
      [],
    ],
    [
      "an IPv6 next hop outside the namespace's IPv6 subnets names them",
      {
        ...none,
        addresses: [addr("10.88.0.2/24", "eth0", "s/a/v"), addr("fd00:88::2/64", "eth0", "s/a/v")],
        routes: [route("fd00:77::1", "s/a/r")],
      },
      [
        "s/a/r: next hop fd00:77::1 is on no subnet connected to netns web (its connected IPv6 subnets are fd00:88::/64); the kernel would refuse " +
          `the route at deploy ("Nexthop has invalid gateway"). Use a gateway inside a connected subnet, or give netns web an address in the gateway's subnet.`,
      ],
    ],
    [
      "an IPv6 next hop in a namespace with only IPv4 addresses",
      { ...none, addresses: [addr("10.88.0.2/24", "eth0", "s/a/v")], routes: [route("fd00:88::1", "s/a/r")] },
      [
        "s/a/r: next hop fd00:88::1 is on no subnet connected to netns web (it has no IPv6 address); the kernel would refuse " +
          `the route at deploy ("Nexthop has invalid gateway"). Use a gateway inside a connected subnet, or give netns web an address in the gateway's subnet.`,
      ],
    ],
    [
      "IPv6 next hops inside a connected subnet or link-local are fine, beside an IPv4 one",
      {
        ...none,
        addresses: [addr("10.88.0.2/24", "eth0", "s/a/v"), addr("fd00:88::2/64", "eth0", "s/a/v")],
        routes: [route("fd00:88::1", "s/a/r6"), route("fe80::1", "s/a/ll"), route("10.88.0.1", "s/a/r4")],
      },
      [],
    ],
  ])("%s", (_what, facts, expected) => {
    expect(checkHostFacts(facts).map(formatPathProblem)).toEqual(expected);
  });
});
