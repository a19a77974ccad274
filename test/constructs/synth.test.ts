import { Testing } from "cdktf";
// Types of the matchers Testing.setupJest() registers.
import "cdktf/lib/testing/adapters/jest";
import { Bridge, Namespace, NatRule, Route, Subnet, VethPair } from "../../constructs";
import { tfEscape } from "../../src/plan/hook-resource";
import { objectId } from "../../src/plan/names";
import { labTopology } from "../../stacks/lab-topology";
import { newHost, newStack, resourceOf, synthJson } from "../support/stacks";
import { scriptsOf, synthScripts } from "../support/scripts";
import { createHash } from "crypto";

Testing.setupJest();
const TERRAFORM_DATA = { tfResourceType: "terraform_data" } as never;

describe("resources", () => {
  test("one terraform_data per object plus two per host (preflight, sweep)", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    const web = new Namespace(a, "web");
    const br = new Bridge(a, "br0");
    new VethPair(a, "web-veth", { a: { namespace: web }, b: { bridge: br } });
    new Namespace(b, "db");
    const json = synthJson(stack);
    expect(Object.keys(json.resource)).toEqual(["terraform_data"]);
    expect(Object.keys(json.resource.terraform_data)).toHaveLength(4 + 2 * 2);
    expect(
      Object.values(json.resource.terraform_data)
        .map((r) => r.provisioner[0]["local-exec"].environment.HN_PATH)
        .sort(),
    ).toEqual(["s/a", "s/a/br0", "s/a/sweep", "s/a/web", "s/a/web-veth", "s/b", "s/b/db", "s/b/sweep"]);
  });

  test("the lab topology has 13 objects (the forwarding sysctl included) and one host (two hooks)", () => {
    const { stack } = newStack();
    labTopology(newHost(stack));
    expect(Object.keys(synthJson(stack).resource.terraform_data)).toHaveLength(15);
  });

  test("every object resource depends on its own host's sweep, which depends on the host's preflight, which depends on nothing", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    labTopology(a);
    new Namespace(b, "db");
    const json = synthJson(stack);
    const hook = (path: string) => `terraform_data.${resourceOf(json, "terraform_data", path)}`;
    for (const [name, r] of Object.entries(json.resource.terraform_data)) {
      const path = r.provisioner[0]["local-exec"].environment.HN_PATH;
      const host = path.startsWith("s/b") ? "s/b" : "s/a";
      if (path === host) expect(r.depends_on).toBeUndefined();
      else if (path === `${host}/sweep`) expect([name, r.depends_on]).toEqual([name, [hook(host)]]);
      else expect([name, r.depends_on]).toEqual([name, [hook(`${host}/sweep`)]]);
    }
  });

  test("a veth's triggers reference the ids of the namespace and the bridge it sits on", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const web = new Namespace(a, "web");
    const br = new Bridge(a, "br0");
    new VethPair(a, "web-veth", { a: { namespace: web }, b: { bridge: br } });
    const json = synthJson(stack);
    const veth = json.resource.terraform_data[resourceOf(json, "terraform_data", "s/a/web-veth")];
    expect(veth.triggers_replace!.after).toBe(
      `\${terraform_data.${resourceOf(json, "terraform_data", "s/a/web")}.id} \${terraform_data.${resourceOf(json, "terraform_data", "s/a/br0")}.id}`,
    );
  });

  test("a namespace and a root bridge sit on nothing; a route in a namespace sits on the namespace and its links", () => {
    const { stack } = newStack();
    const host = newHost(stack);
    const { endpoints } = labTopology(host);
    const json = synthJson(stack);
    const after = (p: string) => json.resource.terraform_data[resourceOf(json, "terraform_data", p)].triggers_replace!.after;
    const ref = (p: string) => `\${terraform_data.${resourceOf(json, "terraform_data", p)}.id}`;
    expect(after("s/a/web")).toBe("");
    expect(after("s/a/br-lan")).toBe("");
    expect(after("s/a/web/default")).toBe(`${ref("s/a/web")} ${ref("s/a/web-veth")}`);
    expect(after("s/a/masquerade")).toBe(ref("s/a/ip-forward"));
    expect(endpoints.map((e) => e.address.cidr)).toEqual(["10.88.0.2/24", "10.88.0.3/24", "10.88.0.4/24"]);
  });

  test("the host's triggers carry its address and SSH port", () => {
    const { stack } = newStack();
    new Namespace(newHost(stack, "a", { port: 2222 }), "web");
    expect(Testing.synth(stack)).toHaveResourceWithProperties(TERRAFORM_DATA, {
      triggers_replace: expect.objectContaining({ address: "198.18.0.10", port: "2222", after: "" }),
    });
  });
});

