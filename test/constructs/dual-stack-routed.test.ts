/**
 * Issue 15, dual stack for the routed constructs: RoutedEndpoint in Calico's IPv6
 * mode (a /128, default via fe80::1 answered by proxy NDP), HostGw with IPv6
 * routes via the other hosts' IPv6 addresses, Vxlan with IPv6 inside the overlay
 * and an IPv6 underlay. Synth and validation only; test/integration/vc-dual-stack
 * runs them on lab hosts.
 */
import { Testing } from "cdktf";
import { HostGw, Namespace, RoutedEndpoint, Route, Subnet, Vxlan, VXLAN6_OVERHEAD } from "../../constructs";
import { messages, newHost, newStack, validationErrors } from "../support/stacks";
import { scriptsOf } from "../support/scripts";

Testing.setupJest();

describe("RoutedEndpoint, dual stack", () => {
  test("an IPv4 and an IPv6 address: a /32 and a /128, both forwarding sysctls, the IPv6 address in canonical form", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const pod = new Namespace(a, "pod");
    const ep = new RoutedEndpoint(a, "ep", { namespace: pod, address: ["10.63.0.5", "FD00:63:0::0005"] });
    expect(validationErrors(stack)).toEqual([]);
    expect(ep.cidrs).toEqual(["10.63.0.5/32", "fd00:63::5/128"]);
    expect(ep.dependencies().map((d) => d.node.path)).toEqual(["s/a/pod", "s/a/ip-forward", "s/a/ip6-forward"]);
    expect(ep.spec()).toMatchObject({ address: "10.63.0.5", address6: "fd00:63::5", gateway6: "fe80::1" });
    const create = scriptsOf(stack, "s/a/ep").create;
    expect(create).toContain("ip -6 neigh replace proxy fe80::1 dev rt-ep");
    expect(create).toContain("ip -6 route replace fd00:63::5/128 dev rt-ep proto 199");
    expect(scriptsOf(stack, "s/a/ip6-forward").create).toContain("sysctl -q -w net.ipv6.conf.all.forwarding=1");
  });

  test("IPv6 only: no IPv4 forwarding, no IPv4 default route", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const ep = new RoutedEndpoint(a, "ep", { namespace: new Namespace(a, "pod"), address: "fd00:63::5/128" });
    expect(validationErrors(stack)).toEqual([]);
    expect(ep.dependencies().map((d) => d.node.path)).toEqual(["s/a/pod", "s/a/ip6-forward"]);
    expect(ep.routes()).toEqual([{ destination: "default", via: "fe80::1", namespace: ep.namespace, onlink: true }]);
    expect(ep.spec().address).toBeUndefined();
  });

  test("an IPAM address from an IPv6 subnet is carried as a /128", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const pod = new Namespace(a, "pod");
    const block = new Subnet(a, "block", { cidr: "10.63.0.0/24", gateway: false });
    const ep = new RoutedEndpoint(a, "ep", { namespace: pod, address: [block.allocate(pod), "fd00:63::1"] });
    expect(validationErrors(stack)).toEqual([]);
    expect(ep.cidrs).toEqual(["10.63.0.1/32", "fd00:63::1/128"]);
  });

  test.each([
    [
      { address: "fd00:63::5/64" },
      "s/a/ep: address fd00:63::5/64 has prefix /64; a routed endpoint carries a /128. Write fd00:63::5 or fd00:63::5/128.",
    ],
    [
      { address: ["10.63.0.5", "10.63.0.6"] },
      "s/a/ep: address[1] 10.63.0.6 is a second IPv4 address (after 10.63.0.5); a routed endpoint has one address per family. Remove one.",
    ],
    [
      { address: ["fd00:63::5", "fd00:63::6"] },
      "s/a/ep: address[1] fd00:63::6 is a second IPv6 address (after fd00:63::5); a routed endpoint has one address per family. Remove one.",
    ],
    [
      { address: "fe80::5" },
      "s/a/ep: address fe80::5 is link-local; a routed endpoint needs a routable address (e.g. from fd00::/8). Use another address.",
    ],
    [
      { address: "fd00:63::5", gateway6: "fd00:63::1" },
      "s/a/ep: gateway6 fd00:63::1 is not link-local (fe80::/10); the host-side veth answers for it by proxy NDP on that link only. " +
        "Leave props.gateway6 unset (fe80::1) or use another fe80:: address.",
    ],
    [
      { address: "fd00:63::5", gateway6: "fe80::1%eth0" },
      's/a/ep: gateway6: "fe80::1%eth0" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1. ' +
        "A zone (%eth0) is not allowed here: name the interface in its own prop.",
    ],
    [
      { address: "fd00:63::5;reboot" },
      's/a/ep: address: "fd00:63::5;reboot" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1.',
    ],
    [
      { address: "[fd00:63::5]" },
      's/a/ep: address: "[fd00:63::5]" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1. Write it without brackets.',
    ],
    [{ address: [] }, "s/a/ep: has no address. Set props.address to an address, or a list of one IPv4 and one IPv6 address."],
  ])("bad props %j are refused", (props, message) => {
    const { stack } = newStack();
    const a = newHost(stack);
    new RoutedEndpoint(a, "ep", { namespace: new Namespace(a, "pod"), ...(props as any) });
    expect(messages(stack)).toEqual([message]);
  });

  test("the IPv4 gateway is not checked on an IPv6-only endpoint (it has no IPv4 default route)", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new RoutedEndpoint(a, "ep", { namespace: new Namespace(a, "pod"), address: "fd00:63::5", gateway: "nonsense" });
    expect(validationErrors(stack)).toEqual([]);
  });

  test("a newline in an IPv6 address is refused at synth, never reaching a script", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new RoutedEndpoint(a, "ep", { namespace: new Namespace(a, "pod"), address: "fd00::5\nip link del eth0" });
    expect(messages(stack)).toHaveLength(1);
    expect(messages(stack)[0]).toContain("is not an IPv6 address");
  });
});

