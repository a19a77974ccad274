import {
  BandwidthLimit,
  Bridge,
  Endpoint,
  Ipvlan,
  Macvlan,
  Namespace,
  NatRule,
  RoutedEndpoint,
  Route,
  Subnet,
  Sysctl,
  VethPair,
  Vxlan,
} from "../../constructs";
import { buildManifest } from "../../constructs/manifest";
import { newHost, newStack } from "../support/stacks";

describe("every construct declares its drift probe", () => {
  test("a stack of every kind: each object has probe lines, none falls back to 'not checked'", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    const lan = new Subnet(a, "lan", { cidr: "10.88.0.0/24" });
    const br = new Bridge(a, "br0", { address: lan.gateway, mtu: 1450 });
    const web = new Namespace(a, "web");
    new VethPair(a, "web-veth", { a: { namespace: web, address: lan.allocate(web) }, b: { bridge: br } });
    new Route(web, "default", { via: lan.gateway });
    new Endpoint(a, "ep", { bridge: br, address: lan });
    NatRule.masquerade(a, "masq", { subnet: lan, bridge: br });
    NatRule.portForward(a, "fwd", { hostPort: 8080, to: "10.88.0.2", port: 80 });
    const vx = [new Vxlan(a, "vx", { vni: 7, bridge: br, mtu: 1450 }), new Vxlan(b, "vx", { vni: 7 })];
    Vxlan.mesh(vx);
    const pod = new Namespace(a, "pod");
    new RoutedEndpoint(a, "pod-ep", { namespace: pod, address: "10.77.0.5" });
    const mv = new Namespace(a, "mv");
    new Macvlan(a, "mv0", { parent: br, namespace: mv, address: "10.99.0.5/24" });
    const iv = new Namespace(a, "iv");
    new Ipvlan(a, "iv0", { parent: "eth0", namespace: iv, address: "10.98.0.5/24" });
    new BandwidthLimit(a, "bw", { interface: br, classes: [{ id: 1, rate: "10mbit" }] });
    new Sysctl(a, "rp", { key: "net.ipv4.conf.all.rp_filter", value: "0" });
    const objects = buildManifest(stack).hosts.flatMap((h) => h.objects);
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of ["bridge", "netns", "veth", "route", "endpoint", "masquerade", "dnat", "vxlan", "routed", "macvlan", "ipvlan", "sysctl"])
      expect(kinds).toContain(k);
    expect(objects.filter((o) => !o.checks || o.checks.length === 0 || o.notChecked).map((o) => o.path)).toEqual([]);
  });
});

describe("what a host forwards, for the firewall checks", () => {
  test("a host that turns forwarding on: its root bridge's subnet, the NAT flows (accepted by hostnet) and the routed /32s (not)", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const lan = new Subnet(a, "lan", { cidr: "10.88.0.0/24" });
    const br = new Bridge(a, "br0", { address: lan.gateway });
    NatRule.masquerade(a, "masq", { subnet: lan, bridge: br });
    NatRule.portForward(a, "fwd", { hostPort: 8080, to: "10.88.0.9", port: 80 });
    new RoutedEndpoint(a, "pod-ep", { namespace: new Namespace(a, "pod"), address: "10.77.0.5" });
    // A namespace's own NAT forwards in the namespace's tables, not the host's.
    const router = new Namespace(a, "router");
    NatRule.masquerade(router, "inner", { subnet: "10.55.0.0/24" });
    expect(a.forwardedFlows().map((f) => `${f.dir} ${f.cidr}${f.own ? " own" : ""}`)).toEqual([
      "from 10.77.0.5/32",
      "from 10.88.0.0/24 own",
      "from 10.88.0.9/32 own",
      "to 10.77.0.5/32",
      "to 10.88.0.0/24 own",
      "to 10.88.0.9/32 own",
    ]);
    expect(a.createScript()).toContain(
      "hn_fw_flows='from:10.77.0.5/32:0 from:10.88.0.0/24:1 from:10.88.0.9/32:1 to:10.77.0.5/32:0 to:10.88.0.0/24:1 to:10.88.0.9/32:1'",
    );
    expect(buildManifest(stack).hosts[0].checks!.join("\n")).toContain("hn_fw_scan | sed -n 's/^P //p; s/^W /warning: /p'");
  });

  test("a host that forwards only IPv6: its IPv6 flows are checked against ip6tables (they were not checked at all)", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const br = new Bridge(a, "br0", { address: "fd00:88::1/64" });
    NatRule.masquerade(a, "masq6", { subnet: "fd00:88::/64", bridge: br });
    expect(a.forwardedFlows().map((f) => `${f.dir} ${f.cidr}${f.own ? " own" : ""}`)).toEqual(["from fd00:88::/64 own", "to fd00:88::/64 own"]);
    const script = a.createScript();
    expect(script).toContain("hn_fw_flows6='from:fd00:88::/64:1 to:fd00:88::/64:1'");
    expect(script).toContain("ip6tables-save 2>/dev/null | awk");
  });

  test("a host that forwards only IPv4: its IPv6 flows are left out, so ip6tables is not read (a DROP there stops nothing this host forwards)", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const lan = new Subnet(a, "lan", { cidr: "10.88.0.0/24" });
    const br = new Bridge(a, "br0", { address: [lan.gateway!, "fd00:88::1/64"] });
    NatRule.masquerade(a, "masq", { subnet: lan, bridge: br });
    expect(a.forwardedFlows().map((f) => `${f.dir} ${f.cidr}`)).toEqual(["from 10.88.0.0/24", "to 10.88.0.0/24"]);
    expect(a.createScript()).not.toContain("hn_fw_flows6");
    expect(a.createScript()).not.toContain("ip6tables-save");
  });

  test("a host that forwards nothing: no firewall scan in its preflight or its check", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const lan = new Subnet(a, "lan", { cidr: "10.88.0.0/24" });
    new Bridge(a, "br0", { address: lan.gateway });
    expect(a.forwardedFlows()).toEqual([]);
    expect(a.createScript()).not.toContain("hn_fw_scan");
    expect(buildManifest(stack).hosts[0].checks).toEqual([]);
  });
});
