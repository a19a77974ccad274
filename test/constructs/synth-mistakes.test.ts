/**
 * Mistakes that used to synthesize and then deploy something wrong, fail
 * halfway, or end synth with a stack trace (issue 11, items 2, 4, 5, 6): each is
 * now a validation problem naming the path, the value and the fix.
 */
import { App, Lazy, TerraformOutput, Testing } from "cdktf";
import { ConstructError } from "../../src/errors";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  BandwidthLimit,
  Bridge,
  Endpoint,
  Host,
  HostnetStack,
  Macvlan,
  Namespace,
  NatRule,
  Network,
  Route,
  Subnet,
  synthOrExit,
  Sysctl,
  validateStack,
  VethPair,
  Vxlan,
} from "../../constructs";
import { HOST_KEY, newHost, newStack } from "../support/stacks";

Testing.setupJest();

const work = fs.mkdtempSync(path.join(os.tmpdir(), "hn-mistakes-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function runSynthOrExit(app: App): { code?: number; out: string } {
  let out = "";
  const write = jest.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const exit = jest.spyOn(process, "exit").mockImplementation(((code?: number) => {
    throw { exitCode: code };
  }) as never);
  try {
    synthOrExit(app);
    return { out };
  } catch (e) {
    if (e && typeof e === "object" && "exitCode" in e) return { code: (e as { exitCode: number }).exitCode, out };
    throw e;
  } finally {
    write.mockRestore();
    exit.mockRestore();
  }
}

describe("two Hosts for one machine in one stack", () => {
  test("same address and port: refused by the later Host, naming both paths and the fix", () => {
    const { stack } = newStack();
    newHost(stack, "a");
    newHost(stack, "a2");
    expect(validateStack(stack)).toEqual([
      "s/a2: address 198.18.0.10 port 22 is also host s/a in this stack; two Hosts for one machine would remove each other's objects (each " +
        "one's sweep deletes what it did not create there). Create all objects of that machine under one Host (s/a).",
    ]);
  });

  test("a DNS name in another case is the same machine", () => {
    const { stack } = newStack();
    newHost(stack, "a", { address: "Host-A.example" });
    newHost(stack, "a2", { address: "host-a.example" });
    expect(validateStack(stack)).toHaveLength(1);
  });

  test.each([
    ["another port", { address: "198.18.0.10", port: 2222 }],
    ["another address", { address: "198.18.0.11" }],
  ])("%s is another machine", (_name, props) => {
    const { stack } = newStack();
    newHost(stack, "a");
    newHost(stack, "a2", props);
    expect(validateStack(stack)).toEqual([]);
  });
});

describe("a literal address on an interface plugged into a bridge of another subnet", () => {
  function lan() {
    const { stack } = newStack();
    const a = newHost(stack);
    const subnet = new Subnet(a, "lan", { cidr: "10.88.0.0/24" });
    return {
      stack,
      a,
      subnet,
      ipamBridge: new Bridge(a, "br-lan", { address: subnet.gateway }),
      literalBridge: new Bridge(a, "br-lit", { address: "10.88.1.1/24" }),
    };
  }

  test("a veth end's literal address outside the IPAM bridge's subnet names the path, the value and the subnet it should be in", () => {
    const { stack, a, ipamBridge } = lan();
    new VethPair(a, "web-veth", { a: { namespace: new Namespace(a, "web"), address: "10.99.0.5/24" }, b: { bridge: ipamBridge } });
    expect(validateStack(stack)).toEqual([
      "s/a/web-veth: end a address 10.99.0.5/24 is not in 10.88.0.0/24, the subnet of bridge br-lan (10.88.0.1/24), which the other end " +
        "joins: nothing on that bridge, its gateway included, could reach it. Set props.a.address to an address in 10.88.0.0/24 " +
        "(s/a/lan.allocate(...)).",
    ]);
  });

  test("both literal: the bridge's own address gives the subnet", () => {
    const { stack, a, literalBridge } = lan();
    new VethPair(a, "web-veth", { a: { bridge: literalBridge }, b: { namespace: new Namespace(a, "web"), address: "10.88.0.5/24" } });
    expect(validateStack(stack)).toEqual([
      "s/a/web-veth: end b address 10.88.0.5/24 is not in 10.88.1.0/24, the subnet of bridge br-lit (10.88.1.1/24), which the other end " +
        "joins: nothing on that bridge, its gateway included, could reach it. Set props.b.address to an address in 10.88.1.0/24.",
    ]);
  });

  test("an Endpoint's literal address", () => {
    const { stack, a, ipamBridge } = lan();
    new Endpoint(a, "ep", { bridge: ipamBridge, address: "10.99.0.5/24", gateway: false });
    expect(validateStack(stack)).toEqual([
      "s/a/ep: address 10.99.0.5/24 is not in 10.88.0.0/24, the subnet of bridge br-lan (10.88.0.1/24), which the endpoint joins: nothing " +
        "on that bridge, its gateway included, could reach it. Set props.address to an address in 10.88.0.0/24 (s/a/lan.allocate(...)).",
    ]);
  });

  test("an address inside the bridge's subnet, literal or from IPAM, is fine", () => {
    const { stack, a, subnet, ipamBridge, literalBridge } = lan();
    new VethPair(a, "v1", { a: { namespace: new Namespace(a, "n1"), address: "10.88.0.5/24" }, b: { bridge: ipamBridge } });
    new VethPair(a, "v2", { a: { namespace: new Namespace(a, "n2"), address: subnet.allocate("n2") }, b: { bridge: ipamBridge } });
    new VethPair(a, "v3", { a: { namespace: new Namespace(a, "n3"), address: "10.88.1.5/24" }, b: { bridge: literalBridge } });
    expect(validateStack(stack)).toEqual([]);
  });
});

describe("a next hop on no connected subnet", () => {
  test("a Route in a namespace via a gateway no address of that namespace covers names the path, the value and the connected subnets", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const web = new Namespace(a, "web");
    const br = new Bridge(a, "br", { address: "10.88.0.1/24" });
    new VethPair(a, "v", { a: { namespace: web, address: "10.88.0.5/24" }, b: { bridge: br } });
    new Route(web, "r", { via: "10.77.0.1" });
    expect(validateStack(stack)).toEqual([
      `s/a/web/r: next hop 10.77.0.1 is on no subnet connected to netns web (its connected subnets are 10.88.0.0/24); the kernel would ` +
        `refuse the route at deploy ("Nexthop has invalid gateway"). Use a gateway inside a connected subnet, or give netns web an address ` +
        `in the gateway's subnet.`,
    ]);
  });

  test("a namespace with no address at all", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Route(a, "r", { namespace: new Namespace(a, "web"), via: "10.88.0.1", dev: "eth0" });
    expect(validateStack(stack)).toEqual([
      `s/a/r: next hop 10.88.0.1 is on no subnet connected to netns web (it has no address); the kernel would refuse the route at deploy ` +
        `("Nexthop has invalid gateway"). Use a gateway inside a connected subnet, or give netns web an address in the gateway's subnet.`,
    ]);
  });

  test("an Endpoint whose gateway is outside its address's subnet", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Endpoint(a, "ep", { bridge: new Bridge(a, "br"), address: "10.88.0.5/24", gateway: "10.77.0.1" });
    expect(validateStack(stack)).toEqual([
      `s/a/ep: next hop 10.77.0.1 is on no subnet connected to netns ep (its connected subnets are 10.88.0.0/24); the kernel would refuse ` +
        `the route at deploy ("Nexthop has invalid gateway"). Use a gateway inside a connected subnet, or give netns ep an address in the ` +
        `gateway's subnet.`,
    ]);
  });

  test("reachable next hops pass: on a connected subnet, through a link route, a Network's default route, a routed endpoint's onlink gateway", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const web = new Namespace(a, "web");
    new Macvlan(a, "mv", { parent: "eth0", namespace: web, address: "10.88.0.5/24" });
    new Route(web, "via-lan", { destination: "10.1.0.0/16", via: "10.88.0.1" });
    new Route(web, "link", { destination: "169.254.1.1/32", dev: "eth0" });
    new Route(web, "via-link", { destination: "10.2.0.0/16", via: "169.254.1.1", dev: "eth0" });
    new Network(a, "net", { subnet: "10.89.0.0/24" }).connect(new Namespace(a, "db"));
    expect(validateStack(stack)).toEqual([]);
  });

  test("routes in the root namespace are not checked: hostnet does not see the host's own interfaces", () => {
    const { stack } = newStack();
    new Route(newHost(stack), "r", { destination: "10.62.0.0/24", via: "192.0.2.1" });
    expect(validateStack(stack)).toEqual([]);
  });
});

