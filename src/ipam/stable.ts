import { parseAnyIp } from "./ip";
import { AddressError } from "./ipv4";
import type { IpPool } from "./pool6";

/** One ask for an address from a subnet. */
export interface AddressRequest {
  /** Key in the lock file (the holder's construct path or a label); none for an anonymous ask, which is never recorded. */
  readonly key?: string;
  /** Who asks, for error messages. */
  readonly holder: string;
  /** The address asked for by name (`subnet.address(ip)`); none to take a free one. */
  readonly explicit?: string;
}

/** The outcome of one request: an address or the reason there is none. */
export type Assignment = { readonly ip: bigint } | { readonly error: string };

/**
 * Hands out addresses so that a holder keeps the one recorded for it (in the
 * lock file), whatever the order holders ask in.
 *
 * `assign` takes every ask known so far: first the explicit addresses (they
 * win), then each asker's recorded address, then new addresses, lowest free
 * first. Recorded addresses of holders that have not asked are held back
 * meanwhile, for two reasons: an address may be read before every holder has
 * asked (a construct that reads `.ip` in its constructor), and a holder that
 * left the stack is destroyed in the same apply that creates a newcomer, so
 * handing its address on at once could put one address on two interfaces for
 * a moment. Its entry leaves the lock file at this synth, so the address is
 * free from the next one; a subnet that would otherwise be exhausted takes
 * held addresses back, lowest first. Works alike for both families (the pool
 * decides what is free).
 */
export class StableAllocator {
  /** Lock key → address held back for a holder that has not asked (yet). */
  private readonly held = new Map<string, bigint>();

  constructor(
    private readonly pool: IpPool,
    private readonly records: ReadonlyMap<string, bigint>,
  ) {}

  assign(requests: readonly AddressRequest[]): Assignment[] {
    const out: Array<Assignment | undefined> = requests.map(() => undefined);
    requests.forEach((r, i) => {
      if (r.explicit !== undefined) out[i] = attempt(() => this.pool.reserve(r.explicit!, r.holder));
    });
    const asking = new Set(requests.flatMap((r) => (r.key === undefined ? [] : [r.key])));
    requests.forEach((r, i) => {
      if (out[i] || r.key === undefined) return;
      const ip = this.records.get(r.key);
      // A recorded address now taken by an explicit one (or the gateway) is given up: the holder moves.
      if (ip !== undefined && this.pool.holderOf(ip) === undefined) out[i] = tryReserve(this.pool, ip, r.holder);
    });
    for (const [key, ip] of [...this.records].sort((a, b) => compare(a[1], b[1]))) {
      if (asking.has(key) || this.pool.holderOf(ip) !== undefined) continue;
      if (tryReserve(this.pool, ip, `${key} (recorded)`)) this.held.set(key, ip);
    }
    requests.forEach((r, i) => {
      out[i] ??= this.allocate(r.holder);
    });
    return out as Assignment[];
  }

  /** One more ask after `assign` (an address was read before every holder had asked). */
  late(r: AddressRequest): Assignment {
    if (r.explicit !== undefined) {
      // An explicit address wins over one merely held back for a holder that has not asked.
      const wanted = attempt(() => parseAnyIp(r.explicit!).value);
      const heldFor = "ip" in wanted ? [...this.held].find(([, ip]) => ip === wanted.ip) : undefined;
      if (heldFor) this.unhold(heldFor[0]);
      return attempt(() => this.pool.reserve(r.explicit!, r.holder));
    }
    const mine = r.key === undefined ? undefined : this.held.get(r.key);
    if (mine !== undefined) {
      this.unhold(r.key!);
      return { ip: this.pool.reserve(mine, r.holder) };
    }
    return this.allocate(r.holder);
  }

  private allocate(holder: string): Assignment {
    const a = attempt(() => this.pool.allocate(holder));
    if ("ip" in a || this.held.size === 0) return a;
    // Exhausted: take back the lowest held address.
    const [key, ip] = [...this.held].sort((x, y) => compare(x[1], y[1]))[0];
    this.unhold(key);
    return { ip: this.pool.reserve(ip, holder) };
  }

  private unhold(key: string): void {
    this.pool.release(this.held.get(key)!);
    this.held.delete(key);
  }
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function attempt(f: () => bigint): Assignment {
  try {
    return { ip: f() };
  } catch (e) {
    if (!(e instanceof AddressError)) throw e;
    return { error: e.message };
  }
}

// A recorded address that became the network or broadcast address (a resized subnet) is given up quietly.
function tryReserve(pool: IpPool, ip: bigint, holder: string): Assignment | undefined {
  const a = attempt(() => pool.reserve(ip, holder));
  return "ip" in a ? a : undefined;
}
