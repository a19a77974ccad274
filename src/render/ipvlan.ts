import { renderStackedLink } from "./stacked-link";
import { Hooks, ObjectRef } from "./types";

/** ipvlan modes: l2 (children answer ARP, share the parent's MAC) or l3 (routed by the parent, no broadcast). */
export type IpvlanMode = "l2" | "l3";

export interface IpvlanSpec {
  readonly name: string;
  readonly netns?: string;
  readonly parent: string;
  readonly parentNetns?: string;
  readonly mode: IpvlanMode;
  readonly mtu: number;
  readonly addresses: readonly string[];
}

/** An ipvlan child: the parent's MAC, its own IP (`ip link add link P name N type ipvlan mode M`). */
export function renderIpvlan(v: IpvlanSpec, ref: ObjectRef): Hooks {
  return renderStackedLink({ type: "ipvlan", ...v }, ref);
}