describe("scripts beside cdk.tf.json", () => {
  const { stack } = newStack();
  const host = newHost(stack);
  const topo = labTopology(host);
  const json = synthJson(stack);
  const all = Object.values(json.resource.terraform_data);
  const scripts = synthScripts(stack);
  const sha256 = (text: string) =>
    createHash("sha256")
      .update(text + "\n")
      .digest("hex");

  test("Terraform's values hold each script's sha256 and a one-line summary, never the text", () => {
    for (const o of host.netObjects) {
      const r = json.resource.terraform_data[resourceOf(json, "terraform_data", o.node.path)];
      expect(Object.keys(r.triggers_replace!).sort()).toEqual(["address", "after", "create_sha256", "destroy_sha256", "port", "summary"]);
      expect(r.triggers_replace!.create_sha256).toBe(sha256(o.createScript()));
      expect(r.triggers_replace!.destroy_sha256).toBe(sha256(o.destroyScript()));
      expect(r.triggers_replace!.summary).toBe(`${o.kind} ${o.objectName} on host a`);
    }
    expect(json.resource.terraform_data[resourceOf(json, "terraform_data", topo.bridge.node.path)].triggers_replace!.summary).toBe(
      "bridge br-lan on host a",
    );
  });

  test("the files of those hashes are each object's scripts, verbatim", () => {
    for (const o of host.netObjects) {
      expect(scripts.get(o.node.path)!.create).toBe(o.createScript());
      expect(scripts.get(o.node.path)!.destroy).toBe(o.destroyScript());
    }
  });

  test("the values Terraform reads as templates hold no unescaped ${", () => {
    for (const r of all) {
      for (const s of Object.values(r.triggers_replace!)) expect(s.replace(/\$\{terraform_data\.[^.]+\.id\}/g, "")).not.toMatch(/\$\{|%\{/);
    }
  });

  test("the host hook's sweep keeps its shell parameter expansions; its small destroy script stays in the state", () => {
    const h = scripts.get("s/a")!;
    const sweep = scripts.get("s/a/sweep")!;
    expect(sweep.create).toContain("  id=${f##*/}; id=${id%.down}");
    expect(h.state.destroy).toBe(tfEscape(host.destroyScript()));
    expect(h.state.destroy_sha256).toBeUndefined();
    expect(h.state.summary).toBe("preflight of host a");
    expect(sweep.state.summary).toBe("sweep of host a");
  });

  test("the host hook keeps every object of the host and checks the commands they need", () => {
    const h = scripts.get("s/a")!;
    const ids = host.netObjects.map((o) => objectId(o.node.path)).sort();
    expect(ids).toHaveLength(13);
    expect(scripts.get("s/a/sweep")!.create).toContain(`keep=' ${ids.join(" ")} '`);
    expect(h.create).toContain("for c in flock ip iptables sha256sum sysctl; do");
  });

  test("the create hook reads its script file by the hash in self; the destroy names the ledger entry; both carry the host's SSH settings", () => {
    const r = json.resource.terraform_data[resourceOf(json, "terraform_data", topo.bridge.node.path)];
    expect(r.provisioner[0]["local-exec"].environment).toMatchObject({
      HN_SCRIPT: '${file("${path.module}/hostnet-scripts/${self.triggers_replace.create_sha256}.sh")}',
      HN_SHA256: "${self.triggers_replace.create_sha256}",
      HN_ADDRESS: "${self.triggers_replace.address}",
      HN_USER: "root",
      HN_IDENTITY: "/k/id",
      HN_STRICT: "yes",
    });
    expect(r.provisioner[0]["local-exec"].environment.HN_LEDGER).toBeUndefined();
    expect(r.provisioner[1]["local-exec"]).toMatchObject({
      when: "destroy",
      environment: expect.objectContaining({
        HN_SHA256: '${lookup(self.triggers_replace, "destroy_sha256", "")}',
        HN_LEDGER: `/run/hostnet/s/${objectId(topo.bridge.node.path)}.down`,
      }),
    });
  });

  test("every hook of a host, the host's own included, carries the stack's hook lock settings; hookLock: false drops them", () => {
    for (const path of ["s/a", "s/a/sweep", topo.bridge.node.path]) {
      const r = json.resource.terraform_data[resourceOf(json, "terraform_data", path)];
      for (const p of r.provisioner) expect(p["local-exec"].environment).toMatchObject({ HN_STACK: "s", HN_LOCK_LEASE: "30", HN_LOCK_WAIT: "600" });
    }
    const s = newStack();
    new Namespace(newHost(s.stack, "a", { hookLock: { leaseSeconds: 5 } }), "web");
    new Namespace(newHost(s.stack, "b", { address: "198.18.0.11", hookLock: false }), "web");
    const j = synthJson(s.stack);
    expect(j.resource.terraform_data[resourceOf(j, "terraform_data", "s/a/web")].provisioner[0]["local-exec"].environment).toMatchObject({
      HN_LOCK_LEASE: "5",
      HN_LOCK_WAIT: "600",
    });
    const off = j.resource.terraform_data[resourceOf(j, "terraform_data", "s/b/web")].provisioner[1]["local-exec"].environment;
    expect(Object.keys(off).filter((k) => k.startsWith("HN_LOCK") || k === "HN_STACK")).toEqual([]);
  });

  test("a host id with a newline stays inside the comment line of the host script", () => {
    const s = newStack();
    const h = newHost(s.stack, "a\ntouch pwned");
    new Namespace(h, "web");
    const create = scriptsOf(s.stack, "s/a_touch_pwned").create;
    expect(h.node.path).toBe("s/a\ntouch pwned");
    expect(create.split("\n")[0]).toBe("# hostnet preflight on host a?touch pwned (stack s)");
    expect(create.split("\n")).not.toContain("touch pwned (stack s)");
  });
});

describe("names", () => {
  test("a long bridge id gets a deterministic interface name of 15 bytes", () => {
    const build = () => {
      const { stack } = newStack();
      return new Bridge(newHost(stack), "customer-frontend-bridge").name;
    };
    expect(build()).toHaveLength(15);
    expect(build()).toBe(build());
    expect(build()).toMatch(/^customer-f-[0-9a-f]{4}$/);
  });

  test("veth ends default to eth0 in a namespace and ve-<id> in the root namespace", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const v = new VethPair(a, "web-veth", { a: { namespace: new Namespace(a, "web") }, b: {} });
    expect([v.a.name, v.b.name]).toEqual(["eth0", "ve-web-veth"]);
  });

  test("both ends in one place get -a and -b", () => {
    const { stack } = newStack();
    const v = new VethPair(newHost(stack), "link", { a: {}, b: {} });
    expect([v.a.name, v.b.name]).toEqual(["ve-link-a", "ve-link-b"]);
  });

  test("tags name the stack and the construct path", () => {
    const { stack } = newStack();
    const br = new Bridge(newHost(stack), "br0");
    expect(br.createScript()).toContain("\nlink set dev br0 alias hostnet:s:s/a/br0\n");
  });
});

describe("routes and NAT in the JSON", () => {
  test("a route through a subnet's gateway and a port forward to an allocated address", () => {
    const { stack } = newStack();
    const host = newHost(stack);
    const lan = new Subnet(host, "lan", { cidr: "10.77.0.0/24" });
    const ns = new Namespace(host, "app");
    const addr = lan.allocate(ns);
    new Route(ns, "default", { via: lan.gateway });
    NatRule.portForward(host, "pub", { hostPort: 8443, to: addr, port: 443 });
    const scripts = synthScripts(stack);
    const create = (p: string) => scripts.get(p)!.create;
    expect(create("s/a/app/default")).toContain("\nip -n app route replace default via 10.77.0.1 proto 199");
    expect(create("s/a/pub")).toContain("-p tcp -m addrtype --dst-type LOCAL --dport 8443 -j DNAT --to-destination 10.77.0.2:443");
  });
});