describe("one namespace name on one host, whatever construct makes it", () => {
  test("a Namespace and an Endpoint with the same namespace name", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Namespace(a, "web");
    new Endpoint(a, "ep", { bridge: new Bridge(a, "br"), namespaceName: "web", name: "eth1", gateway: false });
    expect(validateStack(stack)).toEqual([
      's/a/ep: namespace name "web" is also used by s/a/web on this host. Give one of them another name (props.name).',
    ]);
  });

  test("a Network endpoint's namespace and an Endpoint", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const net = new Network(a, "net", { subnet: "10.89.0.0/24" });
    net.connect(new Namespace(a, "db"));
    new Endpoint(a, "ep", { bridge: net.bridge, namespaceName: "db", address: net.subnet, name: "eth1" });
    expect(validateStack(stack)).toContain(
      's/a/ep: namespace name "db" is also used by s/a/db on this host. Give one of them another name (props.name).',
    );
  });

  test("two Endpoints with the same namespace name", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const br = new Bridge(a, "br");
    new Endpoint(a, "ep1", { bridge: br, namespaceName: "same", gateway: false });
    new Endpoint(a, "ep2", { bridge: br, namespaceName: "same", gateway: false });
    expect(validateStack(stack)).toContain(
      's/a/ep2: namespace name "same" is also used by s/a/ep1 on this host. Give one of them another name (props.name).',
    );
  });
});

