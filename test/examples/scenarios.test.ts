/**
 * The scenario examples synthesize against an inventory (no hosts needed): no
 * validation errors, the objects the integration tests count, and the pieces
 * each scenario is about.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Testing } from "cdktf";
import { Construct } from "constructs";
import { BandwidthLimit, HostnetStack, NatRule, NetObject } from "../../constructs";
import { bandwidthClasses } from "../../examples/bandwidth-classes/main";
import { dockerNetwork } from "../../examples/docker-network/main";
import { outboundMasquerade } from "../../examples/outbound-masquerade/main";
import { portPublish } from "../../examples/port-publish/main";
import { bridgeNatDual } from "../../examples/bridge-nat-dual/main";
import { portPublishDual } from "../../examples/port-publish-dual/main";
import { dockerNetworkDual } from "../../examples/docker-network-dual/main";
import { routerNamespace } from "../../examples/router-namespace/main";
import { hostGwDualStack } from "../../examples/host-gw-dual/main";
import { HOST_KEY, synthJson, validationErrors } from "../support/stacks";
import { reviewFiles } from "../../src/review/files";
import { buildReview } from "../../constructs/review-model";

let dir: string;
let inventory: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-examples-"));
  inventory = path.join(dir, "inventory.json");
  const host = (address: string) => ({ address, port: 22, user: "root", identityFile: "/k/id", hostKey: HOST_KEY });
  const a = { ...host("198.18.51.10"), address6: "fd00:198:18:51::10" };
  fs.writeFileSync(inventory, JSON.stringify({ hosts: { a, b: { ...host("198.18.51.11"), address6: "fd00:198:18:51::11" } } }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const build = (fn: (scope: Construct, inventory: string) => HostnetStack) => fn(Testing.app({ outdir: dir }), inventory);
const objects = (stack: HostnetStack) => stack.node.findAll().filter((c): c is NetObject => c instanceof NetObject);
/** A create script with each `ip [-n NS] -batch -` block written out as the `ip` commands it runs, one per line. */
const expandBatches = (script: string) =>
  script.replace(/^( *)ip( -n \S+)? -batch - <<'HN_IP'\n([\s\S]*?)\nHN_IP$/gm, (_m, indent: string, ns: string | undefined, body: string) =>
    body
      .split("\n")
      .map((l) => `${indent}ip${ns ?? ""} ${l}`)
      .join("\n"),
  );

describe.each<[string, (scope: Construct, inventory: string) => HostnetStack, number]>([
  ["outbound-masquerade", outboundMasquerade, 8],
  ["port-publish", portPublish, 12],
  ["router-namespace", routerNamespace, 18],
  ["bandwidth-classes", bandwidthClasses, 12],
  ["docker-network", dockerNetwork, 15],
  ["bridge-nat-dual", bridgeNatDual, 17],
  ["port-publish-dual", portPublishDual, 17],
  ["docker-network-dual", dockerNetworkDual, 26],
  ["host-gw-dual", hostGwDualStack, 22],
])("example %s", (name, fn, resources) => {
  test(`synthesizes without validation errors into ${resources} resources (objects and hosts)`, () => {
    const stack = build(fn);
    expect(stack.stackName).toBe(name);
    expect(validationErrors(stack)).toEqual([]);
    expect(Object.keys(synthJson(stack).resource.terraform_data)).toHaveLength(resources);
  });
});

