import type { NatSpec } from "../../src/render/types";
import type { Bridge } from "../bridge";
import type { Namespace } from "../namespace";

/** Where a NAT rule lives. */
export interface NatPlaceProps {
  /**
   * Namespace whose netfilter tables get the rules (a router namespace);
   * net.ipv4.ip_forward is turned on there instead of in the host's root namespace.
   * @default the namespace whose scope the rule is created in, else the host's root namespace
   */
  readonly namespace?: Namespace;
}

/**
 * One kind of NAT rule (constructs/nat/*.ts): its name on the host, its spec and
 * the checks of its own props. NatRule is the construct around it; `namespace`
 * is where the rule lives (undefined: the host's root namespace).
 */
export interface NatKind {
  readonly type: NatSpec["type"];
  /** A bridge the rule refers to: it must be on the rule's host and in its namespace. */
  readonly bridge?: Bridge;
  /** The rule as one line ("masquerade 10.88.0.0/24"). */
  objectName(): string;
  spec(namespace?: Namespace): NatSpec;
  /** Problems with the props, without the path prefix. */
  problems(namespace?: Namespace): string[];
  /** Host ports the rule publishes when it lives in the root namespace. */
  publishedPorts(): Array<{ protocol: string; port: number; hostAddress?: string; family?: 6 }>;
  /** 6 when its addresses are IPv6 (ip6tables, NAT66), else 4. Known at construction, without settling any subnet. */
  family(): 4 | 6;
}

/** `family: 6` only for IPv6: IPv4 specs stay as they were. */
export function familyOf6(family: 4 | 6): { family?: 6 } {
  return family === 6 ? { family: 6 } : {};
}

/** A problem when two props of one rule are of different families, else null. */
export function mixedFamilies(a: { prop: string; value: string; family?: 4 | 6 }, b: { prop: string; value: string; family?: 4 | 6 }): string | null {
  if (a.family === undefined || b.family === undefined || a.family === b.family) return null;
  return (
    `${a.prop} ${a.value} is IPv${a.family} but ${b.prop} ${b.value} is IPv${b.family}; one NAT rule translates one family ` +
    `(ip6tables for IPv6). Make props.${b.prop} IPv${a.family}, or add a second rule for IPv${b.family}.`
  );
}

/** `netns` only when the rules live in a namespace: root-namespace specs stay as they were. */
export function netnsOf(namespace?: Namespace): { netns?: string } {
  return namespace ? { netns: namespace.name } : {};
}
