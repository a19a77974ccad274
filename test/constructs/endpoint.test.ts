import { Bridge, Endpoint, Namespace, Route, Subnet, VethPair } from "../../constructs";
import { HostnetStack } from "../../constructs/hostnet-stack";
import { Host } from "../../constructs/host";
import { messages, newHost, newStack, resourceOf, synthJson } from "../support/stacks";
// The module object itself (not an import namespace), so spies replace what cdktf calls.
import childProcess = require("child_process");

/** A host with a subnet and its bridge, as an endpoint needs. */
function lan(stack: HostnetStack, host: Host = newHost(stack)) {
  const subnet = new Subnet(host, "lan", { cidr: "10.88.0.0/24" });
  const bridge = new Bridge(host, "br-lan", { address: subnet.gateway });
  return { host, subnet, bridge };
}

describe("Endpoint", () => {
  test("renders exactly the lines of a Namespace, a VethPair into the bridge and a default Route", () => {
    const { stack } = newStack();
    const { host, subnet, bridge } = lan(stack);
    const ep = new Endpoint(host, "web", { bridge, address: subnet.address("10.88.0.2") });

    // The same endpoint built from three objects, in another stack.
    const other = newStack().stack;
    const o = lan(other);
    const ns = new Namespace(o.host, "web");
    const veth = new VethPair(o.host, "web-veth", {
      a: { namespace: ns, address: o.subnet.address("10.88.0.2") },
      b: { bridge: o.bridge, name: "ve-web" },
    });
    const route = new Route(ns, "default", { via: o.subnet.gateway });

    // Rendered with the endpoint's identity, so tags and messages match too.
    const ref = ep.ref;
    const parts = [ns.hooks(), veth.hooks(ref), route.hooks()];
    expect(ep.hooks(ref)).toEqual({
      create: parts.flatMap((p) => p.create),
      destroy: [...parts].reverse().flatMap((p) => p.destroy),
    });
  });

  test("names: the namespace after the construct id, eth0 inside, ve-<id> on the bridge", () => {
    const { stack } = newStack();
    const { host, subnet, bridge } = lan(stack);
    const ep = new Endpoint(host, "db", { bridge, address: subnet });
    expect([ep.namespaceName, ep.name, ep.hostName, ep.mtu]).toEqual(["db", "eth0", "ve-db", 1500]);
    expect(ep.interfaces()).toEqual([
      { name: "eth0", namespace: { name: "db" } },
      { name: "ve-db", namespace: undefined },
    ]);
  });

  test("a Subnet as the address hands out its next free address; the route goes via the bridge's address", () => {
    const { stack } = newStack();
    const { host, subnet, bridge } = lan(stack);
    const a = new Endpoint(host, "a", { bridge, address: subnet });
    const b = new Endpoint(host, "b", { bridge, address: subnet });
    expect(a.assignedAddresses().map((x) => x.cidr)).toEqual(["10.88.0.2/24"]);
    expect(b.assignedAddresses().map((x) => x.cidr)).toEqual(["10.88.0.3/24"]);
    expect(a.gateway).toBe("10.88.0.1");
    expect(a.createScript()).toContain("ip -n a route replace default via 10.88.0.1 proto 199");
  });

  test("gateway: false leaves the namespace without a default route; a given gateway wins over the bridge's address", () => {
    const { stack } = newStack();
    const { host, subnet, bridge } = lan(stack);
    expect(new Endpoint(host, "none", { bridge, address: subnet, gateway: false }).createScript()).not.toContain("route");
    expect(new Endpoint(host, "other", { bridge, address: subnet, gateway: "10.88.0.254" }).createScript()).toContain(
      "route replace default via 10.88.0.254 proto 199",
    );
  });

  test("one resource per endpoint, created after its bridge and after the host's preflight", () => {
    const { stack } = newStack();
    const { host, subnet, bridge } = lan(stack);
    new Endpoint(host, "web", { bridge, address: subnet });
    const json = synthJson(stack);
    const ids = Object.keys(json.resource.terraform_data);
    expect(ids).toHaveLength(4); // host preflight and sweep, bridge, endpoint
    const web = json.resource.terraform_data[resourceOf(json, "terraform_data", "s/a/web")];
    expect(web.triggers_replace!.after).toBe(`\${terraform_data.${resourceOf(json, "terraform_data", "s/a/br-lan")}.id}`);
    expect(web.depends_on).toEqual([`terraform_data.${resourceOf(json, "terraform_data", "s/a/sweep")}`]);
  });

  test("validation names the path, the bad value and the fix", () => {
    const { stack } = newStack();
    const { host, subnet, bridge } = lan(stack);
    const elsewhere = new Subnet(host, "other", { cidr: "10.99.0.0/24" });
    new Endpoint(host, "long", { bridge, address: subnet, hostName: "ve-much-too-long-name" });
    new Endpoint(host, "wrong-subnet", { bridge, address: elsewhere, hostName: "ve-ws" });
    new Endpoint(host, "mtu", { bridge, address: subnet, mtu: 9000 });
    new Endpoint(host, "gw", { bridge, address: subnet, gateway: "10.88.0.300" });
    const b = lan(stack, newHost(stack, "b", { address: "198.18.0.11" }));
    new Endpoint(host, "cross", { bridge: b.bridge, address: b.subnet });
    const m = messages(stack);
    expect(m).toEqual(
      expect.arrayContaining([
        's/a/long: host-side interface: interface name "ve-much-too-long-name" is 21 bytes; Linux allows 15. Set props.hostName.',
        "s/a/wrong-subnet: address is from s/a/other (10.99.0.0/24) but bridge br-lan, which the endpoint joins, is on s/a/lan (10.88.0.0/24). Allocate props.address from s/a/lan.",
        "s/a/mtu: MTU 9000 is larger than bridge br-lan's MTU 1500; the bridge would lower it. Set props.mtu to at most 1500.",
        expect.stringMatching(/^s\/a\/gw: gateway: .*10\.88\.0\.300/),
        "s/a/cross: props.bridge is s/b/br-lan, which is on host s/b, but this Endpoint is built on host s/a. Refer to an object on s/a, or " +
          "create this Endpoint in s/b's scope; hosts are joined by a Vxlan or by routes (HostGw), not by references.",
      ]),
    );
  });

  test("its address takes part in the host's address checks", () => {
    const { stack } = newStack();
    const { host, bridge } = lan(stack);
    new Endpoint(host, "one", { bridge, address: "10.88.0.7/24" });
    const ns = new Namespace(host, "two");
    new VethPair(host, "two-veth", { a: { namespace: ns, address: "10.88.0.7/24" }, b: { bridge } });
    expect(messages(stack).join("\n")).toContain("10.88.0.7");
  });
});

