import { renderStackedLink } from "./stacked-link";
import { Hooks, ObjectRef } from "./types";

/** macvlan modes: how children of one parent reach each other (bridge: directly, inside the parent). */
export type MacvlanMode = "bridge" | "private" | "vepa" | "passthru";

export interface MacvlanSpec {
  readonly name: string;
  readonly netns?: string;
  readonly parent: string;
  readonly parentNetns?: string;
  readonly mode: MacvlanMode;
  readonly mtu: number;
  readonly addresses: readonly string[];
}

/** A macvlan child: its own MAC on the parent's wire (`ip link add link P name N type macvlan mode M`). */
export function renderMacvlan(m: MacvlanSpec, ref: ObjectRef): Hooks {
  return renderStackedLink({ type: "macvlan", ...m }, ref);
}
