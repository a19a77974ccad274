/**
 * Every prop that takes another hostnet construct refuses one on another host,
 * at synth, with the prop, both paths and the fix. Before, most of them built
 * the object on the referenced object's host instead (a VethPair created under
 * host b with an end in a namespace of host c was built on c).
 */
import { Testing } from "cdktf";
import { Construct } from "constructs";
import {
  BandwidthLimit,
  Bridge,
  Endpoint,
  Host,
  HostGw,
  Ipvlan,
  Macvlan,
  Namespace,
  NatRule,
  Network,
  RoutedEndpoint,
  Route,
  Subnet,
  Sysctl,
  validateStack,
  VethPair,
  Vxlan,
} from "../../constructs";
import { newHost, newStack } from "../support/stacks";

Testing.setupJest();

/** The one message of the same-host check. */
function onOtherHost(path: string, prop: string, ref: string, refHost: string, label: string, host: string): string {
  return (
    `${path}: ${prop} ` +
    `is ${ref}, which is on ` +
    `host ${refHost}, but ` +
    `this ${label} is built on ` +
    `host ${host}. Refer to an object ` +
    `on ${host}, or create this ${label} in ${refHost}'s scope; hosts are joined by a Vxlan or by routes (HostGw), not by references.`
  );
}

// Each case builds one object in host a's scope whose `prop` refers to an object of host b.
type Case = [label: string, prop: string, ref: string, build: (a: Host, b: Host) => void];
const CASES: Case[] = [
  ["VethPair", "props.a.namespace", "s/b/web", (a, b) => new VethPair(a, "x", { a: { namespace: new Namespace(b, "web") }, b: {} })],
  ["VethPair", "props.a.bridge", "s/b/br", (a, b) => new VethPair(a, "x", { a: { bridge: new Bridge(b, "br") }, b: {} })],
  ["VethPair", "props.b.namespace", "s/b/web", (a, b) => new VethPair(a, "x", { a: {}, b: { namespace: new Namespace(b, "web") } })],
  ["VethPair", "props.b.bridge", "s/b/br", (a, b) => new VethPair(a, "x", { a: {}, b: { bridge: new Bridge(b, "br") } })],
  ["Bridge", "props.namespace", "s/b/web", (a, b) => new Bridge(a, "x", { namespace: new Namespace(b, "web") })],
  ["Route", "props.namespace", "s/b/web", (a, b) => new Route(a, "x", { namespace: new Namespace(b, "web"), dev: "eth0" })],
  ["Route", "props.dev", "s/b/br", (a, b) => new Route(a, "x", { destination: "10.9.0.0/24", dev: new Bridge(b, "br") })],
  ["NatRule", "props.namespace", "s/b/web", (a, b) => NatRule.masquerade(a, "x", { subnet: "10.9.0.0/24", namespace: new Namespace(b, "web") })],
  ["NatRule", "props.bridge", "s/b/br", (a, b) => NatRule.masquerade(a, "x", { subnet: "10.9.0.0/24", bridge: new Bridge(b, "br") })],
  [
    "NatRule",
    "props.namespace",
    "s/b/web",
    (a, b) => NatRule.snat(a, "x", { source: "10.9.0.0/24", toSource: "192.0.2.1", namespace: new Namespace(b, "web") }),
  ],
  [
    "NatRule",
    "props.namespace",
    "s/b/web",
    (a, b) => NatRule.portForward(a, "x", { hostPort: 8080, to: "10.9.0.2", namespace: new Namespace(b, "web") }),
  ],
  [
    "NatRule",
    "props.namespace",
    "s/b/web",
    (a, b) => NatRule.oneToOne(a, "x", { inside: "10.9.0.2", outside: "192.0.2.9", namespace: new Namespace(b, "web") }),
  ],
  [
    "Sysctl",
    "props.namespace",
    "s/b/web",
    (a, b) => new Sysctl(a, "x", { key: "net.ipv4.ip_forward", value: "1", namespace: new Namespace(b, "web") }),
  ],
  ["Macvlan", "props.parent", "s/b/br", (a, b) => new Macvlan(a, "x", { parent: new Bridge(b, "br") })],
  ["Macvlan", "props.namespace", "s/b/web", (a, b) => new Macvlan(a, "x", { parent: "eth0", namespace: new Namespace(b, "web") })],
  ["Ipvlan", "props.parent", "s/b/br", (a, b) => new Ipvlan(a, "x", { parent: new Bridge(b, "br") })],
  ["Ipvlan", "props.namespace", "s/b/web", (a, b) => new Ipvlan(a, "x", { parent: "eth0", namespace: new Namespace(b, "web") })],
  [
    "BandwidthLimit",
    "props.interface",
    "s/b/br",
    (a, b) => new BandwidthLimit(a, "x", { interface: new Bridge(b, "br"), classes: [{ id: 10, rate: "1mbit" }] }),
  ],
  [
    "BandwidthLimit",
    "props.interface.namespace",
    "s/b/web",
    (a, b) => new BandwidthLimit(a, "x", { interface: { name: "eth0", namespace: new Namespace(b, "web") }, classes: [{ id: 10, rate: "1mbit" }] }),
  ],
  ["Vxlan", "props.bridge", "s/b/br", (a, b) => new Vxlan(a, "x", { vni: 7, bridge: new Bridge(b, "br", { mtu: 1450 }) })],
  ["Endpoint", "props.bridge", "s/b/br", (a, b) => new Endpoint(a, "x", { bridge: new Bridge(b, "br"), gateway: false })],
  [
    "RoutedEndpoint",
    "props.namespace",
    "s/b/web",
    (a, b) => new RoutedEndpoint(a, "x", { namespace: new Namespace(b, "web"), address: "10.63.0.5" }),
  ],
];

