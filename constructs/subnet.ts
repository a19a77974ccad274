import { Construct, IConstruct } from "constructs";
import { AddressPool } from "../src/ipam/pool";
import { AddressError, contains, formatCidr4, formatIp4, parseIp4 } from "../src/ipam/ipv4";

/** An IPv4 address with the prefix length of its subnet, as an interface carries it. */
export class Address {
  constructor(
    /** Dotted quad, e.g. "10.88.0.2". */
    readonly ip: string,
    readonly prefix: number,
    /** The subnet it was allocated from, when it came from IPAM. */
    readonly subnet?: Subnet,
  ) {}

  /** "10.88.0.2/24" */
  get cidr(): string {
    return `${this.ip}/${this.prefix}`;
  }

  toString(): string {
    return this.cidr;
  }
}

export interface SubnetProps {
  /** The network, e.g. "10.88.0.0/24". Host bits must be zero. */
  readonly cidr: string;
  /**
   * Gateway address, reserved and never handed out; `false` for none.
   * @default the first usable address
   */
  readonly gateway?: string | false;
}

/**
 * An IPv4 subnet with IPAM: a bitmap of its addresses, lowest free first. The
 * network and broadcast addresses are never handed out and the gateway is
 * reserved. Allocation happens in declaration order at synth.
 */
export class Subnet extends Construct {
  readonly cidr: string;
  readonly prefix: number;
  /** The gateway address, when the subnet has one. */
  readonly gateway?: Address;
  private readonly pool?: AddressPool;
  private readonly errors: string[] = [];

  constructor(scope: Construct, id: string, props: SubnetProps) {
    super(scope, id);
    this.cidr = props.cidr;
    this.prefix = 32;
    try {
      this.pool = new AddressPool(props.cidr, props.gateway === false ? null : props.gateway);
      this.cidr = formatCidr4(this.pool.cidr);
      this.prefix = this.pool.cidr.prefix;
      if (this.pool.gateway !== undefined) this.gateway = new Address(formatIp4(this.pool.gateway), this.prefix, this);
    } catch (e) {
      this.fail(e);
    }
    this.node.addValidation({ validate: () => this.errors.map((m) => `${this.node.path}: ${m}`) });
  }

  /** The next free address, for `holder` (a construct or a label, used in error messages). */
  allocate(holder?: IConstruct | string): Address {
    const who = holderName(holder);
    if (!this.pool) return this.placeholder();
    try {
      return new Address(formatIp4(this.pool.allocate(who)), this.prefix, this);
    } catch (e) {
      this.fail(e);
      return this.placeholder();
    }
  }

  /** A given address, checked: inside the subnet, not network/broadcast, not taken. */
  address(ip: string, holder?: IConstruct | string): Address {
    const who = holderName(holder);
    if (!this.pool) return this.placeholder();
    try {
      return new Address(formatIp4(this.pool.reserve(ip, who)), this.prefix, this);
    } catch (e) {
      this.fail(e);
      return this.placeholder();
    }
  }

  /** True when the address lies in this subnet. */
  contains(ip: string): boolean {
    if (!this.pool) return false;
    try {
      return contains(this.pool.cidr, parseIp4(ip));
    } catch {
      return false;
    }
  }

  private fail(e: unknown): void {
    if (!(e instanceof AddressError)) throw e;
    this.errors.push(e.message);
  }

  private placeholder(): Address {
    return new Address("0.0.0.0", 32, this);
  }
}

function holderName(holder?: IConstruct | string): string {
  if (holder === undefined) return "an unnamed endpoint";
  return typeof holder === "string" ? holder : holder.node.path;
}
