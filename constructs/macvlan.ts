import { Construct } from "constructs";
import { MacvlanMode } from "../src/render/macvlan";
import { StackedLink, StackedLinkProps } from "./stacked-link";

export interface MacvlanProps extends StackedLinkProps {
  /** bridge: children of one parent reach each other inside the parent; private: never; vepa: through the switch; passthru: one child takes over the parent. @default "bridge" */
  readonly mode?: MacvlanMode;
}

/**
 * A macvlan child of a parent device, with its own MAC address, placed into a
 * namespace (`ip link add link <parent> name <n> netns <ns> type macvlan mode bridge`).
 * A parent needs no address; a Bridge without ports will do.
 *
 * @example
 * ```ts
 * const parent = new Bridge(host, "br-mv");
 * const web = new Namespace(host, "web");
 * new Macvlan(host, "web-mv", { parent, namespace: web, address: "10.73.0.2/24" });
 * ```
 */
export class Macvlan extends StackedLink<MacvlanMode> {
  constructor(scope: Construct, id: string, props: MacvlanProps) {
    super(scope, id, props, {
      type: "macvlan",
      label: "Macvlan",
      prefix: "mv-",
      modes: ["bridge", "private", "vepa", "passthru"],
      defaultMode: "bridge",
    });
  }
}
