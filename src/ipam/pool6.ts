import { Family, formatAnyCidr, formatIp, IpCidr, lastOf, parseAnyCidr, parseIp6 } from "./ip";
import { AddressError, formatIp4 } from "./ipv4";
import { AddressPool, Holder } from "./pool";

/**
 * One subnet's address management as IPAM callers see it, for either family:
 * addresses are bigints (32 or 128 bits). The IPv4 pool keeps its bitmap
 * (ipv4Pool wraps it); the IPv6 pool is sparse (AddressPool6).
 */
export interface IpPool {
  readonly family: Family;
  readonly cidr: IpCidr;
  readonly gateway?: bigint;
  /** Usable addresses (gateway included). */
  readonly size: bigint;
  /** The lowest free address; throws AddressError when none is left. */
  allocate(holder: Holder): bigint;
  /** Claim a given address; throws AddressError when it is of the other family, outside, not assignable or held. */
  reserve(address: string | bigint, holder: Holder): bigint;
  holderOf(ip: bigint): Holder | undefined;
  /** Free an address (never the gateway); a no-op when it is free already. */
  release(ip: bigint): void;
}

/** The pool for `cidr` of either family (IPv4: a bitmap, /8 to /32; IPv6: sparse, any prefix). Throws AddressError. */
export function ipPool(cidr: string, gateway?: string | null): IpPool {
  const net = parseAnyCidr(cidr);
  if (typeof gateway === "string") checkFamily(net, gateway, "gateway");
  return net.family === 6 ? new AddressPool6(cidr, gateway) : new Pool4(new AddressPool(cidr, gateway));
}

/**
 * IPv6 addresses for one subnet without a bitmap (a /64 has 2^64 addresses): a
 * map of the held addresses and the lowest address that may be free; every
 * address below it is held. Allocation walks up from there over held
 * addresses only, so its cost grows with the addresses handed out, never with
 * the size of the subnet. The subnet-router anycast address (the all-zero
 * interface id, RFC 4291 2.6.1) is never handed out, except in /127 and /128
 * (RFC 6164); IPv6 has no broadcast address. The gateway (default ::1 of the
 * subnet) is reserved.
 */
export class AddressPool6 implements IpPool {
  readonly family = 6;
  readonly cidr: IpCidr;
  readonly gateway?: bigint;
  private readonly holders = new Map<bigint, Holder>();
  private readonly first: bigint;
  private readonly last: bigint;
  private next: bigint;

  constructor(cidr: string, gateway?: string | null) {
    this.cidr = parseAnyCidr(cidr);
    if (this.cidr.family !== 6) throw new AddressError(`"${cidr}" is an IPv4 subnet; AddressPool6 manages IPv6 subnets.`);
    this.first = this.cidr.network + (this.cidr.prefix <= 126 ? 1n : 0n);
    this.last = lastOf(this.cidr);
    this.next = this.first;
    if (gateway !== null) {
      const gw = gateway === undefined ? this.first : this.parse(gateway, "gateway");
      if (!this.inside(gw)) {
        throw new AddressError(
          `gateway ${formatIp(6, gw)} is outside subnet ${formatAnyCidr(this.cidr)}. Pick an address inside it, e.g. ${formatIp(6, this.first)}.`,
        );
      }
      this.checkAssignable(gw, "gateway");
      this.gateway = gw;
      this.holders.set(gw, "gateway");
    }
  }

  get size(): bigint {
    return this.last - this.first + 1n;
  }

  allocate(holder: Holder): bigint {
    while (this.next <= this.last && this.holders.has(this.next)) this.next++;
    if (this.next > this.last) {
      throw new AddressError(
        `subnet ${formatAnyCidr(this.cidr)} is exhausted: all ${this.size} usable addresses are taken (asked by ${holder}). Use a larger subnet or free an address.`,
      );
    }
    const ip = this.next++;
    this.holders.set(ip, holder);
    return ip;
  }

  reserve(address: string | bigint, holder: Holder): bigint {
    const ip = typeof address === "bigint" ? address : this.parse(address, `address (for ${holder})`);
    if (!this.inside(ip)) {
      throw new AddressError(
        `address ${formatIp(6, ip)} (for ${holder}) is outside subnet ${formatAnyCidr(this.cidr)}. Use an address inside it or allocate one with subnet.allocate().`,
      );
    }
    this.checkAssignable(ip, holder);
    const prev = this.holders.get(ip);
    if (prev !== undefined) {
      throw new AddressError(`address ${formatIp(6, ip)} is assigned twice: to ${prev} and to ${holder}. Give one of them another address.`);
    }
    this.holders.set(ip, holder);
    return ip;
  }

  holderOf(ip: bigint): Holder | undefined {
    return this.holders.get(ip);
  }

  release(ip: bigint): void {
    if (ip === this.gateway || !this.holders.has(ip)) return;
    this.holders.delete(ip);
    if (ip < this.next) this.next = ip;
  }

  private parse(text: string, what: string): bigint {
    checkFamily(this.cidr, text, what);
    return parseIp6(text);
  }

  private inside(ip: bigint): boolean {
    return ip >= this.cidr.network && ip <= this.last;
  }

  private checkAssignable(ip: bigint, holder: Holder): void {
    if (this.cidr.prefix <= 126 && ip === this.cidr.network) {
      throw new AddressError(
        `address ${formatIp(6, ip)} (for ${holder}) is the subnet-router anycast address of ${formatAnyCidr(this.cidr)} and cannot be assigned. ` +
          `Use an address from ${formatIp(6, this.first)} to ${formatIp(6, this.last)}.`,
      );
    }
  }
}

/** The IPv4 bitmap pool behind the IpPool interface. */
class Pool4 implements IpPool {
  readonly family = 4;
  readonly cidr: IpCidr;
  readonly gateway?: bigint;

  constructor(private readonly pool: AddressPool) {
    this.cidr = { family: 4, network: BigInt(pool.cidr.network), prefix: pool.cidr.prefix, address: BigInt(pool.cidr.network) };
    if (pool.gateway !== undefined) this.gateway = BigInt(pool.gateway);
  }

  get size(): bigint {
    return BigInt(this.pool.size);
  }

  allocate(holder: Holder): bigint {
    return BigInt(this.pool.allocate(holder));
  }

  reserve(address: string | bigint, holder: Holder): bigint {
    if (typeof address === "string") checkFamily(this.cidr, address, `address (for ${holder})`);
    return BigInt(this.pool.reserve(typeof address === "bigint" ? Number(address) : address, holder));
  }

  holderOf(ip: bigint): Holder | undefined {
    return this.pool.holderOf(Number(ip));
  }

  release(ip: bigint): void {
    this.pool.release(Number(ip));
  }
}

/** An address of the other family than its subnet, named with the fix. */
function checkFamily(net: IpCidr, text: string, what: string): void {
  const isV6 = typeof text === "string" && text.includes(":");
  if (isV6 === (net.family === 6)) return;
  const example = net.family === 4 ? formatIp4(Number(net.network) + 1) : formatIp(6, net.network + 1n);
  throw new AddressError(
    `${what} "${text}" is IPv${isV6 ? 6 : 4} but subnet ${formatAnyCidr(net)} is IPv${net.family}. ` +
      `Use an IPv${net.family} address inside it (e.g. ${example}), or put it in an IPv${isV6 ? 6 : 4} subnet.`,
  );
}
