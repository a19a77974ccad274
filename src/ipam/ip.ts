/**
 * Addresses and CIDRs of both families on bigints. IPv4 stays in ipv4.ts on plain
 * numbers (its IPAM and the existing checks use those); this module is the one
 * place that knows both families, so a construct taking "an address" parses it
 * here and branches on `family`.
 */
import { Address6 } from "ip-address";
import { AddressError, parseCidr4, parseIp4 } from "./ipv4";

export type Family = 4 | 6;

export interface IpAddress {
  readonly family: Family;
  /** The address as an unsigned integer of 32 or 128 bits. */
  readonly value: bigint;
}

export interface IpCidr {
  readonly family: Family;
  /** Network address (host bits zero). */
  readonly network: bigint;
  readonly prefix: number;
  /** The address as written (host bits kept), for "address/prefix" props such as a bridge address. */
  readonly address: bigint;
}

/** 32 or 128. */
export function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** The family an address or CIDR text claims to be ("fd00::1" → 6, "10.0.0.1/24" → 4); undefined for anything else. */
export function familyOf(text: string): Family | undefined {
  if (typeof text !== "string") return undefined;
  if (/^[0-9.]+(\/\d+)?$/.test(text)) return 4;
  if (/^[0-9A-Fa-f:.]+(\/\d+)?$/.test(text) && text.includes(":")) return 6;
  return undefined;
}

/** Parse an IPv6 address; throws AddressError with a fix. Zones ("%eth0") and brackets are refused. */
export function parseIp6(text: string): bigint {
  if (typeof text !== "string" || !/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(":") || !Address6.isValid(text)) {
    const hint =
      typeof text === "string" && text.includes("%")
        ? " A zone (%eth0) is not allowed here: name the interface in its own prop."
        : typeof text === "string" && text.startsWith("[")
          ? " Write it without brackets."
          : "";
    throw new AddressError(`"${text}" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1.${hint}`);
  }
  return BigInt(`0x${new Address6(text).bigInt().toString(16)}`);
}

/** An address of either family. */
export function parseAnyIp(text: string): IpAddress {
  if (familyOf(text) === 6) return { family: 6, value: parseIp6(text) };
  if (typeof text === "string" && text.includes(":")) return { family: 6, value: parseIp6(text) };
  if (familyOf(text) === 4) return { family: 4, value: BigInt(parseIp4(text)) };
  throw new AddressError(`"${text}" is not an IP address. Write an IPv4 address such as 10.0.0.1 or an IPv6 one such as fd00:88::1.`);
}

export function maskOf6(family: Family, prefix: number): bigint {
  const bits = BigInt(bitsOf(family));
  const all = (1n << bits) - 1n;
  return prefix === 0 ? 0n : (all << (bits - BigInt(prefix))) & all;
}

/** "address/prefix" of either family. With `strict`, host bits must be zero (a network is expected). */
export function parseAnyCidr(text: string, strict = true): IpCidr {
  if (typeof text !== "string" || !text.includes(":")) {
    const c = parseCidr4(text, strict);
    return { family: 4, network: BigInt(c.network), prefix: c.prefix, address: BigInt(c.address) };
  }
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) throw new AddressError(`"${text}" is not a CIDR. Write it as address/prefix, e.g. fd00:88::/64.`);
  const address = parseIp6(m[1]);
  const prefix = Number(m[2]);
  if (m[2].length > 1 && m[2].startsWith("0")) {
    throw new AddressError(`"${text}" has a prefix length with a leading zero; write it as ${m[1]}/${prefix}.`);
  }
  if (prefix > 128) throw new AddressError(`"${text}" has prefix length ${prefix}; IPv6 allows 0-128.`);
  const network = address & maskOf6(6, prefix);
  if (strict && network !== address) {
    throw new AddressError(`"${text}" has host bits set; the network is ${formatIp(6, network)}/${prefix}. Use that.`);
  }
  return { family: 6, network, prefix, address };
}

/** Canonical text: dotted quad, or RFC 5952 (lowercase, longest zero run compressed). */
export function formatIp(family: Family, value: bigint): string {
  if (family === 4) {
    const n = Number(value);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
  }
  // RFC 5952 section 5: an IPv4-mapped address keeps its IPv4 part in dotted decimal, as ip(8) prints it.
  if (value >> 32n === 0xffffn) return `::ffff:${formatIp(4, value & 0xffffffffn)}`;
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // Longest run of two or more zero groups (first on a tie) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

export function formatAnyCidr(c: { family: Family; network: bigint; prefix: number }): string {
  return `${formatIp(c.family, c.network)}/${c.prefix}`;
}

/** The canonical form of an address text of either family (throws AddressError). */
export function canonicalIp(text: string): string {
  const a = parseAnyIp(text);
  return formatIp(a.family, a.value);
}

export function cidrContains(c: IpCidr, a: IpAddress): boolean {
  return c.family === a.family && (a.value & maskOf6(c.family, c.prefix)) === c.network;
}

/** Same family and one contains the other. */
export function cidrsOverlap(a: IpCidr, b: IpCidr): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  return (a.network & maskOf6(a.family, p)) === (b.network & maskOf6(b.family, p));
}

/** The last address of a CIDR. */
export function lastOf(c: IpCidr): bigint {
  return c.network | (((1n << BigInt(bitsOf(c.family))) - 1n) ^ maskOf6(c.family, c.prefix));
}

/** IPv6 link-local (fe80::/10). */
export function isLinkLocal6(a: IpAddress): boolean {
  return a.family === 6 && a.value >> 118n === 0x3fan;
}