describe("HostGw, dual stack", () => {
  const A6 = "fd00:18::a";
  const B6 = "fd00:18::b";

  test("IPv4 and IPv6 subnets per member: IPv4 via the IPv4 address (route ids as before), IPv6 via address6, both forwarding sysctls", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    const [ga] = HostGw.connect([
      { host: a, subnet: ["10.61.0.0/24", "fd00:61::/64"], address6: A6 },
      { host: b, subnet: ["10.62.0.0/24", "FD00:62:0::/64"], address6: "FD00:18::B" },
    ]);
    expect(validationErrors(stack)).toEqual([]);
    expect(ga.routes.map((r) => [r.node.id, r.destination, r.via])).toEqual([
      ["to-b", "10.62.0.0/24", "198.18.0.11"],
      ["to-b-6", "fd00:62::/64", B6],
    ]);
    expect(scriptsOf(stack, "s/a/host-gw/to-b-6").create).toContain("ip -6 route replace fd00:62::/64 via fd00:18::b proto 199");
    expect(a.node.tryFindChild("ip-forward")).toBeDefined();
    expect(a.node.tryFindChild("ip6-forward")).toBeDefined();
  });

  test("IPv6 only, the members' addresses IPv6: routes via them, no IPv4 forwarding", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    const [ga] = HostGw.connect([
      { host: a, subnet: "fd00:61::/64", address: A6 },
      { host: b, subnet: "fd00:62::/64", address: B6 },
    ]);
    expect(validationErrors(stack)).toEqual([]);
    expect(ga.routes.map((r) => `${r.destination} via ${r.via}`)).toEqual(["fd00:62::/64 via fd00:18::b"]);
    expect(a.node.tryFindChild("ip-forward")).toBeUndefined();
  });

  test.each([
    [
      "an IPv6 subnet without an IPv6 address",
      { subnet: ["10.62.0.0/24", "fd00:62::/64"] },
      "member 1 (s/b) has an IPv6 subnet, but no IPv6 address the others can route it via (its address is 198.18.0.11). " +
        "Set address6 to the host's IPv6 address on the shared network.",
    ],
    [
      "an IPv4 address6",
      { subnet: "fd00:62::/64", address6: "198.18.0.11" },
      "member 1 (s/b) address6 198.18.0.11 is an IPv4 address. Set address6 to the host's IPv6 address (e.g. fd00:18::a), or drop it.",
    ],
    [
      "a link-local address6",
      { subnet: "fd00:62::/64", address6: "fe80::b" },
      "member 1 (s/b) address6 fe80::b is link-local; a route via it would need the interface named. Use the host's global or ULA address.",
    ],
    [
      "an IPv6 subnet with host bits",
      { subnet: "fd00:62::1/64", address6: B6 },
      'member 1 (s/b) subnet "fd00:62::1/64": "fd00:62::1/64" has host bits set; the network is fd00:62::/64. Use that.',
    ],
    [
      "an IPv6 subnet overlapping another member's",
      { subnet: "fd00:61:0:0:1::/80", address6: B6 },
      "member 1 (s/b) subnet fd00:61:0:0:1::/80 overlaps fd00:61::/64 of s/a; each host needs its own subnet.",
    ],
    [
      "an address6 with a zone",
      { subnet: "fd00:62::/64", address6: "fd00:18::b%eth0" },
      'member 1 (s/b) address6: "fd00:18::b%eth0" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1. ' +
        "A zone (%eth0) is not allowed here: name the interface in its own prop.",
    ],
  ])("%s is refused", (_what, member, message) => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    HostGw.connect([
      { host: a, subnet: ["10.61.0.0/24", "fd00:61::/64"], address6: A6 },
      { host: b, ...member },
    ]);
    expect(messages(stack)).toContain(`s/a/host-gw: ${message}`);
  });

  test("the same network in both families is not an overlap (10.61.0.0/24 and fd00:61::/64 on one member)", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    HostGw.connect([
      { host: a, subnet: ["10.61.0.0/24", "::a3d:0/120"], address6: A6 },
      { host: b, subnet: ["10.62.0.0/24", "fd00:62::/64"], address6: B6 },
    ]);
    expect(validationErrors(stack)).toEqual([]);
  });
});

