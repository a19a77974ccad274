import { Construct, IConstruct } from "constructs";
import { ipPool, IpPool } from "../src/ipam/pool6";
import { AddressError } from "../src/ipam/ipv4";
import { parseAnyAddress } from "../src/validate/address";
import { cidrContains, Family, familyOf, formatAnyCidr, formatIp } from "../src/ipam/ip";
import { checkLocked, LockedSubnet } from "../src/ipam/lock";
import { AddressRequest, Assignment, StableAllocator } from "../src/ipam/stable";
import { HostnetStack } from "./hostnet-stack";
import { brand, hasBrand } from "./guard";
import { addProblems } from "./problems";
import { displayPath } from "../src/text";

/**
 * An IPv4 or IPv6 address with the prefix length of its subnet, as an interface carries it.
 * An address from IPAM is settled when it is first read (normally at synth),
 * once every holder in the subnet has asked: see Subnet. Its `family` is known
 * at once (reading it never settles the subnet).
 */
export class Address {
  /** 4 or 6: the address family, known without settling the address. */
  readonly family: Family;
  private readonly resolve: () => { ip: string; prefix: number };

  constructor(
    /** "10.88.0.2" or "fd00:88::2", or a function that settles it later. IPv6 text is kept in canonical form (RFC 5952). */
    ip: string | (() => { ip: string; prefix: number }),
    prefix: number,
    /** The subnet it was allocated from, when it came from IPAM. */
    readonly subnet?: Subnet,
    /** The family of a lazily settled address. @default the family of the ip text, else of the subnet, else 4 */
    family?: Family,
  ) {
    if (typeof ip === "string") {
      this.family = family ?? familyOf(ip) ?? (ip.includes(":") ? 6 : 4);
      const text = this.family === 6 ? canonical(ip) : ip;
      this.resolve = () => ({ ip: text, prefix });
    } else {
      this.family = family ?? subnet?.family ?? 4;
      this.resolve = ip;
    }
  }

  /** The address text, e.g. "10.88.0.2" or "fd00:88::2" (canonical). */
  get ip(): string {
    return this.resolve().ip;
  }

  get prefix(): number {
    return this.resolve().prefix;
  }

  /** "10.88.0.2/24" or "fd00:88::2/64" */
  get cidr(): string {
    return `${this.ip}/${this.prefix}`;
  }

  toString(): string {
    return this.cidr;
  }
}

export interface SubnetProps {
  /** The network, IPv4 ("10.88.0.0/24", /8 to /32) or IPv6 ("fd00:88::/64", any prefix). Host bits must be zero. */
  readonly cidr: string;
  /**
   * Gateway address (of the subnet's family), reserved and never handed out; `false` for none.
   * @default the first usable address: 10.88.0.1 in 10.88.0.0/24, fd00:88::1 in fd00:88::/64
   */
  readonly gateway?: string | false;
}

const SUBNET = Symbol.for("hostnet.Subnet");

/**
 * A subnet of one family, IPv4 or IPv6, with IPAM: lowest free address first,
 * the gateway reserved.
 *
 * - IPv4: a bitmap of the addresses; the network and broadcast addresses are
 *   never handed out (except in /31 and /32).
 * - IPv6: a sparse set of the addresses handed out, so a /64 costs what its
 *   holders cost, not 2^64 bits. IPv6 has no broadcast; the subnet-router
 *   anycast address (`fd00:88::` in fd00:88::/64) is never handed out (except
 *   in /127 and /128), and the gateway defaults to `::1` of the subnet.
 *
 * Dual stack is two subnets, one per family, as in Docker (`--subnet` given
 * twice, one per family), CNI host-local (`ranges`: one range set per family,
 * one address from each) and Calico (one IP pool per family): an interface
 * that takes both gets one address from each, e.g. `lan.allocate(web)` and
 * `lan6.allocate(web)`. The same holder can hold one address in each subnet;
 * each subnet records its own in the lock file.
 *
 * Addresses are stable: `allocate()` and `address()` only record the ask, and
 * the subnet settles every ask at once when the first address is read
 * (normally at synth): explicit addresses first, then the addresses the lock
 * file (hostnet.lock.json, see HostnetStackProps.lockFile) records for their
 * holders, then new ones, lowest free first. Adding, removing or reordering
 * holders therefore never moves another holder's address.
 *
 * @example
 * ```ts
 * const lan = new Subnet(host, "lan", { cidr: "10.88.0.0/24" }); // gateway 10.88.0.1 reserved
 * const web = new Namespace(host, "web");
 * const ip = lan.allocate(web);               // lowest free address, kept in hostnet.lock.json
 * const fixed = lan.address("10.88.0.50", "db"); // an address of your choice, checked
 * const lan6 = new Subnet(host, "lan6", { cidr: "fd00:88::/64" }); // gateway fd00:88::1 reserved
 * const ip6 = lan6.allocate(web);             // fd00:88::2, also kept in hostnet.lock.json
 * ```
 */
export class Subnet extends Construct {
  /** True for a Subnet (by symbol, not instanceof). */
  static isSubnet(x: unknown): x is Subnet {
    return hasBrand(x, SUBNET);
  }

