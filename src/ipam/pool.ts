import { Bitmap } from "./bitmap";
import { AddressError, broadcastOf, Cidr4, cidrSize, contains, formatCidr4, formatIp4, parseCidr4, parseIp4 } from "./ipv4";

/** Who holds an address, for error messages ("held by hostA/web/veth"). */
export type Holder = string;

/**
 * IPv4 address management for one subnet: a bitmap over the host range,
 * lowest free address first. The network and broadcast addresses are never
 * handed out (except in /31 and /32, which have none), and the gateway is reserved.
 */
export class AddressPool {
  readonly cidr: Cidr4;
  readonly gateway?: number;
  private readonly used: Bitmap;
  private readonly holders = new Map<number, Holder>();
  private readonly first: number;
  private readonly last: number;

  constructor(cidr: string, gateway?: string | null) {
    this.cidr = parseCidr4(cidr);
    const size = cidrSize(this.cidr);
    if (this.cidr.prefix < 8) throw new AddressError(`subnet ${cidr} is larger than /8; hostnet manages subnets of /8 to /32.`);
    const hasEnds = this.cidr.prefix <= 30;
    this.first = this.cidr.network + (hasEnds ? 1 : 0);
    this.last = broadcastOf(this.cidr) - (hasEnds ? 1 : 0);
    this.used = new Bitmap(size);
    if (gateway !== null) {
      const gw = gateway === undefined ? this.first : parseIp4(gateway);
      if (!contains(this.cidr, gw)) {
        throw new AddressError(
          `gateway ${formatIp4(gw)} is outside subnet ${formatCidr4(this.cidr)}. Pick an address inside it, e.g. ${formatIp4(this.first)}.`,
        );
      }
      this.checkAssignable(gw, "gateway");
      this.gateway = gw;
      this.mark(gw, "gateway");
    }
  }

  get size(): number {
    return this.last - this.first + 1;
  }

  /** Hand out the lowest free address. */
  allocate(holder: Holder): number {
    const slot = this.used.firstClear(this.first - this.cidr.network);
    if (slot === -1 || this.cidr.network + slot > this.last) {
      throw new AddressError(
        `subnet ${formatCidr4(this.cidr)} is exhausted: all ${this.size} usable addresses are taken (asked by ${holder}). Use a larger subnet or free an address.`,
      );
    }
    const ip = this.cidr.network + slot;
    this.mark(ip, holder);
    return ip;
  }

  /** Claim a given address; throws when it is outside the subnet, not assignable or held already. */
  reserve(address: string | number, holder: Holder): number {
    const ip = typeof address === "number" ? address : parseIp4(address);
    if (!contains(this.cidr, ip)) {
      throw new AddressError(
        `address ${formatIp4(ip)} (for ${holder}) is outside subnet ${formatCidr4(this.cidr)}. Use an address inside it or allocate one with subnet.allocate().`,
      );
    }
    this.checkAssignable(ip, holder);
    const prev = this.holders.get(ip);
    if (prev !== undefined) {
      throw new AddressError(`address ${formatIp4(ip)} is assigned twice: to ${prev} and to ${holder}. Give one of them another address.`);
    }
    this.mark(ip, holder);
    return ip;
  }

  holderOf(ip: number): Holder | undefined {
    return this.holders.get(ip);
  }

  /** Free an address (never the gateway); a no-op when it is free already. */
  release(ip: number): void {
    if (ip === this.gateway || !this.holders.has(ip)) return;
    this.used.clear(ip - this.cidr.network);
    this.holders.delete(ip);
  }

  private checkAssignable(ip: number, holder: Holder): void {
    if (this.cidr.prefix <= 30 && ip === this.cidr.network) {
      throw new AddressError(
        `address ${formatIp4(ip)} (for ${holder}) is the network address of ${formatCidr4(this.cidr)} and cannot be assigned. Use an address from ${formatIp4(this.first)} to ${formatIp4(this.last)}.`,
      );
    }
    if (this.cidr.prefix <= 30 && ip === broadcastOf(this.cidr)) {
      throw new AddressError(
        `address ${formatIp4(ip)} ` +
          `(for ${holder}) is the broadcast address ` +
          `of ${formatCidr4(this.cidr)} and cannot be assigned. Use an address from ${formatIp4(this.first)} to ${formatIp4(this.last)}.`,
      );
    }
  }

  private mark(ip: number, holder: Holder): void {
    this.used.set(ip - this.cidr.network);
    this.holders.set(ip, holder);
  }
}