describe("a route's dependencies", () => {
  test("are its namespace and every link with an end there, in creation order", () => {
    const { stack } = newStack();
    const { host, subnet, bridge } = lan(stack);
    const ns = new Namespace(host, "web");
    const other = new Namespace(host, "db");
    const v1 = new VethPair(host, "v1", { a: { namespace: ns, address: subnet.allocate(ns) }, b: { bridge } });
    new VethPair(host, "v2", { a: { namespace: other }, b: { bridge } });
    const route = new Route(ns, "default", { via: subnet.gateway });
    const v3 = new VethPair(host, "v3", { a: { namespace: ns, name: "eth1" }, b: { namespace: other, name: "eth1" } });
    expect(route.dependencies()).toEqual([ns, v1, v3]);
    // A route in the root namespace sits on the bridge and on every link with a root end.
    const root = new Route(host, "to-lab", { destination: "10.99.0.0/24", via: "10.88.0.254" });
    expect(root.dependencies().map((d) => d.node.id)).toEqual(["br-lan", "v1", "v2"]);
  });
});

describe("synthesizing 1,000 endpoints", () => {
  const calls: string[] = [];
  const spies: jest.SpyInstance[] = [];

  beforeEach(() => {
    for (const fn of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const) {
      spies.push(
        jest.spyOn(childProcess, fn).mockImplementation(((...args: unknown[]) => {
          calls.push(`${fn} ${JSON.stringify(args[0])}`);
          throw new Error(`unexpected child process: ${fn} ${String(args[0])}`);
        }) as never),
      );
    }
  });

  afterEach(() => {
    for (const s of spies.splice(0)) s.mockRestore();
  });

  test("validates and synthesizes one resource each without starting any process, rendering each script once", () => {
    const { app, stack } = newStack();
    const { host, bridge } = lan(stack);
    const subnet = new Subnet(host, "pods", { cidr: "10.64.0.0/20" });
    const big = new Bridge(host, "br-pods", { address: subnet.gateway });
    const eps = Array.from({ length: 1000 }, (_, i) => new Endpoint(host, `ep${i}`, { bridge: big, address: subnet }));
    expect(bridge).toBeDefined();
    const hooks = jest.spyOn(Endpoint.prototype, "hooks");
    app.synth();
    expect(calls).toEqual([]);
    // cdktf resolves every resource twice and the review reads the scripts again: one rendering serves all.
    expect(hooks).toHaveBeenCalledTimes(1000);
    hooks.mockRestore();
    const json = synthJson(stack);
    expect(Object.keys(json.resource.terraform_data)).toHaveLength(1004);
    expect(eps[999].assignedAddresses()[0].cidr).toBe("10.64.3.233/20");
  }, 120_000);
});
