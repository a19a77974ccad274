import { TerraformStack, Testing } from "cdktf";
import { createHookResource, HookTriggers, ResourceType, tfEscape } from "../../src/plan/hook-resource";
import { HOOK_COMMAND } from "../../src/transport/ssh";

describe("tfEscape", () => {
  test.each([
    ["${x}", "$${x}"],
    ["%{x}", "%%{x}"],
    ["${a}${b}", "$${a}$${b}"],
    ["%{ if c }x%{ endif }", "%%{ if c }x%%{ endif }"],
    ["id=${f##*/}; id=${id%.down}", "id=$${f##*/}; id=$${id%.down}"],
    // Already-doubled input is doubled again: the script's text is what Terraform must hand back.
    ["$${x}", "$$${x}"],
    ["%%{x}", "%%%{x}"],
    ["${", "$${"],
    // Nothing else is special to Terraform.
    ["$(id -u)", "$(id -u)"],
    ["$HOME $$ $", "$HOME $$ $"],
    ["% { $ {", "% { $ {"],
    ["50%", "50%"],
    ["", ""],
  ])("%j becomes %j", (text, want) => {
    expect(tfEscape(text)).toBe(want);
  });
});

function synthHook(type: ResourceType, t: Partial<HookTriggers> = {}) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "s");
  createHookResource(stack, "h", {
    type,
    path: "s/a/$(x)\n",
    environment: { HN_USER: "root" },
    triggers: () => ({ address: "192.0.2.1", port: "22", create: "echo ${HOME}", destroy: "echo %{x}", after: "", ...t }),
  });
  return JSON.parse(Testing.synth(stack)).resource;
}

describe("createHookResource", () => {
  test("terraform_data: scripts escaped in triggers_replace; provisioners read them through self", () => {
    const r = synthHook("terraform_data").terraform_data.h;
    expect(r.triggers_replace).toEqual({ address: "192.0.2.1", port: "22", create: "echo $${HOME}", destroy: "echo %%{x}", after: "" });
    const [create, destroy] = r.provisioner.map((p: { "local-exec": unknown }) => p["local-exec"]);
    expect(create).toEqual({
      command: 'eval "$HN_TRANSPORT"',
      interpreter: ["/bin/sh", "-c"],
      environment: {
        HN_TRANSPORT: tfEscape(HOOK_COMMAND),
        HN_USER: "root",
        HN_ADDRESS: "${self.triggers_replace.address}",
        HN_PORT: "${self.triggers_replace.port}",
        HN_SCRIPT: "${self.triggers_replace.create}",
        HN_OP: "create",
        HN_PATH: "s/a/__x__",
      },
    });
    expect(destroy.when).toBe("destroy");
    expect(destroy.environment.HN_SCRIPT).toBe("${self.triggers_replace.destroy}");
    expect(destroy.environment.HN_OP).toBe("destroy");
  });

  test("null_resource: the same hooks under triggers", () => {
    const r = synthHook("null_resource").null_resource.h;
    expect(r.triggers).toEqual({ address: "192.0.2.1", port: "22", create: "echo $${HOME}", destroy: "echo %%{x}", after: "" });
    expect(r.provisioner[0]["local-exec"].environment.HN_SCRIPT).toBe("${self.triggers.create}");
    expect(r.provisioner[1]["local-exec"].environment.HN_ADDRESS).toBe("${self.triggers.address}");
  });

  test("the transport text carries no unescaped template sequence", () => {
    const env = synthHook("terraform_data").terraform_data.h.provisioner[0]["local-exec"].environment;
    expect(env.HN_TRANSPORT).not.toMatch(/(^|[^$])\$\{/);
    expect(env.HN_TRANSPORT).toContain("$${HOSTNET_SSH_DIR:-");
  });

  test("triggers are computed at synth, after construction", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    let script = "echo early";
    createHookResource(stack, "h", {
      type: "terraform_data",
      path: "p",
      environment: {},
      triggers: () => ({ address: "a", port: "22", create: script, destroy: "", after: "" }),
    });
    script = "echo late";
    expect(JSON.parse(Testing.synth(stack)).resource.terraform_data.h.triggers_replace.create).toBe("echo late");
  });
});