describe("values no shell can carry are problems like the rest, not a stack trace", () => {
  const NUL = "a\0b";
  const MARK = "x\nHOSTNET_DOWN_SCRIPT\ny";
  const NUL_PROBLEM = 'value "a\\u0000b" holds a NUL byte, which no shell command can carry. Remove it from the prop that sets it.';
  const CASES: Array<[string, string, (h: Host, v: string) => void]> = [
    ["Namespace.name", NUL, (h, v) => new Namespace(h, "x", { name: v })],
    ["Namespace.name", MARK, (h, v) => new Namespace(h, "x", { name: v })],
    ["Bridge.name", NUL, (h, v) => new Bridge(h, "x", { name: v })],
    ["Bridge.name", MARK, (h, v) => new Bridge(h, "x", { name: v })],
    ["Bridge.address", NUL, (h, v) => new Bridge(h, "x", { address: v })],
    ["Route.destination", NUL, (h, v) => new Route(h, "x", { destination: v, via: "10.0.0.1" })],
    ["Route.destination", MARK, (h, v) => new Route(h, "x", { destination: v, via: "10.0.0.1" })],
    ["Route.dev", NUL, (h, v) => new Route(h, "x", { dev: v })],
    ["Sysctl.value", NUL, (h, v) => new Sysctl(h, "x", { key: "net.ipv4.ip_forward", value: v })],
    ["NatRule.portForward.protocol", NUL, (h, v) => NatRule.portForward(h, "x", { hostPort: 8080, to: "10.0.0.2", protocol: v as "tcp" })],
    ["NatRule.portForward.protocol", MARK, (h, v) => NatRule.portForward(h, "x", { hostPort: 8080, to: "10.0.0.2", protocol: v as "tcp" })],
    ["Vxlan.local", NUL, (h, v) => new Vxlan(h, "x", { vni: 1, local: v })],
    ["BandwidthLimit.rate", NUL, (h, v) => new BandwidthLimit(h, "x", { interface: { name: "eth0" }, classes: [{ id: 10, rate: v }] })],
    ["BandwidthLimit.interface.name", MARK, (h, v) => new BandwidthLimit(h, "x", { interface: { name: v }, classes: [{ id: 10, rate: "1mbit" }] })],
    ["Macvlan.mode", NUL, (h, v) => new Macvlan(h, "x", { parent: "eth0", mode: v as "bridge" })],
    ["Endpoint.namespaceName", NUL, (h, v) => new Endpoint(h, "x", { bridge: new Bridge(h, "br"), namespaceName: v, gateway: false })],
    ["Endpoint.namespaceName", MARK, (h, v) => new Endpoint(h, "x", { bridge: new Bridge(h, "br"), namespaceName: v, gateway: false })],
  ];

  test.each(CASES.map(([prop, v, build]) => [prop, JSON.stringify(v), v, build] as const))(
    "%s = %s: synthOrExit reports it with the other problems of the stack, without a stack trace",
    (_prop, _shown, value, build) => {
      const app = new App({ outdir: fs.mkdtempSync(path.join(work, "shell-")) });
      const stack = new HostnetStack(app, "s", { lockFile: false });
      const a = newHost(stack);
      build(a, value);
      new Bridge(a, "other", { mtu: 10 }); // an unrelated mistake must still be reported
      const problems = validateStack(stack);
      expect(problems).toContain("s/a/other: MTU 10 is out of range; Linux accepts 68 to 65535 for IPv4. Fix props.mtu.");
      expect(problems.some((p) => p.startsWith("s/a/x: "))).toBe(true);
      const r = runSynthOrExit(app);
      expect(r.code).toBe(1);
      expect(r.out).toContain("  s/a/other: MTU 10 is out of range");
      expect(r.out).toContain("  s/a/x: ");
    },
  );

  test("the NUL problem names the value, JSON-escaped", () => {
    const { stack } = newStack();
    new Route(newHost(stack), "x", { destination: "10.9.0.0/24", dev: "eth0", metric: 1 });
    const r = stack.node.findAll().find((c) => c instanceof Route) as Route;
    // a value that passed a check but holds a NUL (here forced in after construction)
    Object.defineProperty(r, "dev", { value: NUL });
    expect(validateStack(stack)).toContain(`s/a/x: ${NUL_PROBLEM}`);
  });
});

