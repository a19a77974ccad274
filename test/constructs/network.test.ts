import { Bridge, Namespace, NatRule, Network, Route, Subnet, VethPair } from "../../constructs";
import { messages, newHost, newStack, synthJson, validationErrors } from "../support/stacks";

describe("Network", () => {
  test("create: a subnet, a bridge with the gateway and a masquerade that leaves the bridge alone", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const net = new Network(a, "appnet", { subnet: "10.89.0.0/24" });
    expect(net.driver).toBe("bridge");
    expect(net.subnet.cidr).toBe("10.89.0.0/24");
    expect(net.bridge.name).toBe("br-appnet");
    expect(net.gateway?.cidr).toBe("10.89.0.1/24");
    expect(net.masquerade?.spec()).toEqual({ type: "masquerade", source: "10.89.0.0/24", notOutInterface: "br-appnet", allowForward: true });
    expect(net.endpoints).toEqual([]);
    expect(validationErrors(stack)).toEqual([]);
  });

  test("connect: a veth with eth0 in the namespace, the next address, a default route, and published ports with hairpin", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const net = new Network(a, "appnet", { subnet: "10.89.0.0/24" });
    const web = new Namespace(a, "web");
    const api = new Namespace(a, "api");
    const e1 = net.connect(web, {
      publish: [
        { hostPort: 10080, port: 80 },
        { hostPort: 5353, protocol: "udp" },
      ],
    });
    const e2 = net.connect(api, { address: "10.89.0.20", defaultRoute: false, interfaceName: "app0" });
    expect(net.endpoints).toEqual([e1, e2]);
    expect(e1.address.cidr).toBe("10.89.0.2/24");
    expect(e1.veth.a).toMatchObject({ name: "eth0", namespace: web, address: e1.address });
    expect(e1.veth.b).toMatchObject({ name: "ve-appnet-web", bridge: net.bridge, hairpin: true });
    expect(e1.route).toBeInstanceOf(Route);
    expect(e1.route?.namespace).toBe(web);
    expect(e1.route?.via).toBe("10.89.0.1");
    expect(e1.published.map((p) => p.spec())).toEqual([
      {
        type: "dnat",
        protocol: "tcp",
        hostPort: 10080,
        toAddress: "10.89.0.2",
        toPort: 80,
        fromHost: true,
        allowForward: true,
        hairpinSource: "10.89.0.0/24",
      },
      {
        type: "dnat",
        protocol: "udp",
        hostPort: 5353,
        toAddress: "10.89.0.2",
        toPort: 5353,
        fromHost: true,
        allowForward: true,
        hairpinSource: "10.89.0.0/24",
      },
    ]);
    expect(e2.address.cidr).toBe("10.89.0.20/24");
    expect(e2.veth.a.name).toBe("app0");
    expect(e2.veth.b.hairpin).toBeUndefined();
    expect(e2.route).toBeUndefined();
    expect(e2.published).toEqual([]);
    expect(validationErrors(stack)).toEqual([]);
    // host (preflight, sweep) + forwarding + bridge + masquerade + 2 namespaces + 2 veths + 1 route + 2 port forwards
    expect(Object.keys(synthJson(stack).resource.terraform_data)).toHaveLength(12);
  });

  test("the same objects as building the bridge network by hand (note 1's model is only a bundle)", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Network(a, "n", { subnet: "10.89.0.0/24", masquerade: false }).connect(new Namespace(a, "web"));
    const kinds = a.netObjects.map((o) => o.constructor.name).sort();
    expect(kinds).toEqual([Bridge.name, Namespace.name, Route.name, VethPair.name].sort());
    expect(a.node.findAll().filter((c) => c instanceof Subnet)).toHaveLength(1);
    expect(a.netObjects.some((o) => o instanceof NatRule)).toBe(false);
  });

  test("connecting the same namespace twice throws naming both", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const net = new Network(a, "appnet", { subnet: "10.89.0.0/24" });
    const web = new Namespace(a, "web");
    net.connect(web);
    expect(() => net.connect(web)).toThrow("s/a/appnet: namespace s/a/web is already connected to this network; connect it once.");
  });

  test("a namespace on another host is a synth error naming the network's host", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    new Network(a, "appnet", { subnet: "10.89.0.0/24" }).connect(new Namespace(b, "web"));
    expect(messages(stack)).toContain(
      "s/a/appnet: connect()'s namespace is s/b/web, which is on host s/b, but this Network is built on host s/a. Refer to an object on " +
        "s/a, or create this Network in s/b's scope; hosts are joined by a Vxlan or by routes (HostGw), not by references.",
    );
  });

  test("two networks in one namespace: the second eth0 is reported; interfaceName (and defaultRoute: false) fix it", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const web = new Namespace(a, "web");
    new Network(a, "front", { subnet: "10.89.0.0/24" }).connect(web);
    new Network(a, "back", { subnet: "10.90.0.0/24" }).connect(web);
    expect(messages(stack)).toContain(
      's/a/back/web: interface name "eth0" in netns web is also used by s/a/front/web. Set a different name on one of them.',
    );

    const fixed = newStack();
    const a2 = newHost(fixed.stack);
    const web2 = new Namespace(a2, "web");
    new Network(a2, "front", { subnet: "10.89.0.0/24" }).connect(web2);
    new Network(a2, "back", { subnet: "10.90.0.0/24" }).connect(web2, { interfaceName: "eth1", defaultRoute: false });
    expect(validationErrors(fixed.stack)).toEqual([]);
  });

  test.each<[string, ConstructorParameters<typeof Network>[2], string]>([
    ["a subnet that is not a network", { subnet: "10.89.0.1/24" }, "s/a/n/subnet: "],
    ["an unknown driver", { subnet: "10.89.0.0/24", driver: "overlay" as never }, 's/a/n: driver "overlay" is not supported; use "bridge".'],
    [
      "a bridge name that is too long",
      { subnet: "10.89.0.0/24", bridgeName: "br-much-too-long-x" },
      's/a/n/bridge: interface name "br-much-too-long-x" is 18 bytes; Linux allows 15.',
    ],
  ])("validation: %s", (_name, props, start) => {
    const { stack } = newStack();
    new Network(newHost(stack), "n", props);
    expect(messages(stack).some((m) => m.startsWith(start))).toBe(true);
  });

  test("an address outside the subnet given to connect is reported by the subnet", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Network(a, "n", { subnet: "10.89.0.0/24" }).connect(new Namespace(a, "web"), { address: "10.90.0.5" });
    expect(messages(stack).join("\n")).toContain("10.90.0.5");
  });

  test("a long network id gives a short, unique bridge and veth names", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const net = new Network(a, "a-very-long-network-name", { subnet: "10.89.0.0/24" });
    const ep = net.connect(new Namespace(a, "frontend-service"));
    expect(net.bridge.name.length).toBeLessThanOrEqual(15);
    expect(ep.veth.b.name.length).toBeLessThanOrEqual(15);
    expect(ep.veth.b.name.startsWith("ve-")).toBe(true);
    expect(validationErrors(stack)).toEqual([]);
  });
});
