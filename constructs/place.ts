import { Address } from "./subnet";
import type { Namespace } from "./namespace";
import { AddressError, parseCidr4 } from "../src/ipam/ipv4";

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
  try {
    const c = parseCidr4(a, false);
    if (c.prefix <= 30 && (c.address === c.network || c.address === ((c.network + 2 ** (32 - c.prefix) - 1) >>> 0))) {
      return [`${what} ${a} is the network or broadcast address of its subnet; use a host address.`];
    }
    return [];
  } catch (e) {
    if (e instanceof AddressError) return [`${what}: ${e.message}`];
    throw e;
  }
}