describe("synthOrExit counts problems, not lines", () => {
  function app(dir: string, build: (stack: HostnetStack) => void, lockFile?: string): App {
    const a = new App({ outdir: dir });
    build(new HostnetStack(a, "s", { lockFile: lockFile ?? false }));
    return a;
  }

  test("a newline in a value keeps its problem on one line, shown as \\n; the header counts problems", () => {
    const a = app(path.join(work, "nl"), (stack) => {
      const h = newHost(stack);
      new Bridge(h, "b1", { name: "br\nx" });
      new Route(h, "r", { destination: "10.0.0.0/8\nfoo", dev: "eth0" });
      new Bridge(h, "b2", { mtu: 10 });
    });
    const r = runSynthOrExit(a);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toBe("hostnet: 3 problem(s) in the stack; nothing was synthesized or deployed:");
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('interface name "br\\nx"');
    expect(lines[2]).toContain("10.0.0.0/8\\nfoo");
    expect(r.out).not.toMatch(/\n {4}at /); // no stack trace
  });

  test("a NUL byte and the heredoc marker end in the problem list with everything else, without a stack trace", () => {
    const a = app(path.join(work, "nul"), (stack) => {
      const h = newHost(stack);
      new Sysctl(h, "k", { key: "net.ipv4.ip_forward", value: "1\0" });
      new Namespace(h, "n", { name: "x\nHOSTNET_DOWN_SCRIPT" });
      new Bridge(h, "b2", { mtu: 10 });
    });
    const r = runSynthOrExit(a);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^hostnet: (\d+) problem\(s\)/);
    expect(Number(/(\d+) problem/.exec(lines[0])![1])).toBe(lines.length - 1);
    expect(r.out).toContain("s/a/k: ");
    expect(r.out).toContain("s/a/n: ");
    expect(r.out).toContain("s/a/b2: MTU 10");
  });

  test("one bad hostnet.lock.json is one problem", () => {
    const dir = path.join(work, "lock");
    fs.mkdirSync(dir, { recursive: true });
    const lock = path.join(dir, "hostnet.lock.json");
    // A holder name with a line break: its message used to count as two problems.
    fs.writeFileSync(lock, JSON.stringify({ version: 1, subnets: { "s/a/lan": { cidr: "10.0.0.0/24", addresses: { "s/a/web\nx": 5 } } } }));
    const r = runSynthOrExit(app(path.join(dir, "out"), (stack) => void newHost(stack), lock));
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toBe("hostnet: 1 problem(s) in the stack; nothing was synthesized or deployed:");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("hostnet.lock.json");
    expect(lines[1]).toContain("holds 5 for s/a/web\\nx;");
  });

  test("a valid app synthesizes and does not exit", () => {
    const dir = path.join(work, "ok");
    const r = runSynthOrExit(app(dir, (stack) => void new Namespace(newHost(stack), "web")));
    expect(r.code).toBeUndefined();
    expect(fs.existsSync(path.join(dir, "stacks", "s", "cdk.tf.json"))).toBe(true);
  });
});