  readonly cidr: string;
  readonly prefix: number;
  /** 4 or 6: the family of the subnet's CIDR. */
  readonly family: Family;
  /** The gateway address, when the subnet has one. */
  readonly gateway?: Address;
  private readonly pool?: IpPool;
  private readonly errors: string[] = [];
  private readonly asks: Array<{ readonly req: AddressRequest; result?: Assignment }> = [];
  private readonly keys = new Map<string, number>();
  private settled = false;
  private allocator?: StableAllocator;
  private lockErrors: string[] = [];

  constructor(scope: Construct, id: string, props: SubnetProps) {
    super(scope, id);
    brand(this, SUBNET);
    this.cidr = props.cidr;
    this.prefix = 32;
    // Known before the CIDR is parsed, so even a bad IPv6 CIDR hands out inert IPv6 placeholders.
    this.family = familyOf(props.cidr) ?? (String(props.cidr).includes(":") ? 6 : 4);
    try {
      this.pool = ipPool(props.cidr, props.gateway === false ? null : props.gateway);
      this.cidr = formatAnyCidr(this.pool.cidr);
      this.prefix = this.pool.cidr.prefix;
      this.family = this.pool.family;
      if (this.pool.gateway !== undefined) this.gateway = new Address(formatIp(this.family, this.pool.gateway), this.prefix, this);
    } catch (e) {
      this.fail(e);
    }
    addProblems(this, () => {
      this.settle();
      const failed = this.asks.flatMap((a) => (a.result && "error" in a.result ? [a.result.error] : []));
      return [...this.errors, ...this.lockErrors, ...failed];
    });
  }

  /**
   * A free address for `holder` (a construct, or a label naming it in the lock
   * file and in error messages); the one the lock file records for it when
   * there is one. Without a holder the address is not recorded and may move.
   */
  allocate(holder?: IConstruct | string): Address {
    return this.ask(holder);
  }

  /**
   * A given address, checked: of the subnet's family, inside it, not network/broadcast (IPv6: not the subnet-router anycast
   * address), not taken. It wins over a recorded one and is recorded.
   */
  address(ip: string, holder?: IConstruct | string): Address {
    return this.ask(holder, ip);
  }

  /** True when the address (of either family) lies in this subnet. */
  contains(ip: string): boolean {
    const a = parseAnyAddress(ip).value;
    return this.pool !== undefined && a !== undefined && cidrContains(this.pool.cidr, a);
  }

  /** @internal What the lock file records for this subnet: holder → address. */
  lockEntry(): LockedSubnet | undefined {
    if (!this.pool) return undefined;
    this.settle();
    const addresses: Record<string, string> = {};
    for (const a of this.asks) if (a.req.key !== undefined && a.result && "ip" in a.result) addresses[a.req.key] = formatIp(this.family, a.result.ip);
    return { cidr: this.cidr, addresses };
  }

  private ask(holder: IConstruct | string | undefined, explicit?: string): Address {
    if (!this.pool) return this.placeholder();
    const entry: { req: AddressRequest; result?: Assignment } = { req: { key: this.keyOf(holder), holder: holderName(holder), explicit } };
    this.asks.push(entry);
    // Asked after the subnet settled (an address was read early): settled on its own.
    if (this.allocator) entry.result = this.allocator.late(entry.req);
    return new Address(
      () => {
        this.settle();
        const r = entry.result!;
        return "ip" in r ? { ip: formatIp(this.family, r.ip), prefix: this.prefix } : this.unset();
      },
      this.prefix,
      this,
      this.family,
    );
  }

  private settle(): void {
    if (this.settled || !this.pool) return;
    this.settled = true;
    const stack = HostnetStack.tryOf(this);
    const locked = stack?.lockedSubnet(this);
    let records: ReadonlyMap<string, bigint> = new Map();
    if (locked) {
      const checked = checkLocked(this.node.path, this.cidr, locked, displayPath(stack!.lockFile!));
      records = checked.records;
      this.lockErrors = checked.errors;
    }
    this.allocator = new StableAllocator(this.pool, records);
    const results = this.allocator.assign(this.asks.map((a) => a.req));
    this.asks.forEach((a, i) => (a.result = results[i]));
  }

  // The lock file's key: the holder's construct path (or label), "#2", "#3"... for its later asks in this subnet.
  private keyOf(holder?: IConstruct | string): string | undefined {
    if (holder === undefined) return undefined;
    const base = typeof holder === "string" ? holder : holder.node.path;
    const n = (this.keys.get(base) ?? 0) + 1;
    this.keys.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  }

  private fail(e: unknown): void {
    if (!(e instanceof AddressError)) throw e;
    this.errors.push(e.message);
  }

  private placeholder(): Address {
    const u = this.unset();
    return new Address(u.ip, u.prefix, this, this.family);
  }

  // What an address that could not be settled reads as (validation reports why): inert, of the subnet's family.
  private unset(): { ip: string; prefix: number } {
    return this.family === 6 ? { ip: "::", prefix: 128 } : { ip: "0.0.0.0", prefix: 32 };
  }
}

// Canonical text when it parses; otherwise as written, for validation to report.
function canonical(ip: string): string {
  const a = parseAnyAddress(ip).value;
  return a ? formatIp(a.family, a.value) : ip;
}

function holderName(holder?: IConstruct | string): string {
  if (holder === undefined) return "an unnamed endpoint";
  return typeof holder === "string" ? holder : holder.node.path;
}
