import { Address } from "./subnet";
import type { Namespace } from "./namespace";
import { cidrContains, formatAnyCidr, lastOf } from "../src/ipam/ip";
import { parseAnyPrefix } from "../src/validate/address";

/** Where a link or rule lives: the host's root namespace (undefined) or a Namespace. */
export function placeName(ns?: Namespace): string {
  return ns ? `netns ${ns.name}` : "root";
}

/** An address prop: an IPAM Address, "a.b.c.d/len" or "fd00::2/64". */
export type AddressInput = Address | string;

export function addressCidr(a: AddressInput): string {
  return typeof a === "string" ? a : a.cidr;
}

/** Problems with an address prop, or [] */
export function checkAddressInput(a: AddressInput, what: string): string[] {
  // An Address from a Subnet was checked there; one built by hand (new Address("fd00::2", 64)) is checked here.
  if (a instanceof Address && a.subnet) return [];
  const r = parseAnyPrefix(addressCidr(a), false);
  if (r.problem !== undefined) return [`${what}: ${r.problem}`];
  const c = r.value;
  if (c.family === 4 && c.prefix <= 30 && (c.address === c.network || c.address === lastOf(c))) {
    return [`${what} ${addressCidr(a)} is the network or broadcast address of its subnet; use a host address.`];
  }
  // IPv6 has no broadcast; the all-zero interface id is the subnet-router anycast address (RFC 4291), not a host's.
  if (c.family === 6 && c.prefix <= 126 && c.address === c.network) {
    return [
      `${what} ${a} is the subnet-router anycast address of its prefix; use a host address (e.g. ${formatAnyCidr({ ...c, network: c.network + 1n })}).`,
    ];
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
  const mine = parseAnyPrefix(addressCidr(address), false).value;
  const theirs = parseAnyPrefix(addressCidr(bridge.address), false).value;
  // Another family is another subnet of a dual-stack segment: the caller compares each family with its own.
  if (!mine || !theirs || mine.family !== theirs.family || cidrContains(theirs, { family: mine.family, value: mine.address })) return null;
  const net = formatAnyCidr(theirs);
  return (
    `${what} ${addressCidr(address)} is not ` +
    `in ${net}, the subnet of ` +
    `bridge ${bridge.name} ` +
    `(${addressCidr(bridge.address)}), ` +
    `which ${joins}: nothing on that bridge, its gateway included, could reach it. ` +
    `Set ${prop} to an address in ${net}${brSub ? ` (${brSub.node.path}.allocate(...))` : ""}.`
  );
}
