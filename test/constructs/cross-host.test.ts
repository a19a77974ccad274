import { Testing } from "cdktf";
import { Bridge, HostGw, Namespace, RoutedEndpoint, Route, Subnet, VethPair, Vxlan } from "../../constructs";
import { messages, newHost, newStack, validationErrors } from "../support/stacks";
import { scriptsOf } from "../support/scripts";

Testing.setupJest();

const B = { address: "198.18.0.11" };

describe("Vxlan", () => {
  test("defaults: port 4789, local = the host's address, parent eth0, MTU 1500 − 50; mesh peers are the other hosts' local addresses", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", B);
    const va = new Vxlan(a, "vx", { vni: 66 });
    const vb = new Vxlan(b, "vx", { vni: 66 });
    Vxlan.mesh([va, vb]);
    expect(validationErrors(stack)).toEqual([]);
    expect([va.port, va.local, va.parent, va.mtu, va.peers, vb.peers]).toEqual([4789, "198.18.0.10", "eth0", 1450, ["198.18.0.11"], ["198.18.0.10"]]);
    const create = scriptsOf(stack, "s/a/vx").create;
    expect(create).toContain("ip link add name vx type vxlan id 66 local 198.18.0.10 dev eth0 dstport 4789 nolearning");
    expect(create).toContain("bridge fdb append 00:00:00:00:00:00 dev vx dst 198.18.0.11");
  });

  test("the host preflight requires the bridge command", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Vxlan(a, "vx", { vni: 1, peers: ["198.18.0.11"] });
    expect(scriptsOf(stack, "s/a").create).toContain("for c in bridge ip sha256sum; do");
  });

  test("enslaved to a bridge: the vxlan depends on it", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const br = new Bridge(a, "br-vx", { mtu: 1450 });
    const vx = new Vxlan(a, "vx", { vni: 1, bridge: br });
    expect(vx.dependencies()).toEqual([br]);
    expect(validationErrors(stack)).toEqual([]);
  });

  test.each([
    [{ vni: 0 }, "s/a/vx: VNI 0 is out of range; a VXLAN network identifier is 24 bits. Set props.vni to a whole number from 1 to 16777215."],
    [
      { vni: 16777216 },
      "s/a/vx: VNI 16777216 is out of range; a VXLAN network identifier is 24 bits. Set props.vni to a whole number from 1 to 16777215.",
    ],
    [{ vni: 1.5 }, "s/a/vx: VNI 1.5 is out of range; a VXLAN network identifier is 24 bits. Set props.vni to a whole number from 1 to 16777215."],
    [{ vni: 1, port: 0 }, "s/a/vx: UDP port 0 is not a port; use a whole number from 1 to 65535. Fix props.port."],
    [
      { vni: 1, mtu: 1451 },
      "s/a/vx: MTU 1451 does not fit the parent: VXLAN adds 50 bytes of headers and eth0 has MTU 1500. Set props.mtu to at most 1450 (or leave it unset).",
    ],
    [
      { vni: 1, parentMtu: 9000, mtu: 8960 },
      "s/a/vx: MTU 8960 does not fit the parent: VXLAN adds 50 bytes of headers and eth0 has MTU 9000. Set props.mtu to at most 8950 (or leave it unset).",
    ],
    [{ vni: 1, peers: ["198.18.0.300"] }, 's/a/vx: peer "198.18.0.300" is not an IPv4 or IPv6 address. Give the underlay address of the other host.'],
    [
      { vni: 1, peers: ["fd00::1"] },
      's/a/vx: peer "fd00::1" is IPv6 but local address 198.18.0.10 is IPv4; the ends of one overlay share an underlay family. ' +
        "Give the peer's IPv4 underlay address.",
    ],
    [{ vni: 1, peers: ["198.18.0.11", "198.18.0.11"] }, 's/a/vx: peer "198.18.0.11" is listed twice. Remove one.'],
    [{ vni: 1, peers: ["198.18.0.10"] }, `s/a/vx: peer "198.18.0.10" is this device's own local address. Remove it from the peers.`],
    [
      { vni: 1, local: "host-a.example" },
      's/a/vx: local address "host-a.example" is not an IPv4 or IPv6 address. Set props.local to this host\'s underlay address.',
    ],
    [
      { vni: 1, parent: "eth 0" },
      's/a/vx: parent: interface name "eth 0" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Fix props.parent.',
    ],
    [
      { vni: 1, name: "vxlan-overlay-66" },
      's/a/vx: interface name "vxlan-overlay-66" is 16 bytes; Linux allows 15. Set props.name or shorten the construct id.',
    ],
  ])("bad props %j are refused: %s", (props, message) => {
    const { stack } = newStack();
    new Vxlan(newHost(stack), "vx", props);
    expect(messages(stack)).toEqual([message]);
  });

  test("a bridge with a larger MTU than the vxlan is refused: frames would be dropped at the vxlan port", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Vxlan(a, "vx", { vni: 1, bridge: new Bridge(a, "br") });
    expect(messages(stack)).toEqual([
      "s/a/vx: bridge br has MTU 1500, larger than the VXLAN MTU 1450: frames in between would be dropped at the VXLAN port. Set the bridge's mtu (and the veths on it) to at most 1450.",
    ]);
  });

  test("a bridge in a namespace or on another host is refused", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const b = newHost(stack, "b", B);
    new Vxlan(a, "vx1", { vni: 1, bridge: new Bridge(a, "br", { mtu: 1450, namespace: new Namespace(a, "edge") }) });
    new Vxlan(a, "vx2", { vni: 1, bridge: new Bridge(b, "brb", { mtu: 1450 }) });
    expect(messages(stack)).toEqual([
      "s/a/vx1: bridge br is in netns edge, but the VXLAN device lives in the root namespace with its parent. Use a bridge in the root namespace.",
      "s/a/vx2: props.bridge is s/b/brb, which is on host s/b, but this Vxlan is built on host s/a. Refer to an object on s/a, or create " +
        "this Vxlan in s/b's scope; hosts are joined by a Vxlan or by routes (HostGw), not by references.",
    ]);
  });

  test("mesh members must share VNI and port and sit on different hosts", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", B);
    const va = new Vxlan(a, "vx", { vni: 66 });
    const va2 = new Vxlan(a, "vx2", { vni: 66, local: "198.18.0.20" });
    const vb = new Vxlan(b, "vx", { vni: 67, port: 8472 });
    va.addPeer(vb);
    va.addPeer(va2);
    expect(messages(stack)).toEqual([
      "s/a/vx: peer s/b/vx (198.18.0.11) has VNI 67, this device 66; the ends of one overlay must use the same VNI.",
      "s/a/vx: peer s/b/vx (198.18.0.11) uses UDP port 8472, this device 4789; the ends of one overlay must use the same port.",
      "s/a/vx: peer s/a/vx2 (198.18.0.20) is on this host; VXLAN peers are other hosts. Remove it from the peers.",
    ]);
  });
});

