import { Bridge, Ipvlan, Macvlan, Namespace, Subnet } from "../../constructs";
import { messages, newHost, newStack, synthJson, validationErrors } from "../support/stacks";
import { scriptsOf } from "../support/scripts";

const B = { address: "198.18.0.11" };

describe("Macvlan", () => {
  test("on a bridge parent, into a namespace: named eth0, parent's MTU, depends on the namespace and the parent", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const lan = new Subnet(a, "lan", { cidr: "10.69.0.0/24", gateway: false });
    const parent = new Bridge(a, "mv-parent", { mtu: 9000 });
    const ns = new Namespace(a, "m1");
    const mv = new Macvlan(a, "m1-mv", { parent, namespace: ns, address: lan.allocate(ns) });
    expect(validationErrors(stack)).toEqual([]);
    expect([mv.name, mv.mode, mv.mtu, mv.parentName]).toEqual(["eth0", "bridge", 9000, "mv-parent"]);
    expect(mv.dependencies()).toEqual([ns, parent]);
    expect(scriptsOf(stack, "s/a/m1-mv").create).toContain("ip link add link mv-parent name eth0 netns m1 type macvlan mode bridge");
  });

  test("created in a namespace's scope on a NIC given by name", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const ns = new Namespace(a, "web");
    const mv = new Macvlan(ns, "mv", { parent: "eth0", mode: "private" });
    expect(validationErrors(stack)).toEqual([]);
    expect([mv.namespace, mv.name, mv.mtu]).toEqual([ns, "eth0", 1500]);
  });

  test("left in the root namespace it gets an mv- name", () => {
    const { stack } = newStack();
    const mv = new Macvlan(newHost(stack), "shim", { parent: "eth0" });
    expect(mv.name).toBe("mv-shim");
    expect(mv.namespace).toBeUndefined();
  });

  test("a parent bridge on another host than the namespace is refused", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const b = newHost(stack, "b", B);
    new Macvlan(a, "mv", { parent: new Bridge(b, "br"), namespace: new Namespace(a, "web") });
    expect(messages(stack)).toEqual([
      "s/a/mv: props.parent is s/b/br, which is on host s/b, but this Macvlan is built on host s/a. Refer to an object on s/a, or create " +
        "this Macvlan in s/b's scope; hosts are joined by a Vxlan or by routes (HostGw), not by references.",
    ]);
  });

  test.each([
    [
      { parent: "eth0", mtu: 1501 },
      "s/a/mv: MTU 1501 is larger than the MTU 1500 of parent eth0; the child cannot exceed its parent. Set props.mtu to at most 1500.",
    ],
    [
      { parent: "eth0", parentMtu: 9000, mtu: 9001 },
      "s/a/mv: MTU 9001 is larger than the MTU 9000 of parent eth0; the child cannot exceed its parent. Set props.mtu to at most 9000.",
    ],
    [{ parent: "eth0", mode: "switch" as never }, 's/a/mv: mode "switch" is not a macvlan mode. Use bridge, private, vepa, passthru.'],
    [
      { parent: "-eth0" },
      's/a/mv: parent: interface name "-eth0" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Fix props.parent.',
    ],
    [
      { parent: "eth0", address: "10.69.0.0/24" },
      "s/a/mv: address 10.69.0.0/24 is the network or broadcast address of its subnet; use a host address.",
    ],
  ])("bad props %j are refused", (props, message) => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Macvlan(a, "mv", { namespace: new Namespace(a, "web"), ...props });
    expect(messages(stack)).toEqual([message]);
  });

  test("with a parent inside a namespace and no namespace given, the child stays beside the parent", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const edge = new Namespace(a, "edge");
    const mv = new Macvlan(a, "mv", { parent: new Bridge(a, "br", { namespace: edge }) });
    expect(mv.namespace).toBe(edge);
    expect(mv.name).toBe("mv-mv");
    expect(validationErrors(stack)).toEqual([]);
  });

  test("two macvlans named eth0 in one namespace clash", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const ns = new Namespace(a, "web");
    new Macvlan(a, "mv1", { parent: "eth0", namespace: ns });
    new Macvlan(a, "mv2", { parent: "eth0", namespace: ns });
    expect(messages(stack)).toEqual(['s/a/mv2: interface name "eth0" in netns web is also used by s/a/mv1. Set a different name on one of them.']);
  });
});

describe("Ipvlan (kernel here lacks ipvlan: synth only)", () => {
  test.each(["l2", "l3"] as const)("mode %s synthesizes an ipvlan add in the namespace (kernel here lacks ipvlan: synth only)", (mode) => {
    const { stack } = newStack();
    const a = newHost(stack);
    const ns = new Namespace(a, "web");
    new Ipvlan(a, "iv", { parent: "eth0", namespace: ns, mode, address: "10.70.0.2/24" });
    expect(validationErrors(stack)).toEqual([]);
    const json = synthJson(stack);
    expect(scriptsOf(stack, "s/a/iv").create).toContain(`ip link add link eth0 name eth0 netns web type ipvlan mode ${mode} || hn_fail`);
    expect(Object.keys(json.resource.terraform_data)).toHaveLength(4); // host preflight and sweep, namespace, ipvlan
  });

  test("default mode is l2 and a root-namespace child gets an iv- name (kernel here lacks ipvlan: synth only)", () => {
    const { stack } = newStack();
    const iv = new Ipvlan(newHost(stack), "x", { parent: "eth0" });
    expect([iv.mode, iv.name, iv.kind]).toEqual(["l2", "iv-x", "ipvlan"]);
  });

  test.each([
    [{ mode: "l3s" as never }, 's/a/iv: mode "l3s" is not an ipvlan mode. Use l2 or l3.'],
    [
      { mtu: 1600 },
      "s/a/iv: MTU 1600 is larger than the MTU 1500 of parent eth0; the child cannot exceed its parent. Set props.mtu to at most 1500.",
    ],
  ])("bad props %j are refused (kernel here lacks ipvlan: synth only)", (props, message) => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Ipvlan(a, "iv", { parent: "eth0", namespace: new Namespace(a, "web"), ...props });
    expect(messages(stack)).toEqual([message]);
  });

  test("an ipvlan parent on another host is refused (kernel here lacks ipvlan: synth only)", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const b = newHost(stack, "b", B);
    new Ipvlan(b, "iv", { parent: new Bridge(a, "br"), namespace: new Namespace(b, "web") });
    expect(messages(stack)).toContain(
      "s/b/iv: props.parent is s/a/br, which is on host s/a, but this Ipvlan is built on host s/b. Refer to an object on s/b, or create " +
        "this Ipvlan in s/a's scope; hosts are joined by a Vxlan or by routes (HostGw), not by references.",
    );
  });
});
