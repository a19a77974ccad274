import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Annotations, App, Testing } from "cdktf";
import {
  Bridge,
  Endpoint,
  Host,
  HostnetStack,
  Ipvlan,
  Macvlan,
  Namespace,
  NatRule,
  NetObject,
  Route,
  RoutedEndpoint,
  Subnet,
  Sysctl,
  VethPair,
  Vxlan,
} from "../../constructs";
import { renderMermaid } from "../../src/review/mermaid";
import { REVIEW_DIR, reviewFiles } from "../../src/review/files";
import { buildReview } from "../../constructs/review-model";
import { diagramId } from "../../src/review/topology";
import { labTopology } from "../../stacks/lab-topology";
import { HOST_KEY, labStack } from "./lab-stack";
import { lineDiff } from "./line-diff";
import { synthScripts } from "../support/scripts";

const tmpDirs: string[] = [];
function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-review-"));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

const labFiles = () => reviewFiles(buildReview(labStack().stack));

describe("review files of the lab topology", () => {
  const files = labFiles();

  test("are PLAN.md, plan.json and up.sh and down.sh for host a", () => {
    expect([...files.keys()]).toEqual(["PLAN.md", "plan.json", "a/up.sh", "a/down.sh"]);
  });

  test.each(["PLAN.md", "a/up.sh", "a/down.sh"])("%s matches the reviewed snapshot", (name) => {
    expect(files.get(name)).toMatchSnapshot();
  });

  test("the same stack built twice gives byte-identical files", () => {
    expect(labFiles()).toEqual(files);
  });

  test("name no machine-specific path and no Terraform id", () => {
    for (const [name, text] of files) {
      expect({ name, home: text.includes(os.homedir()), cwd: text.includes(process.cwd()), tf: /\$\$\{|terraform_data\./.test(text) }).toEqual({
        name,
        home: false,
        cwd: false,
        tf: false,
      });
    }
  });

  test.each(["a/up.sh", "a/down.sh"])("sh -n accepts %s", (name) => {
    const file = path.join(tmpdir(), "script.sh");
    fs.writeFileSync(file, files.get(name)!);
    const r = spawnSync("sh", ["-n", file], { encoding: "utf8" });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
  });

  test("up.sh runs the host preflight first, down.sh the host teardown last, each object once", () => {
    const titles = (name: string) =>
      files
        .get(name)!
        .split("\n")
        .filter((l) => l.startsWith("# == "));
    const up = titles("a/up.sh");
    const down = titles("a/down.sh");
    expect(up[0]).toBe("# == hostnet-lab/a (host)");
    expect(down[down.length - 1]).toBe("# == hostnet-lab/a (host)");
    expect(up.slice(1)).toEqual([...down.slice(0, -1)].reverse());
    expect(new Set(up).size).toBe(14);
  });
});

/** Create and destroy scripts of every hook resource in a synthesized stack, as Terraform hands them to the host. */
/**
 * Every hook's scripts; a host's two hooks (preflight, then sweep) as the
 * review shows them, one after the other; the sweep undoes nothing, so its
 * destroy (a comment) is not in the review.
 */
function terraformHooks(stack: HostnetStack): { create: string[]; destroy: string[] } {
  const all = synthScripts(stack);
  const sweeps = [...all.keys()].filter((p) => all.has(p.replace(/\/sweep$/, "")) && p.endsWith("/sweep"));
  const hosts = sweeps.map((p) => p.replace(/\/sweep$/, ""));
  const hooks = [...all.entries()]
    .filter(([p]) => !sweeps.includes(p))
    .map(([p, h]) => (hosts.includes(p) ? { ...h, create: `${h.create}\n${all.get(`${p}/sweep`)!.create}` } : h));
  return { create: hooks.map((h) => h.create).sort(), destroy: hooks.map((h) => h.destroy).sort() };
}

test("the review holds exactly the scripts Terraform's hooks run, host hooks included", () => {
  const { stack } = labStack((host) => new Host(host.node.scope!, "b", { address: "198.18.0.11", hostKey: HOST_KEY }));
  const review = buildReview(stack);
  const fromReview = {
    create: review.hosts.flatMap((h) => [h.preflight, ...h.objects.map((o) => o.create)]).sort(),
    destroy: review.hosts.flatMap((h) => [h.teardown, ...h.objects.map((o) => o.destroy)]).sort(),
  };
  expect(fromReview).toEqual(terraformHooks(stack));
  expect(fromReview.create).toHaveLength(15);
});

describe("adding one object changes only the lines about it", () => {
  type Extra = (host: Host, lab: ReturnType<typeof labTopology>) => NetObject;
  const cases: Array<[string, Extra]> = [
    ["a sysctl in a namespace", (_h, lab) => new Sysctl(lab.endpoints[0].ns, "rp-filter", { key: "net.ipv4.conf.all.rp_filter", value: "2" })],
    ["a second port forward", (h, lab) => NatRule.portForward(h, "publish-db", { hostPort: 10081, to: lab.endpoints[1].address, port: 5432 })],
    [
      "a second veth into a namespace its route now depends on",
      (h, lab) =>
        new VethPair(h, "web-uplink", {
          a: { namespace: lab.endpoints[0].ns, name: "eth1", address: "10.99.0.2/24" },
          b: { address: "10.99.0.1/24" },
        }),
    ],
    ["a route in the root namespace", (h) => new Route(h, "to-lab2", { destination: "10.77.0.0/16", via: "10.88.0.2" })],
    ["a namespace", (h) => new Namespace(h, "spare")],
  ];

  // Lines that sum up the whole host and so change with any object: the sweep's
  // list of objects to keep, the preflight's list of forwarded flows, and the count line of PLAN.md.
  const aggregate = (line: string) => line.startsWith("keep=") || line.startsWith("hn_fw_flows=") || /^\d+ objects — /.test(line);
  const nonBlank = (lines: string[]) => lines.filter((l) => l.trim() !== "").sort();

  test.each(cases)("%s", (_name, extra) => {
    const before = labFiles();
    let added!: NetObject;
    const { stack } = labStack((h, lab) => {
      added = extra(h, lab);
    });
    const after = reviewFiles(buildReview(stack));
    const block = (script: string) => nonBlank([`# == ${added.node.path}`, "(", ...script.split("\n"), ")"]);

    const up = lineDiff(before.get("a/up.sh")!.split("\n"), after.get("a/up.sh")!.split("\n"));
    expect(up.removed.filter((l) => !aggregate(l))).toEqual([]);
    expect(nonBlank(up.added.filter((l) => !aggregate(l)))).toEqual(block(added.createScript()));

    const down = lineDiff(before.get("a/down.sh")!.split("\n"), after.get("a/down.sh")!.split("\n"));
    expect(down.removed).toEqual([]);
    expect(nonBlank(down.added)).toEqual(block(added.destroyScript()));

    const plan = lineDiff(before.get("PLAN.md")!.split("\n"), after.get("PLAN.md")!.split("\n"));
    expect(plan.removed.filter((l) => !aggregate(l))).toEqual([]);
    const stem = diagramId("hostnet-lab", added.node.path).replace(/_[0-9a-f]{4}$/, "");
    const about = (l: string) => aggregate(l) || l.includes(added.node.path) || l.includes(stem) || l.trim() === "end";
    expect(plan.added.filter((l) => !about(l))).toEqual([]);
    expect(plan.added.some((l) => l.includes(`| ${added.node.path} |`))).toBe(true);
  });
});

describe("synth writes the review beside cdk.tf.json", () => {
  function synth(outdir: string, build: (stack: HostnetStack) => void): string {
    const app = new App({ outdir });
    build(new HostnetStack(app, "hostnet-lab"));
    app.synth();
    return path.join(outdir, "stacks", "hostnet-lab");
  }

  function readTree(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
      }
    };
    walk(dir);
    return out;
  }

  const lab = (stack: HostnetStack) => labTopology(new Host(stack, "a", { address: "198.18.0.10", hostKey: HOST_KEY }));

  test("with the same files reviewFiles renders, and again identical on the next synth", () => {
    const outdir = tmpdir();
    const dir = synth(outdir, lab);
    expect(fs.existsSync(path.join(dir, "cdk.tf.json"))).toBe(true);
    const written = readTree(path.join(dir, REVIEW_DIR));
    expect(written).toEqual(Object.fromEntries(labFiles()));
    expect((fs.statSync(path.join(dir, REVIEW_DIR, "a", "up.sh")).mode & 0o777).toString(8)).toBe("755");
    synth(outdir, lab);
    expect(readTree(path.join(dir, REVIEW_DIR))).toEqual(written);
  });

  test("a host removed from the stack leaves no stale scripts", () => {
    const outdir = tmpdir();
    synth(outdir, lab);
    const dir = synth(outdir, (stack) => labTopology(new Host(stack, "b", { address: "198.18.0.11", hostKey: HOST_KEY })));
    expect(fs.readdirSync(path.join(dir, REVIEW_DIR)).sort()).toEqual(["PLAN.md", "b", "plan.json"]);
  });

  test("an invalid stack fails synth before any review is written", () => {
    const invalid = (stack: HostnetStack) =>
      new Namespace(new Host(stack, "a", { address: "198.18.0.10", hostKey: HOST_KEY }), "ns", { name: "bad/name" });
    const outdir = tmpdir();
    expect(() => synth(outdir, invalid)).toThrow(/bad\/name/);
    expect(fs.existsSync(path.join(outdir, "stacks", "hostnet-lab", REVIEW_DIR))).toBe(false);
  });

  test("a stack with error annotations gets no review (and loses its old one) when synth continues past them", () => {
    const annotated = (stack: HostnetStack) => Annotations.of(lab(stack).bridge).addError("broken on purpose");
    const outdir = tmpdir();
    synth(outdir, lab);
    process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = "true";
    try {
      const dir = synth(outdir, annotated);
      expect(fs.existsSync(path.join(dir, "cdk.tf.json"))).toBe(true);
      expect(fs.existsSync(path.join(dir, REVIEW_DIR))).toBe(false);
    } finally {
      delete process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
    }
  });
});