describe("HostGw", () => {
  test("connect gives each host a route to every other host's subnet via that host's address, and forwarding", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", B);
    const c = newHost(stack, "c", { address: "198.18.0.12" });
    const gws = HostGw.connect([
      { host: a, subnet: new Subnet(a, "pods", { cidr: "10.61.0.0/24" }) },
      { host: b, subnet: "10.62.0.0/24" },
      { host: c, subnet: "10.60.0.0/24", address: "198.18.1.12" },
    ]);
    expect(validationErrors(stack)).toEqual([]);
    expect(gws.map((g) => g.routes.map((r) => `${r.host.node.id}: ${r.objectName}`))).toEqual([
      ["a: 10.62.0.0/24 via 198.18.0.11", "a: 10.60.0.0/24 via 198.18.1.12"],
      ["b: 10.61.0.0/24 via 198.18.0.10", "b: 10.60.0.0/24 via 198.18.1.12"],
      ["c: 10.61.0.0/24 via 198.18.0.10", "c: 10.62.0.0/24 via 198.18.0.11"],
    ]);
    for (const h of [a, b, c]) expect(h.netObjects.map((o) => o.node.path)).toContain(`s/${h.node.id}/ip-forward`);
    expect(gws[0].routes[0].node.path).toBe("s/a/host-gw/to-b");
  });

  test.each([
    [
      "overlapping subnets",
      (a: any, b: any) => [
        { host: a, subnet: "10.61.0.0/16" },
        { host: b, subnet: "10.61.5.0/24" },
      ],
      [
        "s/a/host-gw: member 1 (s/b) subnet 10.61.5.0/24 overlaps 10.61.0.0/16 of s/a; each host needs its own subnet.",
        "s/b/host-gw: member 1 (s/b) subnet 10.61.5.0/24 overlaps 10.61.0.0/16 of s/a; each host needs its own subnet.",
      ],
    ],
    [
      "a host given twice",
      (a: any, b: any) => [
        { host: a, subnet: "10.61.0.0/24" },
        { host: b, subnet: "10.62.0.0/24" },
        { host: b, subnet: "10.63.0.0/24" },
      ],
      [
        "s/a/host-gw: member 2 (s/b) lists the same host as member 1. Give each host once, with its own subnet.",
        "s/b/host-gw: member 2 (s/b) lists the same host as member 1. Give each host once, with its own subnet.",
      ],
    ],
    [
      "a subnet with host bits",
      (a: any, b: any) => [
        { host: a, subnet: "10.61.0.1/24" },
        { host: b, subnet: "10.62.0.0/24" },
      ],
      [
        's/a/host-gw: member 0 (s/a) subnet "10.61.0.1/24": "10.61.0.1/24" has host bits set; the network is 10.61.0.0/24. Use that.',
        's/b/host-gw: member 0 (s/a) subnet "10.61.0.1/24": "10.61.0.1/24" has host bits set; the network is 10.61.0.0/24. Use that.',
        's/b/host-gw/to-a: destination: "10.61.0.1/24" has host bits set; the network is 10.61.0.0/24. Use that.',
      ],
    ],
  ])("%s is refused on every member", (_, members, expected) => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", B);
    HostGw.connect(members(a, b));
    expect(messages(stack).sort()).toEqual([...expected].sort());
  });

  test("a host whose SSH address is a DNS name needs an explicit member address", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "host-b.example" });
    HostGw.connect([
      { host: a, subnet: "10.61.0.0/24" },
      { host: b, subnet: "10.62.0.0/24" },
    ]);
    expect(messages(stack)).toContain(
      's/a/host-gw: member 1 (s/b) address: "host-b.example" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1. Set ' +
        "the member's address to the host's IPv4 address on the shared network.",
    );
  });

  test("a HostGw on a host that is not a member is refused", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", B);
    const c = newHost(stack, "c", { address: "198.18.0.12" });
    new HostGw(c, "gw", {
      members: [
        { host: a, subnet: "10.61.0.0/24" },
        { host: b, subnet: "10.62.0.0/24" },
      ],
    });
    expect(messages(stack)).toEqual([
      "s/c/gw: host s/c is not among the members. Add it with its own subnet, or create the HostGw on a member host.",
    ]);
  });
});

