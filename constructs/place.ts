import { Address, Subnet } from "./subnet";
import type { Namespace } from "./namespace";
import { cidrContains, Family, familyOf, formatAnyCidr, formatIp, IpCidr, lastOf } from "../src/ipam/ip";
import { parseAnyAddress, parseAnyPrefix } from "../src/validate/address";
import { shownValue } from "../src/validate/names";

/** Where a link or rule lives: the host's root namespace (undefined) or a Namespace. */
export function placeName(ns?: Namespace): string {
  return ns ? `netns ${ns.name}` : "root";
}

/** An address prop: an IPAM Address, "a.b.c.d/len" or "fd00::2/64". */
export type AddressInput = Address | string;

/** One address, or one per family for a dual-stack interface (`[lan.allocate(ns), lan6.allocate(ns)]`). */
export type AddressesInput = AddressInput | readonly AddressInput[];

/**
 * "address/prefix"; an IPv6 one in canonical form (RFC 5952), as `ip` prints it, so "FD00::0002/64" and "fd00::2/64" are one value.
 * A value that is no address at all (null, a number, a nested list: from JavaScript or parsed config) gives a text no
 * parser takes, so every use of it fails its own check; `checkAddressInput` names the value.
 */
export function addressCidr(a: AddressInput): string {
  if (typeof a !== "string" && !isAddressLike(a)) return NOT_AN_ADDRESS;
  const text = typeof a === "string" ? a : a.cidr;
  return text.includes(":") ? canonicalText(text) : text;
}

const NOT_AN_ADDRESS = "(not an address)";

/** An Address, or an object with a `cidr` text (an Address of another copy of hostnet). */
function isAddressLike(a: unknown): a is Address {
  return a instanceof Address || (typeof a === "object" && a !== null && typeof (a as { cidr?: unknown }).cidr === "string");
}

/**
 * The canonical form of an IPv6 address or "address/prefix" (host bits kept);
 * anything else (IPv4, or text that does not parse, which its own check reports) as given.
 */
export function canonicalText(text: string): string {
  if (typeof text !== "string" || !text.includes(":")) return text;
  const [addr, prefix, ...rest] = text.split("/");
  const p = parseAnyAddress(addr);
  if (p.value === undefined || rest.length > 0) return text;
  return prefix === undefined ? formatIp(p.value.family, p.value.value) : `${formatIp(p.value.family, p.value.value)}/${prefix}`;
}

/** The addresses of an `address` prop that takes one or a list; [] for none. */
export function addressList(a: AddressesInput | undefined): AddressInput[] {
  if (a === undefined) return [];
  return Array.isArray(a) ? [...(a as readonly AddressInput[])] : [a as AddressInput];
}

/** 4 or 6 for an address prop (undefined when it is not an address at all; its own check reports that). */
export function addressFamily(a: AddressInput | Subnet): Family | undefined {
  // Address.family, not its text: reading an IPAM address settles its subnet, which must wait for synth.
  if (Subnet.isSubnet(a) || a instanceof Address) return a.family;
  return familyOf(addressCidr(a));
}

/** The address of one family among `list`, if any. */
export function ofFamily(list: readonly AddressInput[], family: Family): AddressInput | undefined {
  return list.find((a) => addressFamily(a) === family);
}

/** The address without its prefix length ("10.0.0.1", "fd00::1"). */
export function addressIp(a: AddressInput): string {
  return addressCidr(a).split("/")[0];
}

/** Problems with an address prop, or [] */
export function checkAddressInput(a: AddressInput, what: string): string[] {
  if (typeof a !== "string" && !isAddressLike(a)) {
    return [
      `${what}: ${shownValue(a)} is not an address. Write it as "a.b.c.d/len" or "fd00::2/64", or take one from a Subnet (subnet.allocate(...)).`,
    ];
  }
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

/**
 * Problems with a list of addresses for one interface: each address, and at most
 * one per family (a dual-stack interface has one IPv4 and one IPv6 address).
 */
export function checkAddressesInput(list: readonly AddressInput[], what: string, prop: string): string[] {
  const errs = list.flatMap((a) => checkAddressInput(a, what));
  for (const family of [4, 6] as const) {
    const same = list.filter((a) => addressFamily(a) === family);
    if (same.length > 1)
      errs.push(
        `${what}: ${same.map(addressCidr).join(" and ")} are both IPv${family}; an interface takes one address per family. Keep one of them in ${prop}.`,
      );
  }
  return errs;
}

/** What the one-segment check needs of a bridge: its address, or its addresses (at most one per family). */
export interface BridgeLike {
  readonly name: string;
  readonly address?: AddressInput;
  readonly addresses?: readonly AddressInput[];
}

function cidrOf(a: AddressInput): IpCidr | undefined {
  return parseAnyPrefix(addressCidr(a), false).value;
}

/**
 * One L2 segment, one subnet per family: an address on an interface plugged into
 * `bridge` must lie in the bridge's subnet of its family, or nothing on the bridge
 * (its gateway included) can reach it. null when it does, or when the bridge has
 * no valid address of that family.
 */
export function bridgeSubnetProblem(address: AddressInput, bridge: BridgeLike, m: { what: string; joins: string; prop: string }): string | null {
  const { what, joins, prop } = m;
  const family = addressFamily(address);
  const brAddresses = bridge.addresses ?? (bridge.address !== undefined ? [bridge.address] : []);
  // Another family is another subnet of a dual-stack segment: compared with the bridge's address of its own family.
  const brAddress = family === undefined ? undefined : ofFamily(brAddresses, family);
  if (brAddress === undefined) return null;
  const sub = address instanceof Address ? address.subnet : undefined;
  const brSub = brAddress instanceof Address ? brAddress.subnet : undefined;
  if (sub && brSub && sub !== brSub) {
    return `${what} is from ${sub.node.path} (${sub.cidr}) but bridge ${bridge.name}, which ${joins}, is on ${brSub.node.path} (${brSub.cidr}). Allocate ${prop} from ${brSub.node.path}.`;
  }
  const mine = cidrOf(address);
  const theirs = cidrOf(brAddress);
  if (!mine || !theirs || cidrContains(theirs, { family: mine.family, value: mine.address })) return null;
  const net = formatAnyCidr(theirs);
  return (
    `${what} ${addressCidr(address)} is not ` +
    `in ${net}, the subnet of ` +
    `bridge ${bridge.name} ` +
    `(${addressCidr(brAddress)}), ` +
    `which ${joins}: nothing on that bridge, its gateway included, could reach it. ` +
    `Set ${prop} to an address in ${net}${brSub ? ` (${brSub.node.path}.allocate(...))` : ""}.`
  );
}