function twoHosts() {
  const { stack } = newStack();
  return { stack, a: newHost(stack, "a"), b: newHost(stack, "b", { address: "198.18.0.11" }) };
}

describe("a reference to an object on another host is a synth error", () => {
  test.each(CASES)("%s %s (case %#)", (label, prop, ref, build) => {
    const { stack, a, b } = twoHosts();
    build(a, b);
    expect(validateStack(stack)).toContain(onOtherHost("s/a/x", prop, ref, "s/b", label, "s/a"));
  });

  test.each(CASES)("the same %s %s on its own host has no such error (case %#)", (_label, _prop, _ref, build) => {
    const { stack, a } = twoHosts();
    build(a, a);
    expect(validateStack(stack).filter((m) => m.includes("is built on host"))).toEqual([]);
  });

  test("the issue's case: a VethPair created under host b with an end in a namespace of host c is refused, and would be built on b, not c", () => {
    const { stack } = newStack();
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    const c = newHost(stack, "c", { address: "198.18.0.12" });
    const v = new VethPair(b, "link", { a: { namespace: new Namespace(c, "web") }, b: {} });
    expect(v.host).toBe(b);
    expect(validateStack(stack)).toEqual([onOtherHost("s/b/link", "props.a.namespace", "s/c/web", "s/c", "VethPair", "s/b")]);
  });

  test("Network.connect with a namespace of another host", () => {
    const { stack, a, b } = twoHosts();
    new Network(a, "appnet", { subnet: "10.89.0.0/24" }).connect(new Namespace(b, "web"));
    expect(validateStack(stack)).toContain(onOtherHost("s/a/appnet", "connect()'s namespace", "s/b/web", "s/b", "Network", "s/a"));
  });

  test("HostGw: a member whose Subnet was created in another host's scope", () => {
    const { stack, a, b } = twoHosts();
    HostGw.connect([
      { host: a, subnet: new Subnet(b, "pods-a", { cidr: "10.61.0.0/24" }) },
      { host: b, subnet: "10.62.0.0/24" },
    ]);
    expect(validateStack(stack)).toContain(onOtherHost("s/a/host-gw", "member 0 (s/a) subnet", "s/b/pods-a", "s/b", "HostGw member", "s/a"));
  });

  test("an object outside any Host's scope takes its references' host, and a mix of hosts is refused", () => {
    const { stack, a, b } = twoHosts();
    const group = new Construct(stack, "group");
    const v = new VethPair(group, "v", { a: { namespace: new Namespace(a, "web") }, b: { namespace: new Namespace(b, "db") } });
    expect(v.host).toBe(a);
    expect(validateStack(stack)).toEqual([onOtherHost("s/group/v", "props.b.namespace", "s/b/db", "s/b", "VethPair", "s/a")]);
  });

  test("with neither a Host scope nor a reference, construction fails naming the fix", () => {
    const { stack } = newStack();
    expect(() => new VethPair(stack, "v", { a: {}, b: {} })).toThrow(
      `s/v: a VethPair must be created inside a Host's scope, e.g. new VethPair(hostA, "v").`,
    );
  });
});