describe("RoutedEndpoint", () => {
  test("an IPAM address becomes a /32; the endpoint turns on forwarding and depends on the namespace and it", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const block = new Subnet(a, "block", { cidr: "10.63.0.0/24", gateway: false });
    const pod = new Namespace(a, "pod");
    const ep = new RoutedEndpoint(a, "pod-ep", { namespace: pod, address: block.allocate(pod) });
    expect(validationErrors(stack)).toEqual([]);
    expect([ep.cidr, ep.hostName, ep.name, ep.gateway]).toEqual(["10.63.0.1/32", "rt-pod-ep", "eth0", "169.254.1.1"]);
    expect(ep.dependencies().map((d) => d.node.path)).toEqual(["s/a/pod", "s/a/ip-forward"]);
    expect(ep.interfaces().map((i) => `${i.name}@${i.namespace?.name ?? "root"}`)).toEqual(["rt-pod-ep@root", "eth0@pod"]);
  });

  test.each([
    [{ address: "10.63.0.5/24" }, "s/a/ep: address 10.63.0.5/24 has prefix /24; a routed endpoint carries a /32. Write 10.63.0.5 or 10.63.0.5/32."],
    [{ address: "10.63.0" }, 's/a/ep: address: "10.63.0" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.'],
    [
      { address: "10.63.0.5", gateway: "169.254.1" },
      's/a/ep: gateway: "169.254.1" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.',
    ],
    [
      { address: "10.63.0.5", gateway: "10.63.0.5" },
      "s/a/ep: gateway 10.63.0.5 is the endpoint's own address. Leave props.gateway unset (169.254.1.1) or pick an address no interface has.",
    ],
    [
      { address: "10.63.0.5", hostName: "rt-a-very-long-name" },
      's/a/ep: hostName: interface name "rt-a-very-long-name" is 19 bytes; Linux allows 15. Set props.hostName or shorten the construct id.',
    ],
    [{ address: "10.63.0.5", mtu: 40 }, "s/a/ep: MTU 40 is out of range; Linux accepts 68 to 65535 for IPv4. Fix props.mtu."],
  ])("bad props %j are refused", (props, message) => {
    const { stack } = newStack();
    const a = newHost(stack);
    new RoutedEndpoint(a, "ep", { namespace: new Namespace(a, "pod"), ...props });
    expect(messages(stack)).toEqual([message]);
  });

  test("a /32 address string is accepted", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const ep = new RoutedEndpoint(a, "ep", { namespace: new Namespace(a, "pod"), address: "10.63.0.5/32" });
    expect(validationErrors(stack)).toEqual([]);
    expect(ep.ip).toBe("10.63.0.5");
  });

  test("an endpoint created under one host for a namespace on another is refused", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const b = newHost(stack, "b", B);
    new RoutedEndpoint(b, "ep", { namespace: new Namespace(a, "pod"), address: "10.63.0.5" });
    expect(messages(stack)).toEqual([
      "s/b/ep: props.namespace is s/a/pod, which is on host s/a, but this RoutedEndpoint is built on host s/b. Refer to an object on s/b, " +
        "or create this RoutedEndpoint in s/a's scope; hosts are joined by a Vxlan or by routes (HostGw), not by references.",
    ]);
  });

  test("two endpoints with one address on a host clash", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new RoutedEndpoint(a, "ep1", { namespace: new Namespace(a, "p1"), address: "10.63.0.5" });
    new RoutedEndpoint(a, "ep2", { namespace: new Namespace(a, "p2"), address: "10.63.0.5" });
    expect(messages(stack)).toEqual([
      "s/a/ep2: address 10.63.0.5 (on eth0) is also assigned to eth0 by s/a/ep1. Give one of them another address, or allocate both from a Subnet.",
    ]);
  });
});

describe("the pieces combine", () => {
  test("a veth into a bridge that a vxlan is a port of synthesizes without errors", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const br = new Bridge(a, "br", { mtu: 1450 });
    new Vxlan(a, "vx", { vni: 5, bridge: br, peers: ["198.18.0.11"] });
    new VethPair(a, "v", { a: { namespace: new Namespace(a, "pod"), address: "10.66.0.2/24" }, b: { bridge: br }, mtu: 1450 });
    new Route(a, "r", { destination: "10.67.0.0/24", via: "198.18.0.11" });
    expect(validationErrors(stack)).toEqual([]);
  });
});
