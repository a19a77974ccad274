/**
 * Address props parsed once: the value, or the problem (the parser's message,
 * which names the value and the fix) as data. The only place that catches
 * AddressError, so a construct never wraps a parse in try/catch.
 */
import { AddressError, Cidr4, parseCidr4, parseIp4 } from "../ipam/ipv4";
import { Family, IpAddress, IpCidr, parseAnyCidr, parseAnyIp } from "../ipam/ip";

export type Parsed<T> = { readonly value: T; readonly problem?: undefined } | { readonly value?: undefined; readonly problem: string };

function attempt<T>(parse: () => T): Parsed<T> {
  try {
    return { value: parse() };
  } catch (e) {
    if (e instanceof AddressError) return { problem: e.message };
    throw e;
  }
}

/** A dotted-quad IPv4 address. */
export function parseIp(text: string): Parsed<number> {
  return attempt(() => parseIp4(text));
}

/** "a.b.c.d/len"; with `strict` (a network is expected) host bits must be zero. */
export function parseCidr(text: string, strict = true): Parsed<Cidr4 & { address: number }> {
  return attempt(() => parseCidr4(text, strict));
}

/** `"<what>: <problem>"` for a prop that must be an IPv4 address, or null. */
export function ipProblem(text: string, what: string): string | null {
  const r = parseIp(text);
  return r.problem === undefined ? null : `${what}: ${r.problem}`;
}

/** `"<what>: <problem>"` for a prop that must be a CIDR, or null. */
export function cidrProblem(text: string, what: string, strict = true): string | null {
  const r = parseCidr(text, strict);
  return r.problem === undefined ? null : `${what}: ${r.problem}`;
}

/** An address of either family (IPv4 or IPv6). */
export function parseAnyAddress(text: string): Parsed<IpAddress> {
  return attempt(() => parseAnyIp(text));
}

/** "address/prefix" of either family; with `strict` host bits must be zero. */
export function parseAnyPrefix(text: string, strict = true): Parsed<IpCidr> {
  return attempt(() => parseAnyCidr(text, strict));
}

/** `"<what>: <problem>"` for a prop that must be an address of either family, or null. */
export function anyIpProblem(text: string, what: string): string | null {
  const r = parseAnyAddress(text);
  return r.problem === undefined ? null : `${what}: ${r.problem}`;
}

/**
 * `"<what>: <problem>"` when `text` (an address or CIDR) is not of `family`, or null (also for text
 * that does not parse: its own check reports that). `other` names what fixes the family, e.g.
 * "the route's destination fd00:1::/64", and is said in the message.
 */
export function familyMismatchProblem(text: string, family: Family, what: string, other: string): string | null {
  const f = typeof text === "string" && text.includes("/") ? parseAnyPrefix(text, false).value?.family : parseAnyAddress(text).value?.family;
  if (f === undefined || f === family) return null;
  return `${what}: ${text} is IPv${f} but ${other} is IPv${family}. Use an IPv${family} value, or one of each family in its own prop.`;
}

/** `"<what>: <problem>"` for a prop that must be a CIDR of either family, or null. */
export function anyCidrProblem(text: string, what: string, strict = true): string | null {
  const r = parseAnyPrefix(text, strict);
  return r.problem === undefined ? null : `${what}: ${r.problem}`;
}
