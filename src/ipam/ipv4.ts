/** IPv4 address and CIDR arithmetic on plain numbers. Parsing goes through ip-address. */
import { Address4, Address6 } from "ip-address";
import { HostnetError } from "../errors";

export interface Cidr4 {
  /** Network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefix: number;
}

/** An address, CIDR or pool that cannot be used; the message names the value and the fix. */
export class AddressError extends HostnetError {}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Parse a dotted-quad IPv4 address; throws AddressError with a fix for anything else (IPv6 included: a caller
 * that takes both families parses with ip.ts; one that gets here wants IPv4, and says why in its own prop's docs).
 */
export function parseIp4(text: string): number {
  // The common case, decided without ip-address (synth parses each address several times): four parts
  // 0-255 without leading zeros is an address; anything else goes the long way, which names what is wrong.
  const q = typeof text === "string" ? DOTTED_QUAD.exec(text) : null;
  if (q !== null) {
    let n = 0;
    for (let i = 1; i <= 4 && n >= 0; i++) n = q[i].length > 1 && q[i][0] === "0" ? -1 : Number(q[i]) > 255 ? -1 : n * 256 + Number(q[i]);
    if (n >= 0) return n;
  }
  if (q === null || !Address4.isValid(text)) {
    if (typeof text === "string" && Address6.isValid(text)) {
      throw new AddressError(`"${text}" is an IPv6 address; this value must be IPv4. Use an IPv4 address such as 10.0.0.1.`);
    }
    throw new AddressError(`"${text}" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`);
  }
  // Four numbers ip-address takes, which the common case above did not: one is over 255 or has a leading zero.
  throw new AddressError(`"${text}" is not an IPv4 address. Each part is 0-255 without leading zeros.`);
}

export function formatIp4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parse "a.b.c.d/len". With `strict`, host bits must be zero (a network is expected). */
export function parseCidr4(text: string, strict = true): Cidr4 & { address: number } {
  if (typeof text === "string" && text.includes(":")) {
    throw new AddressError(`"${text}" is an IPv6 prefix; this value must be an IPv4 CIDR. Use one such as 10.0.0.0/24.`);
  }
  const m = typeof text === "string" ? /^([^/]+)\/(\d{1,2})$/.exec(text) : null;
  if (!m) throw new AddressError(`"${text}" is not a CIDR. Write it as address/prefix, e.g. 10.0.0.0/24.`);
  const address = parseIp4(m[1]);
  const prefix = Number(m[2]);
  // iproute2 reads a prefix length with a leading zero as octal: "/08" would pass here and fail on the host.
  if (m[2].length > 1 && m[2].startsWith("0"))
    throw new AddressError(`"${text}" has a prefix length with a leading zero; write it as ${m[1]}/${prefix}.`);
  if (prefix > 32) throw new AddressError(`"${text}" has prefix length ${prefix}; IPv4 allows 0-32.`);
  const network = (address & maskOf(prefix)) >>> 0;
  if (strict && network !== address) {
    throw new AddressError(`"${text}" has host bits set; the network is ${formatIp4(network)}/${prefix}. Use that.`);
  }
  return { network, prefix, address };
}

export function cidrSize(c: Cidr4): number {
  return 2 ** (32 - c.prefix);
}

export function broadcastOf(c: Cidr4): number {
  return (c.network + cidrSize(c) - 1) >>> 0;
}

export function contains(c: Cidr4, ip: number): boolean {
  return (ip & maskOf(c.prefix)) >>> 0 === c.network;
}

export function overlaps(a: Cidr4, b: Cidr4): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.network & maskOf(p)) >>> 0 === (b.network & maskOf(p)) >>> 0;
}

export function formatCidr4(c: Cidr4): string {
  return `${formatIp4(c.network)}/${c.prefix}`;
}
