import { Construct } from "constructs";
import { IpvlanMode, IpvlanSpec, renderIpvlan } from "../src/render/ipvlan";
import { Hooks, ObjectRef } from "../src/render/types";
import { printable } from "../src/validate/names";
import { addressCidr } from "./place";
import { StackedLink, StackedLinkProps } from "./stacked-link";

const MODES: readonly IpvlanMode[] = ["l2", "l3"];

export interface IpvlanProps extends StackedLinkProps {
  /** l2: children share the parent's MAC and answer ARP; l3: the parent routes, no broadcast or ARP. @default "l2" */
  readonly mode?: IpvlanMode;
}

/**
 * An ipvlan child of a parent device: the parent's MAC, its own IP, placed into
 * a namespace (`ip link add link <parent> name <n> netns <ns> type ipvlan mode l2`).
 * Needs the kernel's ipvlan module.
 */
export class Ipvlan extends StackedLink {
  readonly mode: IpvlanMode;

  constructor(scope: Construct, id: string, props: IpvlanProps) {
    super(scope, id, props, "Ipvlan", "iv-");
    this.mode = props.mode ?? "l2";
  }

  get kind(): string {
    return "ipvlan";
  }

  protected get modeName(): string {
    return this.mode;
  }

  spec(): IpvlanSpec {
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
    return renderIpvlan(this.spec(), ref);
  }

  protected validateObject(): string[] {
    const errs = super.validateObject();
    if (!MODES.includes(this.mode)) errs.push(`mode "${printable(String(this.mode))}" is not an ipvlan mode. Use ${MODES.join(" or ")}.`);
    return errs;
  }
}
