/**
 * The Terraform resource that carries one object's hooks. Two flavours with the
 * same hooks: `terraform_data` (built in, no provider, the default) and
 * `null_resource` (@cdktf/provider-null). Scripts, the target address and the
 * ids of the objects this one sits on are replace-triggers: change any and
 * Terraform destroys the old object and creates the new one, hooks included.
 */
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { IResolvable, ITerraformDependable, Lazy, LocalExecProvisioner, TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { HOOK_COMMAND } from "../transport/ssh";

export type ResourceType = "terraform_data" | "null_resource";

/**
 * `terraform_data` without cdktf's DataResource, which adds a validation to each
 * resource that spawns `terraform version` (1,000 resources: ~46 s of synth).
 */
class TerraformDataHook extends TerraformResource {
  constructor(scope: Construct, id: string, private readonly triggers: IResolvable, meta: { provisioners: LocalExecProvisioner[]; dependsOn?: ITerraformDependable[] }) {
    super(scope, id, {
      terraformResourceType: "terraform_data",
      terraformGeneratorMetadata: { providerName: "terraform" },
      provisioners: meta.provisioners,
      dependsOn: meta.dependsOn,
    });
  }

  get id(): string {
    return this.getStringAttribute("id");
  }

  protected synthesizeAttributes(): { [name: string]: any } {
    return { triggers_replace: this.triggers };
  }

  protected synthesizeHclAttributes(): { [name: string]: any } {
    return { triggers_replace: { value: this.triggers, isBlock: false, type: "map", storageClassType: "stringMap" } };
  }
}

/** What a hook resource stores; every field forces replacement when it changes. */
export interface HookTriggers {
  readonly address: string;
  readonly port: string;
  /** Create script, literal. */
  readonly create: string;
  /** Destroy script, literal. */
  readonly destroy: string;
  /** Space-separated ids of the resources this one sits on: Terraform references, not literal. */
  readonly after: string;
}

/**
 * Terraform reads every JSON string as a template: a literal "\${" or "%{" in a
 * script must be doubled, or Terraform would try to interpolate it.
 */
export function tfEscape(text: string): string {
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

export interface HookResourceOptions {
  readonly type: ResourceType;
  /** Replace-triggers, computed at synth. */
  readonly triggers: () => HookTriggers;
  /** Literal environment for the transport (user, key path, known_hosts, ...). */
  readonly environment: Record<string, string>;
  /** Construct path, for failure messages. */
  readonly path: string;
  /** Ordering only (no replacement): the host's preflight hook. */
  readonly dependsOn?: ITerraformDependable[];
}

export interface HookResource extends ITerraformDependable {
  readonly id: string;
}

export function createHookResource(scope: Construct, id: string, o: HookResourceOptions): HookResource & TerraformResource {
  const attr = o.type === "terraform_data" ? "triggers_replace" : "triggers";
  const provisioner = (op: "create" | "destroy"): LocalExecProvisioner => ({
    type: "local-exec",
    interpreter: ["/bin/sh", "-c"],
    // The transport is the same text for every hook; it travels in the environment
    // so Terraform's "Executing:" log line stays one short line.
    command: 'eval "$HN_TRANSPORT"',
    environment: {
      HN_TRANSPORT: tfEscape(HOOK_COMMAND),
      ...o.environment,
      HN_ADDRESS: `\${self.${attr}.address}`,
      HN_PORT: `\${self.${attr}.port}`,
      HN_SCRIPT: `\${self.${attr}.${op}}`,
      HN_OP: op,
      HN_PATH: o.path.replace(/[^A-Za-z0-9_.\/-]/g, "_"),
    },
    ...(op === "destroy" ? { when: "destroy" as const } : {}),
  });
  const provisioners = [provisioner("create"), provisioner("destroy")];
  const triggers = Lazy.anyValue({
    produce: () => {
      const t = o.triggers();
      return { address: t.address, port: t.port, create: tfEscape(t.create), destroy: tfEscape(t.destroy), after: t.after };
    },
  });
  if (o.type === "terraform_data") return new TerraformDataHook(scope, id, triggers, { provisioners, dependsOn: o.dependsOn });
  return new NullResource(scope, id, { triggers: triggers as unknown as Record<string, string>, provisioners, dependsOn: o.dependsOn });
}
