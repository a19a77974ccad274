import { TerraformStack, Testing } from "cdktf";
import { createHookResource, HookTriggers, idReference, ResourceType } from "../../src/plan/hook-resource";

function triggers(t: Partial<HookTriggers> = {}): HookTriggers {
  return { address: "192.0.2.1", port: "22", create: "true", destroy: "true", after: "", ...t };
}

describe.each<ResourceType>(["terraform_data", "null_resource"])("%s hooks", (type) => {
  test("triggers are computed once per synth, though cdktf resolves every resource twice", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const produce = jest.fn(() => triggers());
    createHookResource(stack, "h", { type, path: "p", environment: {}, triggers: produce });
    Testing.synth(stack);
    expect(produce).toHaveBeenCalledTimes(1);
  });

  test("`after` and depends_on name resources of the same stack as plain Terraform addresses", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const base = createHookResource(stack, "base", { type, path: "p/base", environment: {}, triggers: () => triggers() });
    const top = createHookResource(stack, "top", { type, path: "p/top", environment: {}, dependsOn: [base], triggers: () => triggers({ after: idReference(top, base) }) });
    const r = JSON.parse(Testing.synth(stack)).resource[type];
    const attr = type === "terraform_data" ? "triggers_replace" : "triggers";
    expect(r.top[attr].after).toBe(`\${${type}.base.id}`);
    expect(r.top.depends_on).toEqual([`${type}.base`]);
    expect(r.base.depends_on).toBeUndefined();
  });
});
