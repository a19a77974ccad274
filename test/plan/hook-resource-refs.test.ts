import { App, DefaultTokenResolver, StringConcat, TerraformStack, Testing, Tokenization } from "cdktf";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import {
  createHookResource,
  HookTriggers,
  idReference,
  ResourceType,
  tfEscape,
  TRANSPORT_FILE,
  TRANSPORT_FILE_CONTEXT,
} from "../../src/plan/hook-resource";
import { HOOK_COMMAND } from "../../src/transport/ssh";

function triggers(t: Partial<HookTriggers> = {}): HookTriggers {
  return { address: "192.0.2.1", port: "22", create: "true", destroy: "true", after: "", ...t };
}

describe.each<ResourceType>(["terraform_data", "null_resource"])("%s hooks", (type) => {
  test("triggers are computed once per synth, though cdktf resolves every resource three times", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const produce = jest.fn(() => triggers());
    createHookResource(stack, "h", { type, path: "p", environment: {}, triggers: produce });
    Testing.synth(stack);
    expect(produce).toHaveBeenCalledTimes(1);
  });

  test("`after` and depends_on name resources of the same stack as plain Terraform addresses", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const base = createHookResource(stack, "base", { type, path: "p/base", environment: {}, triggers: () => triggers() });
    const top = createHookResource(stack, "top", {
      type,
      path: "p/top",
      environment: {},
      dependsOn: [base],
      triggers: () => triggers({ after: idReference(top, base) }),
    });
    const r = JSON.parse(Testing.synth(stack)).resource[type];
    const attr = type === "terraform_data" ? "triggers_replace" : "triggers";
    expect(r.top[attr].after).toBe(`\${${type}.base.id}`);
    expect(r.top.depends_on).toEqual([`${type}.base`]);
    expect(r.base.depends_on).toBeUndefined();
  });
});

describe("cdktf's preparing pass", () => {
  const resolveFor = (stack: TerraformStack, value: unknown, preparing: boolean) =>
    Tokenization.resolve(value, { scope: stack, preparing, resolver: new DefaultTokenResolver(new StringConcat()) });

  test("a hook with plain references answers it with nothing; the output pass gets the whole resource", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const base = createHookResource(stack, "base", { type: "terraform_data", path: "p/base", environment: {}, triggers: () => triggers() });
    const top = createHookResource(stack, "top", {
      type: "terraform_data",
      path: "p/top",
      environment: {},
      dependsOn: [base],
      triggers: () => triggers({ after: idReference(top, base) }),
    });
    expect(resolveFor(stack, top.toTerraform(), true)).toEqual({});
    expect(resolveFor(stack, top.toTerraform(), false).resource.terraform_data.top.depends_on).toEqual(["terraform_data.base"]);
  });

  test("a hook customised through an escape hatch is prepared in full", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const h = createHookResource(stack, "h", { type: "terraform_data", path: "p", environment: {}, triggers: () => triggers() });
    h.addOverride("lifecycle.prevent_destroy", true);
    expect(resolveFor(stack, h.toTerraform(), true).resource.terraform_data.h.lifecycle).toEqual({ prevent_destroy: true });
  });
});

describe(`the transport file (${TRANSPORT_FILE_CONTEXT})`, () => {
  test("by default, hooks read the transport with file() from one file that synth writes beside cdk.tf.json", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "hostnet-transport-"));
    try {
      const app = new App({ outdir });
      const stack = new TerraformStack(app, "s");
      for (const id of ["a", "b"])
        createHookResource(stack, id, { type: "terraform_data", path: `p/${id}`, environment: {}, triggers: () => triggers() });
      app.synth();
      const dir = path.join(outdir, "stacks", "s");
      expect(readFileSync(path.join(dir, TRANSPORT_FILE), "utf8")).toBe(HOOK_COMMAND + "\n");
      const json = JSON.parse(readFileSync(path.join(dir, "cdk.tf.json"), "utf8"));
      for (const r of Object.values<{ provisioner: Array<{ "local-exec": { environment: Record<string, string> } }> }>(
        json.resource.terraform_data,
      )) {
        for (const p of r.provisioner) expect(p["local-exec"].environment.HN_TRANSPORT).toBe('${file("${path.module}/hostnet-transport.sh")}');
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("turned off, every hook carries the transport text, escaped", () => {
    const stack = new TerraformStack(Testing.app({ context: { [TRANSPORT_FILE_CONTEXT]: false } }), "s");
    createHookResource(stack, "h", { type: "terraform_data", path: "p", environment: {}, triggers: () => triggers() });
    const env = JSON.parse(Testing.synth(stack)).resource.terraform_data.h.provisioner[0]["local-exec"].environment;
    expect(env.HN_TRANSPORT).toBe(tfEscape(HOOK_COMMAND));
  });
});
