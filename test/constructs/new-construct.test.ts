/**
 * Adding a construct is its file, its renderer, an export line and its tests:
 * a NetObject subclass declares its kind, its kernel modules, its drift probe
 * and its diagram, and the review, the preflight and the manifest take them
 * from the object. This one is defined here and edits nothing central.
 */
import * as fs from "fs";
import * as path from "path";
import { Testing } from "cdktf";
import { Construct } from "constructs";
import { Bridge, Host, HostnetStack, NetObject, ObjectSummary } from "../../constructs";
import { buildManifest } from "../../constructs/manifest";
import { buildReview } from "../../constructs/review-model";
import { notChecked, Probe } from "../../constructs/net-object";
import type { ObjectKind } from "../../src/plan/kinds";
import type { Hooks } from "../../src/render/types";
import { REVIEW_DIR } from "../../src/review/files";
import type { ObjectDiagram } from "../../src/review/topology";

class Dummy extends NetObject {
  constructor(
    scope: Construct,
    id: string,
    private readonly bridge: Bridge,
  ) {
    super(scope, id, Host.of(scope));
  }

  // The type asks a real construct to add its kind to OBJECT_KINDS (src/plan/kinds.ts); nothing reads that list but the count order.
  get kind(): ObjectKind {
    return "dummy" as string as ObjectKind;
  }

  get objectName(): string {
    return "dm0";
  }

  hooks(): Hooks {
    return { create: ["ip link add dm0 type dummy"], destroy: ["ip link del dm0"] };
  }

  dependencies(): NetObject[] {
    return [this.bridge];
  }

  summary(): ObjectSummary {
    return { kind: this.kind, name: "dm0", where: "root", addresses: ["192.0.2.1/32"] };
  }

  checks(): Probe {
    return notChecked("a test construct");
  }

  requiredModules(): string[] {
    return ["dummy"];
  }

  diagram(): ObjectDiagram {
    const ref = { path: this.node.path };
    return {
      nodes: [{ ref, label: ["dummy dm0", "192.0.2.1/32"], shape: "interface", ip: "192.0.2.1" }],
      edges: [{ from: { path: this.bridge.node.path }, to: ref, style: "member", label: "enslaved" }],
    };
  }
}

function stack() {
  const s = new HostnetStack(Testing.app(), "s", { lockFile: false });
  const h = new Host(s, "a", { address: "198.18.0.10", insecureIgnoreHostKey: true });
  const br = new Bridge(h, "br");
  const dummy = new Dummy(h, "dm", br);
  return { s, h, br, dummy };
}

describe("a construct defined outside the library", () => {
  test("its kind, row, scripts and diagram reach the review", () => {
    const { s } = stack();
    const [host] = buildReview(s).hosts;
    expect(host.objects.map((o) => [o.kind, o.path, o.dependsOn])).toEqual([
      ["bridge", "s/a/br", []],
      ["dummy", "s/a/dm", ["s/a/br"]],
    ]);
    expect(host.objects[1].create).toContain("ip link add dm0 type dummy");
    const label = (id: string) => host.topology.nodes.find((n) => n.id === id)?.label.join(" ");
    expect(host.topology.edges.map((e) => `${label(e.from)} ${e.style}(${e.label}) ${label(e.to)}`)).toEqual([
      "bridge br member(enslaved) dummy dm0 192.0.2.1/32",
    ]);
    const dir = path.join(Testing.fullSynth(s), "stacks", "s", REVIEW_DIR);
    const plan = fs.readFileSync(path.join(dir, "PLAN.md"), "utf8");
    expect(plan).toContain("2 objects — 1 bridge, 1 dummy.");
    expect(plan).toContain("| dummy | dm0 | root | 192.0.2.1/32 |  | s/a/dm |");
    expect(plan).toMatch(/\["dummy dm0<br\/>192\.0\.2\.1\/32"\]/);
  });

  test("its kernel module reaches the host's preflight, and its kind and probe the manifest", () => {
    const { s, h } = stack();
    expect(h.createScript()).toMatch(/^hn_pf_mod dummy '' \|\| hn_pf_fail 'kernel module dummy is not available/m);
    const objects = buildManifest(s).hosts[0].objects;
    expect(objects.map((o) => [o.kind, o.path, "notChecked" in o ? o.notChecked : o.checks])).toEqual([
      ["bridge", "s/a/br", expect.any(Array)],
      ["dummy", "s/a/dm", "a test construct"],
    ]);
  });
});
