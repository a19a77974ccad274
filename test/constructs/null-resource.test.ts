import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { Testing } from "cdktf";
// Types of the matchers Testing.setupJest() registers.
import "cdktf/lib/testing/adapters/jest";
import { labTopology } from "../../stacks/lab-topology";
import { synthScripts } from "../support/scripts";
import { newHost, newStack, resourceOf, synthJson } from "../support/stacks";

Testing.setupJest();

function lab(resourceType: "terraform_data" | "null_resource") {
  const { stack } = newStack({ resourceType });
  labTopology(newHost(stack));
  return stack;
}

describe("null_resource mode", () => {
  const stack = lab("null_resource");
  const json = synthJson(stack);
  const data = synthJson(lab("terraform_data"));

  test("synthesizes null_resource only, one per object plus the host's two (preflight, sweep)", () => {
    expect(Object.keys(json.resource)).toEqual(["null_resource"]);
    expect(Object.keys(json.resource.null_resource)).toHaveLength(15);
  });

  test("declares the null provider", () => {
    const synth = Testing.synth(stack);
    expect(synth).toHaveProvider(NullProvider);
    expect(json.provider).toEqual({ null: [{}] });
    // "null" is the registry short form of hashicorp/null.
    expect(json.terraform.required_providers.null).toEqual({ source: "null", version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  });

  test("terraform_data mode declares no provider at all", () => {
    expect(data.provider).toBeUndefined();
    expect(data.terraform?.required_providers).toBeUndefined();
  });

  test("carries the same script hashes and targets under triggers as terraform_data does under triggers_replace, and the same script files", () => {
    const paths = Object.values(data.resource.terraform_data).map((r) => r.provisioner[0]["local-exec"].environment.HN_PATH);
    expect(paths).toHaveLength(15);
    const nullScripts = synthScripts(stack);
    const dataScripts = synthScripts(lab("terraform_data"));
    for (const p of paths) {
      const n = json.resource.null_resource[resourceOf(json, "null_resource", p)];
      const d = data.resource.terraform_data[resourceOf(data, "terraform_data", p)];
      expect(n.triggers_replace).toBeUndefined();
      expect(n.triggers).toEqual({ ...d.triggers_replace, after: d.triggers_replace!.after.replace(/terraform_data\./g, "null_resource.") });
      expect(n.triggers!.create_sha256).toMatch(/^[0-9a-f]{64}$/);
      const [a, b] = [nullScripts.get(p)!, dataScripts.get(p)!];
      expect([a.create, a.destroy]).toEqual([b.create, b.destroy]);
      expect(a.create).toMatch(/^# hostnet /);
    }
  });

  test("provisioners read the scripts by the hashes in self.triggers", () => {
    const r = json.resource.null_resource[resourceOf(json, "null_resource", "s/a/br-lan")];
    expect(r.provisioner.map((p) => p["local-exec"].environment.HN_SCRIPT)).toEqual([
      '${file("${path.module}/hostnet-scripts/${self.triggers.create_sha256}.sh")}',
      '${fileexists("${path.module}/hostnet-scripts/${lookup(self.triggers, "destroy_sha256", "none")}.sh") ? ' +
        'file("${path.module}/hostnet-scripts/${lookup(self.triggers, "destroy_sha256", "none")}.sh") : lookup(self.triggers, "destroy", "")}',
    ]);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(NullResource, {
      depends_on: [`null_resource.${resourceOf(json, "null_resource", "s/a")}`],
    });
  });
});
