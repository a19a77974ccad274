import { Construct } from "constructs";
import { MacvlanMode, MacvlanSpec, renderMacvlan } from "../src/render/macvlan";
import { Hooks, ObjectRef } from "../src/render/types";
import { printable } from "../src/validate/names";
import { addressCidr } from "./place";
import { StackedLink, StackedLinkProps } from "./stacked-link";

const MODES: readonly MacvlanMode[] = ["bridge", "private", "vepa", "passthru"];

export interface MacvlanProps extends StackedLinkProps {
  /** bridge: children of one parent reach each other inside the parent; private: never; vepa: through the switch; passthru: one child takes over the parent. @default "bridge" */
  readonly mode?: MacvlanMode;
}

/**
 * A macvlan child of a parent device, with its own MAC address, placed into a
 * namespace (`ip link add link <parent> name <n> netns <ns> type macvlan mode bridge`).
 * A parent needs no address; a Bridge without ports will do.
 */
export class Macvlan extends StackedLink {
  readonly mode: MacvlanMode;

  constructor(scope: Construct, id: string, props: MacvlanProps) {
    super(scope, id, props, "Macvlan", "mv-");
    this.mode = props.mode ?? "bridge";
  }

  get kind(): string {
    return "macvlan";
  }

  protected get modeName(): string {
    return this.mode;
  }

  spec(): MacvlanSpec {
    return {
      name: this.name,
      netns: this.namespace?.name,
      parent: this.parentName,
      parentNetns: this.parentNamespace?.name,
      mode: this.mode,
      mtu: this.mtu,
      addresses: this.address ? [addressCidr(this.address)] : [],
    };
  }

  hooks(ref: ObjectRef): Hooks {
    return renderMacvlan(this.spec(), ref);
  }

  protected validateObject(): string[] {
    const errs = super.validateObject();
    if (!MODES.includes(this.mode)) errs.push(`mode "${printable(String(this.mode))}" is not a macvlan mode. Use ${MODES.join(", ")}.`);
    return errs;
  }
}