describe("what each example is about", () => {
  test("outbound-masquerade: the bridge's subnet is masqueraded when it leaves anywhere but its bridge", () => {
    const nat = objects(build(outboundMasquerade)).find((o): o is NatRule => o instanceof NatRule)!;
    expect(nat.spec()).toMatchObject({ type: "masquerade", source: "10.91.0.0/24", notOutInterface: "br-out" });
  });

  test("port-publish: the port forward has hairpin NAT and web's bridge port hairpin mode", () => {
    const stack = build(portPublish);
    const fwd = objects(stack).find((o): o is NatRule => o instanceof NatRule && o.kind === "dnat")!;
    expect(fwd.spec()).toMatchObject({ hostPort: 10080, toAddress: "10.92.0.2", toPort: 80, hairpinSource: "10.92.0.0/24" });
    expect(
      expandBatches(
        objects(stack)
          .find((o) => o.node.id === "web-veth")!
          .createScript(),
      ),
    ).toContain("ip link set dev ve-web-veth type bridge_slave hairpin on");
  });

  test("router-namespace: 1:1 NAT in the router namespace, forwarding there, a route for the outside address, host b routed via a", () => {
    const stack = build(routerNamespace);
    const byPath = (p: string) => objects(stack).find((o) => o.node.path === `router-namespace/${p}`)!;
    expect((byPath("a/router/vm-floating-ip") as NatRule).spec()).toEqual({
      type: "static",
      inside: "10.95.1.3",
      outside: "198.19.51.103",
      insideSubnet: "10.95.1.0/24",
      allowForward: true,
      netns: "router",
    });
    expect(byPath("a/router/ip-forward").createScript()).toContain("ip netns exec router sysctl -q -w net.ipv4.ip_forward=1");
    expect(byPath("a/floating-ip").createScript()).toContain("ip route replace 198.19.51.103/32 via 198.19.51.100 dev br-ex proto 199");
    expect(byPath("b/to-outside").createScript()).toContain("ip route replace 198.19.51.0/24 via 198.18.51.10 proto 199");
  });

  test("bandwidth-classes: three classes on the server's bridge port, by source address, default 30", () => {
    const bw = objects(build(bandwidthClasses)).find((o): o is BandwidthLimit => o instanceof BandwidthLimit)!;
    expect(bw.spec()).toMatchObject({
      dev: "ve-server-veth",
      defaultClass: 30,
      classes: [
        { id: 10, rate: "20mbit", match: { src: "10.93.0.3/32" } },
        { id: 11, rate: "10mbit", match: { src: "10.93.0.4/32" } },
        { id: 30, rate: "30mbit" },
      ],
    });
  });

  test("docker-network: three endpoints on appnet, web publishing 10080 -> 80", () => {
    const stack = build(dockerNetwork);
    const net = stack.node.findChild("a").node.findChild("appnet") as import("../../constructs").Network;
    expect(net.endpoints.map((e) => [e.namespace.name, e.address.cidr, e.published.map((p) => p.objectName)])).toEqual([
      ["web", "10.89.0.2/24", ["tcp/10080 -> 10.89.0.2:80"]],
      ["api", "10.89.0.3/24", []],
      ["db", "10.89.0.4/24", []],
    ]);
  });
});

describe("dual-stack examples", () => {
  test("port-publish-dual: an ip6tables port forward to [web]:80 with IPv6 hairpin NAT beside the IPv4 one; IPv6 forwarding on", () => {
    const stack = build(portPublishDual);
    const specs = objects(stack)
      .filter((o): o is NatRule => o instanceof NatRule && o.kind === "dnat")
      .map((o) => o.spec());
    expect(specs).toEqual([
      expect.objectContaining({ toAddress: "10.92.0.2", hairpinSource: "10.92.0.0/24" }),
      expect.objectContaining({ toAddress: "fd00:92::2", hairpinSource: "fd00:92::/64", family: 6 }),
    ]);
    const web = expandBatches(
      objects(stack)
        .find((o) => o.node.id === "web-veth")!
        .createScript(),
    );
    expect(web).toContain("ip -n web addr replace fd00:92::2/64 dev eth0 nodad");
    expect(objects(stack).map((o) => o.objectName)).toContain("net.ipv6.conf.all.forwarding=1");
  });

  test("bridge-nat-dual: the bridge has both gateways, each namespace an IPv6 default route", () => {
    const stack = build(bridgeNatDual);
    const br = expandBatches(
      objects(stack)
        .find((o) => o.node.id === "br-lan")!
        .createScript(),
    );
    expect(br).toContain("ip addr replace 10.88.0.1/24 dev br-lan");
    expect(br).toContain("ip addr replace fd00:88::1/64 dev br-lan nodad");
    expect(
      objects(stack)
        .find((o) => o.node.path.endsWith("db/default6"))!
        .createScript(),
    ).toContain("ip -n db -6 route replace default via fd00:88::1 proto 199");
  });
});

describe("dual-stack review", () => {
  test("PLAN.md lists both addresses of the bridge and the veth ends and the ip6tables rules; up.sh has the IPv6 commands", () => {
    const files = reviewFiles(buildReview(build(portPublishDual)));
    const plan = [...files].find(([name]) => name.endsWith("PLAN.md"))![1];
    expect(plan).toContain("| bridge | br-pub | root | 10.92.0.1/24, fd00:92::1/64 |");
    expect(plan).toMatch(/\| veth \| eth0 ~ ve-web-veth \| netns web ~ root \| 10\.92\.0\.2\/24, fd00:92::2\/64 \|/);
    expect(plan).toContain("| dnat | tcp/10080 -> [fd00:92::2]:80 | root |");
    const up = [...files].find(([name]) => name.endsWith("up.sh"))![1];
    expect(up).toContain("ip -n web -6 route replace default via fd00:92::1 proto 199");
    expect(up).toContain(
      "ip6tables -w -t nat -A PREROUTING -p tcp -m addrtype --dst-type LOCAL --dport 10080 -j DNAT --to-destination '[fd00:92::2]:80'",
    );
    expect(up).toContain("sysctl -q -w net.ipv6.conf.all.forwarding=1");
  });
});
