import { Address } from "./subnet";
import type { Namespace } from "./namespace";
import { contains, formatCidr4 } from "../src/ipam/ipv4";
import { parseCidr } from "../src/validate/address";

/** Where a link or rule lives: the host's root namespace (undefined) or a Namespace. */
export function placeName(ns?: Namespace): string {
  return ns ? `netns ${ns.name}` : "root";
}

/** An address prop: an IPAM Address or "a.b.c.d/len". */
export type AddressInput = Address | string;

export function addressCidr(a: AddressInput): string {
  return typeof a === "string" ? a : a.cidr;
}

/** Problems with an address prop, or [] */
export function checkAddressInput(a: AddressInput, what: string): string[] {
  if (a instanceof Address) return [];
  const r = parseCidr(a, false);
  if (r.problem !== undefined) return [`${what}: ${r.problem}`];
  const c = r.value;
  if (c.prefix <= 30 && (c.address === c.network || c.address === (c.network + 2 ** (32 - c.prefix) - 1) >>> 0)) {
    return [`${what} ${a} is the network or broadcast address of its subnet; use a host address.`];
  }
  return [];
}

/** What the one-segment check needs of a bridge. */
export interface BridgeLike {
  readonly name: string;
  readonly address?: AddressInput;
}

/**
 * One L2 segment, one subnet: an address on an interface plugged into `bridge`
 * must lie in the bridge's subnet, or nothing on the bridge (its gateway
 * included) can reach it. null when it does, or when either side has no valid address.
 */
export function bridgeSubnetProblem(address: AddressInput, bridge: BridgeLike, m: { what: string; joins: string; prop: string }): string | null {
  const { what, joins, prop } = m;
  if (bridge.address === undefined) return null;
  const sub = address instanceof Address ? address.subnet : undefined;
  const brSub = bridge.address instanceof Address ? bridge.address.subnet : undefined;
  if (sub && brSub && sub !== brSub) {
    return `${what} is from ${sub.node.path} (${sub.cidr}) but bridge ${bridge.name}, which ${joins}, is on ${brSub.node.path} (${brSub.cidr}). Allocate ${prop} from ${brSub.node.path}.`;
  }
  const mine = parseCidr(addressCidr(address), false).value;
  const theirs = parseCidr(addressCidr(bridge.address), false).value;
  if (!mine || !theirs || contains(theirs, mine.address)) return null;
  const net = formatCidr4(theirs);
  return (
    `${what} ${addressCidr(address)} is not ` +
    `in ${net}, the subnet of ` +
    `bridge ${bridge.name} ` +
    `(${addressCidr(bridge.address)}), ` +
    `which ${joins}: nothing on that bridge, its gateway included, could reach it. ` +
    `Set ${prop} to an address in ${net}${brSub ? ` (${brSub.node.path}.allocate(...))` : ""}.`
  );
}
