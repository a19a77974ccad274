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
  test("renders a Namespace, a VethPair into the bridge and a default Route in few processes", () => {
    const { stack } = newStack();
    const { host, subnet, bridge } = lan(stack);
    const ep = new Endpoint(host, "web", { bridge, address: subnet.address("10.88.0.2") });
    const TAG = ep.ref.tag;
    expect(ep.hooks(ep.ref)).toEqual({
      create: [
        "if [ -e /run/netns/web ]; then",
        `  [ "$hn_own" = 1 ] || hn_fail 'namespace web already exists and hostnet did not create it for this object; remove it (ip netns del web) or ` +
          `choose another name'; hn_new=0`,
        "else",
        "  ip netns add web; hn_new=1",
        "fi",
        // A namespace this run added holds only lo: eth0 is not looked up.
        `if [ "$hn_new" = 0 ] && hn_l=$(ip -n web -o link show dev eth0 2>/dev/null); then`,
        `  case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) hn_ok=1 ;; *'\\    alias '*) hn_ok=0 ;; *) hn_ok=$hn_own ;; esac`,
        `  [ "$hn_ok" = 1 ] || hn_fail 'interface eth0 already exists in namespace web and hostnet did not create it for this object; remove it or choose another name'`,
        "else",
        "  if ! ip link add name eth0 netns web type veth peer name ve-web 2>/dev/null; then",
        "    if ip link show dev ve-web >/dev/null 2>&1; then hn_fail 'interface ve-web already exists in the root namespace; remove it or choose another name for this veth end'; fi",
        "    ip link add name eth0 netns web type veth peer name ve-web",
        "  fi",
        "fi",
        "ip netns exec web sysctl -q -w net.ipv4.conf.eth0.arp_notify=1",
        // lo comes up in the inner end's batch.
        `ip -n web -batch - <<'HN_IP'\nlink set dev lo up\nlink set dev eth0 alias ${TAG}\nlink set dev eth0 mtu 1500\naddr replace 10.88.0.2/24 dev eth0\nlink set dev eth0 up\nHN_IP`,
        `ip -batch - <<'HN_IP'\nlink set dev ve-web alias ${TAG}\nlink set dev ve-web mtu 1500\nlink set dev ve-web master br-lan\nlink set dev ve-web up\nHN_IP`,
        `if [ "$hn_new" = 0 ]; then cur=$(ip -n web route show exact 0.0.0.0/0); case "$cur" in ""|*' proto 199'*) ;; *) hn_fail 'a route to default ` +
          `already exists in namespace web and hostnet did not add it; remove it or drop this Route' ;; esac; fi`,
        "ip -n web route replace default via 10.88.0.1 proto 199",
      ],
      // The namespace is the endpoint's own: the inner end goes first (synchronously, whatever it carries), its route with it, then the namespace.
      destroy: [
        "if [ -e /run/netns/web ]; then",
        "  ip -n web link del dev eth0 2>/dev/null || true",
        `  p=; for hn_p in /proc/[0-9]*; do [ ! "$hn_p/ns/net" -ef /run/netns/web ] || p="$p \${hn_p#/proc/}"; done`,
        `  if [ -n "$p" ]; then kill $p 2>/dev/null || true; sleep 1; p=; for hn_p in /proc/[0-9]*; do [ ! "$hn_p/ns/net" -ef /run/netns/web ] || ` +
          `p="$p \${hn_p#/proc/}"; done; [ -z "$p" ] || kill -9 $p 2>/dev/null || true; fi`,
        "  ip netns del web",
        "fi",
      ],
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
