import { Construct } from "constructs";
import { IpvlanMode } from "../src/render/ipvlan";
import { StackedLink, StackedLinkProps } from "./stacked-link";

export interface IpvlanProps extends StackedLinkProps {
  /** l2: children share the parent's MAC and answer ARP; l3: the parent routes, no broadcast or ARP. @default "l2" */
  readonly mode?: IpvlanMode;
}

/**
 * An ipvlan child of a parent device: the parent's MAC, its own IP, placed into
 * a namespace (`ip link add link <parent> name <n> netns <ns> type ipvlan mode l2`).
 * Needs the kernel's ipvlan module.
 *
 * @example
 * ```ts
 * new Ipvlan(host, "web-ipv", { parent: "eth0", namespace: web, address: "10.74.0.2/24", mode: "l2" });
 * ```
 */
export class Ipvlan extends StackedLink<IpvlanMode> {
  constructor(scope: Construct, id: string, props: IpvlanProps) {
    super(scope, id, props, { type: "ipvlan", label: "Ipvlan", prefix: "iv-", modes: ["l2", "l3"], defaultMode: "l2" });
  }
}