describe("Route, IPv6", () => {
  test("an IPv6 destination via an IPv4 next hop is refused: a next hop has the family of its route", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Route(a, "r", { destination: "fd00:62::/64", via: "198.18.0.11" });
    expect(messages(stack)).toEqual([
      "s/a/r: destination fd00:62::/64 is IPv6 but via 198.18.0.11 is IPv4; a next hop must be of the destination's family. " +
        "Set props.via to an IPv6 address (the gateway's IPv6 address, e.g. subnet6.gateway).",
    ]);
  });

  test("an IPv6 route synthesizes with ip -6", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Route(a, "r", { destination: "fd00:62::/64", via: "fd00:18::b" });
    expect(validationErrors(stack)).toEqual([]);
    expect(scriptsOf(stack, "s/a/r").create).toContain("ip -6 route replace fd00:62::/64 via fd00:18::b proto 199");
  });
});

describe("Vxlan, dual stack", () => {
  test("an IPv6 underlay: MTU 1500 − 70 by default, IPv6 peers from the mesh, addresses of both families, canonical in the script", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    const va = new Vxlan(a, "vx", { vni: 67, local: "FD00:18::000A", addresses: ["10.67.0.1/24", "fd00:67::1/64"] });
    const vb = new Vxlan(b, "vx", { vni: 67, local: "fd00:18::b", addresses: ["10.67.0.2/24", "fd00:67::2/64"] });
    Vxlan.mesh([va, vb]);
    expect(validationErrors(stack)).toEqual([]);
    expect(VXLAN6_OVERHEAD).toBe(70);
    expect([va.mtu, va.spec().local, va.spec().peers, vb.spec().peers]).toEqual([1430, "fd00:18::a", ["fd00:18::b"], ["fd00:18::a"]]);
    const create = scriptsOf(stack, "s/a/vx").create;
    expect(create).toContain("ip link add name vx type vxlan id 67 local fd00:18::a dev eth0 dstport 4789 nolearning");
    expect(create).toContain("bridge fdb append 00:00:00:00:00:00 dev vx dst fd00:18::b");
    expect(create).toContain("ip addr replace fd00:67::1/64 dev vx nodad");
    expect(va.summary().addresses).toEqual(["10.67.0.1/24", "fd00:67::1/64"]);
  });

  test("IPv6 inside an IPv4 underlay: only the overlay is dual stack, MTU stays 1450", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const v = new Vxlan(a, "vx", { vni: 67, peers: ["198.18.0.11"], address: "10.67.0.1/24", addresses: ["fd00:67::1/64"] });
    expect(validationErrors(stack)).toEqual([]);
    expect([v.mtu, v.spec().addresses]).toEqual([1450, ["10.67.0.1/24", "fd00:67::1/64"]]);
  });

  test.each([
    [
      { vni: 1, local: "fd00:18::a", peers: ["198.18.0.11"] },
      's/a/vx: peer "198.18.0.11" is IPv4 but local address fd00:18::a is IPv6; the ends of one overlay share an underlay family. ' +
        "Give the peer's IPv6 underlay address.",
    ],
    [{ vni: 1, local: "fd00:18::a", peers: ["fd00:18::b", "FD00:18::B"] }, 's/a/vx: peer "FD00:18::B" is listed twice. Remove one.'],
    [
      { vni: 1, local: "fd00:18::a", peers: ["fd00:18:0::a"] },
      's/a/vx: peer "fd00:18:0::a" is this device\'s own local address. Remove it from the peers.',
    ],
    [
      { vni: 1, local: "fd00:18::a", mtu: 1450 },
      "s/a/vx: MTU 1450 does not fit the parent: VXLAN adds 70 bytes of headers over IPv6 and eth0 has MTU 1500. Set props.mtu to at most 1430 (or leave it unset).",
    ],
    [
      { vni: 1, local: "fd00:18::a%eth0" },
      's/a/vx: local address "fd00:18::a%eth0" is not an IPv4 or IPv6 address. Set props.local to this host\'s underlay address.',
    ],
    [{ vni: 1, addresses: ["fd00:67::1/129"] }, 's/a/vx: addresses[0]: "fd00:67::1/129" has prefix length 129; IPv6 allows 0-128.'],
    [
      { vni: 1, addresses: ["fd00:67::1/64", "fd00:67::2/64"] },
      "s/a/vx: has two IPv6 addresses, fd00:67::1/64 and fd00:67::2/64; give the device one address per family. Remove one.",
    ],
    [
      { vni: 1, addresses: ["fd00:67::1/64; reboot"] },
      's/a/vx: addresses[0]: "fd00:67::1/64; reboot" is not a CIDR. Write it as address/prefix, e.g. fd00:88::/64.',
    ],
  ])("bad props %j are refused", (props, message) => {
    const { stack } = newStack();
    new Vxlan(newHost(stack), "vx", props as any);
    expect(messages(stack)).toEqual([message]);
  });
});