describe('address: "" is an error, not "no address"', () => {
  const CASES: Array<[string, (h: Host) => void]> = [
    ["Bridge", (h) => new Bridge(h, "x", { address: "" })],
    ["VethPair end", (h) => new VethPair(h, "x", { a: { namespace: new Namespace(h, "web"), address: "" }, b: {} })],
    ["Macvlan", (h) => new Macvlan(h, "x", { parent: "eth0", address: "" })],
    ["Vxlan", (h) => new Vxlan(h, "x", { vni: 1, address: "" })],
    ["Endpoint", (h) => new Endpoint(h, "x", { bridge: new Bridge(h, "br"), address: "", gateway: false })],
  ];
  test.each(CASES)("%s", (_name, build) => {
    const { stack } = newStack();
    build(newHost(stack));
    expect(validateStack(stack)).toEqual([expect.stringMatching(/^s\/a\/x: .*address.*"" is not a CIDR/)]);
  });
});

describe("an inventory that lacks a field says which file lacks which field", () => {
  function inventory(name: string, host: Record<string, unknown>): string {
    const f = path.join(work, name);
    fs.writeFileSync(f, JSON.stringify({ hosts: { a: host } }));
    return f;
  }

  test("no address", () => {
    const f = inventory("no-address.json", { port: 22, user: "root", hostKey: HOST_KEY });
    const { stack } = newStack();
    Host.fromInventory(stack, "a", f);
    expect(validateStack(stack)).toEqual([
      `s/a: inventory ${f} has no "address" for host "a". Add it there, or pass props.address to Host.fromInventory.`,
    ]);
  });

  test("no host key and no known_hosts file", () => {
    const f = inventory("no-key.json", { address: "198.18.0.10", port: 22, user: "root" });
    const { stack } = newStack();
    Host.fromInventory(stack, "a", f);
    expect(validateStack(stack)).toEqual([
      `s/a: inventory ${f} has neither "knownHostsFile" nor "hostKey" for host "a". Add one there, or pass props.hostKey or props.knownHostsFile to Host.fromInventory.`,
    ]);
  });

  // It threw while main.ts built the app, before synthOrExit: a Node stack trace, and a hint that did not say which file to pass.
  test("no inventory file: one problem at synth, naming the file and the fix, not an exception while the app is built", () => {
    const f = path.join(work, "nowhere", "inventory.json");
    const { stack } = newStack();
    const host = Host.fromInventory(stack, "a", f);
    new Bridge(host, "br0", {});
    expect(validateStack(stack)).toEqual([
      `s/a: no inventory at ${f}; write it (the format is in hostnet's docs/hosts.md), or start local test hosts with ` +
        `"npx hostnet lab up" (as root), which writes .lab/<lab>/inventory.json, and pass that file.`,
    ]);
  });

  test("props given to fromInventory fill what the inventory lacks", () => {
    const f = inventory("partial.json", { port: 22, user: "root" });
    const { stack } = newStack();
    Host.fromInventory(stack, "a", f, "a", { address: "198.18.0.10", hostKey: HOST_KEY });
    expect(validateStack(stack)).toEqual([]);
  });
});

describe("a mistake found while cdktf resolves a value (a hook's script too large for the kernel)", () => {
  test("synthOrExit prints hostnet's message as it is, without cdktf's 'Resolution error' wrapping or a stack trace", () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(work, "resolve-")) });
    const stack = new HostnetStack(app, "s", { lockFile: false });
    const value = Lazy.stringValue({
      produce: () => {
        throw new ConstructError("its create script is 140,000 bytes, ...: split the host's objects between stacks.", "s/a/sweep");
      },
    });
    new TerraformOutput(stack, "o", { value });
    expect(runSynthOrExit(app)).toEqual({
      code: 1,
      out: "hostnet: 1 problem(s) in the stack; nothing was synthesized or deployed:\n  s/a/sweep: its create script is 140,000 bytes, ...: split the host's objects between stacks.\n",
    });
  });
});