describe("topology diagram", () => {
  // Looks nodes up by their first label line, so the test does not spell out hashed ids.
  function graph(build: (stack: HostnetStack) => void) {
    const stack = new HostnetStack(Testing.app(), "s");
    build(stack);
    const hosts = buildReview(stack).hosts.map((h) => h.topology);
    const label = (id: string) =>
      hosts.flatMap((h) => [...h.nodes, ...h.groups.map((g) => ({ id: g.id, label: [g.label] }))]).find((n) => n.id === id)?.label[0] ?? id;
    return {
      hosts,
      edges: hosts.flatMap((h) => h.edges.map((e) => `${label(e.from)} ${e.style}${e.label ? `(${e.label})` : ""} ${label(e.to)}`)),
      placed: hosts.flatMap((h) =>
        h.nodes.map((n) => `${h.label} / ${h.groups.find((g) => g.id === n.group)?.label ?? "root"} / ${n.label.join(" ")}`),
      ),
    };
  }

  test("draws bridges in their namespace, free veth ends, subnets, SNAT and port forwards", () => {
    const g = graph((stack) => {
      const b = new Host(stack, "b", { address: "198.18.0.11", hostKey: HOST_KEY });
      const shared = new Subnet(stack, "shared", { cidr: "10.50.0.0/24" });
      const n1 = new Namespace(b, "n1");
      const n2 = new Namespace(b, "n2");
      const br = new Bridge(n1, "br", { address: shared.gateway });
      new VethPair(b, "p", { a: { namespace: n1, bridge: br, name: "p0" }, b: { namespace: n2, address: shared.allocate("n2") } });
      new VethPair(b, "q", { a: { namespace: n2, name: "q0" }, b: { address: "192.168.5.1/30" } });
      NatRule.snat(b, "sn", { source: shared, toSource: "198.18.0.11", outInterface: "eth0" });
      NatRule.portForward(b, "pf", { hostPort: 53, protocol: "udp", to: "10.50.0.2", hostAddress: "198.18.0.11" });
    });
    expect(g.placed).toEqual([
      "host b (198.18.0.11) / netns n1 / bridge br 10.50.0.1/24",
      "host b (198.18.0.11) / netns n2 / q0",
      "host b (198.18.0.11) / root / ve-q 192.168.5.1/30",
      "host b (198.18.0.11) / netns n2 / eth0 10.50.0.2/24",
      "host b (198.18.0.11) / root / subnet shared 10.50.0.0/24",
      "host b (198.18.0.11) / root / dnat udp/53 on 198.18.0.11 to 10.50.0.2:53",
      "host b (198.18.0.11) / root / snat 10.50.0.0/24 to 198.18.0.11 out eth0",
    ]);
    expect(g.edges).toEqual([
      "q0 cable(veth) ve-q",
      "bridge br cable(p0) eth0",
      "subnet shared member bridge br",
      "dnat nat eth0",
      "subnet shared nat snat",
    ]);
  });

  test("a subnet without a bridge address is linked to each interface in it", () => {
    const g = graph((stack) => {
      const h = new Host(stack, "a", { address: "198.18.0.10", hostKey: HOST_KEY });
      const lan = new Subnet(h, "lan", { cidr: "10.9.0.0/29", gateway: false });
      new VethPair(h, "v", { a: { namespace: new Namespace(h, "x"), address: lan.allocate("x") }, b: { address: lan.allocate("root") } });
    });
    expect(g.edges).toEqual(["eth0 cable(veth) ve-v", "subnet lan member eth0", "subnet lan member ve-v"]);
  });

  test("endpoints, routed endpoints, macvlan/ipvlan and a VXLAN between two hosts draw themselves", () => {
    const g = graph((stack) => {
      const a = new Host(stack, "a", { address: "198.18.0.10", hostKey: HOST_KEY });
      const b = new Host(stack, "b", { address: "198.18.0.11", hostKey: HOST_KEY });
      const lan = new Subnet(a, "lan", { cidr: "10.60.0.0/24" });
      const br = new Bridge(a, "br", { address: lan.gateway, mtu: 1450 });
      new Endpoint(a, "web", { bridge: br, address: lan, namespaceName: "web", hostName: "ve-web" });
      new RoutedEndpoint(a, "r", { namespace: new Namespace(a, "rn"), address: "10.63.0.5", hostName: "ve-r" });
      new Macvlan(a, "m1", { parent: "eth0", name: "mv1" });
      new Macvlan(a, "m2", { parent: "eth0", name: "mv2", address: "192.168.7.2/24" });
      new Ipvlan(a, "i", { parent: br, name: "iv0" });
      const xa = new Vxlan(a, "x", { vni: 7, bridge: br, name: "vx7" });
      const xb = new Vxlan(b, "x", { vni: 7, name: "vx7" });
      xa.addPeer(xb);
      xb.addPeer(xa);
    });
    expect(g.placed).toEqual([
      "host a (198.18.0.10) / root / bridge br 10.60.0.1/24",
      "host a (198.18.0.10) / root / eth0",
      "host a (198.18.0.10) / root / macvlan mv1",
      "host a (198.18.0.10) / root / macvlan mv2 192.168.7.2/24",
      "host a (198.18.0.10) / root / ipvlan iv0",
      "host a (198.18.0.10) / root / ve-r",
      "host a (198.18.0.10) / netns rn / eth0 10.63.0.5/32",
      "host a (198.18.0.10) / netns web / eth0 10.60.0.2/24",
      "host a (198.18.0.10) / root / vxlan vx7 vni 7",
      "host a (198.18.0.10) / root / subnet lan 10.60.0.0/24",
      "host b (198.18.0.11) / root / vxlan vx7 vni 7",
    ]);
    expect(g.edges).toEqual([
      "eth0 stacked(bridge) macvlan mv1",
      "eth0 stacked(bridge) macvlan mv2",
      "bridge br stacked(l2) ipvlan iv0",
      "eth0 cable(routed) ve-r",
      "bridge br cable(ve-web) eth0",
      "bridge br member vxlan vx7",
      "vxlan vx7 tunnel(vni 7) vxlan vx7",
      "subnet lan member bridge br",
    ]);
    const chart = renderMermaid(g.hosts);
    expect(chart).toMatch(/^ {4}n_a_x_\w+\[\/"vxlan vx7<br\/>vni 7"\/\]$/m);
    expect(chart).toMatch(/^ {2}n_a_x_\w+ ===\|"vni 7"\| n_b_x_\w+$/m);
    expect(chart).toMatch(/^ {2}n_a_br_\w+ -\.->\|"l2"\| n_a_i_\w+$/m);
  });
});

test.each([
  "constructs/net-object",
  "constructs/namespace",
  "constructs/hostnet-stack",
  "constructs/review-model",
  "constructs/manifest",
  "src/review/synthesizer",
  "src/review/model",
])("importing %s first works: the synthesizers HostnetStack installs close no import cycle", (mod) => {
  jest.isolateModules(() => {
    expect(() => require(`../../${mod}`)).not.toThrow();
    const { Host: H, HostnetStack: S } = require("../../constructs");
    const stack = new S(Testing.app(), "s");
    new H(stack, "a", { address: "198.18.0.10", hostKey: HOST_KEY });
    expect(fs.readdirSync(path.join(Testing.fullSynth(stack), "stacks", "s", REVIEW_DIR)).sort()).toEqual(["PLAN.md", "a", "plan.json"]);
  });
});
