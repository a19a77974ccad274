import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { TerraformStack } from "cdktf";
import { Construct, IConstruct } from "constructs";
import { ResourceType } from "../src/plan/hook-resource";

export interface HostnetStackProps {
  /**
   * Terraform resource that carries the hooks. `terraform_data` is built into
   * Terraform >= 1.4 and OpenTofu and needs no provider (works air-gapped);
   * `null_resource` needs the hashicorp/null provider from a registry.
   * @default "terraform_data"
   */
  readonly resourceType?: ResourceType;
}

/** A Terraform stack of host networks. Every hostnet construct lives inside one. */
export class HostnetStack extends TerraformStack {
  /** The HostnetStack a construct belongs to; throws a clear error outside one. */
  static of(c: IConstruct): HostnetStack {
    for (let s: IConstruct | undefined = c; s; s = s.node.scope) {
      if (s instanceof HostnetStack) return s;
    }
    throw new Error(`${c.node.path}: hostnet constructs must be created inside a HostnetStack. Replace "new TerraformStack(...)" with "new HostnetStack(...)".`);
  }

  readonly resourceType: ResourceType;
  /** The stack name used in tags and the host ledger. */
  readonly stackName: string;

  constructor(scope: Construct, id: string, props: HostnetStackProps = {}) {
    super(scope, id);
    this.resourceType = props.resourceType ?? "terraform_data";
    this.stackName = id;
    if (this.resourceType === "null_resource") new NullProvider(this, "null");
    this.node.addValidation({
      validate: () =>
        /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(id)
          ? []
          : [`${this.node.path}: stack name "${JSON.stringify(id).slice(1, -1)}" is used in tags and on-host paths; use 1-63 letters, digits, "_" or "-".`],
    });
  }
}
