/**
 * An address pool shared by several stacks (and engineers) in PostgreSQL. A
 * claim runs before `app.synth()` (synth is synchronous; a claim talks to the
 * database): `const ips = await pool.claim("lan", "10.88.0.0/24", holders)`,
 * then `subnet.address(ips.get(path)!, ns)`. Each claim is one transaction;
 * the table's uniqueness constraint on (pool, ip) is the compare-and-swap:
 * when another claim took an address first, the insert fails and the claim
 * starts again from the table as it is now.
 */
import { Client, ClientConfig } from "pg";
import { AddressError, formatCidr4, formatIp4, parseCidr4, parseIp4 } from "./ipv4";
import { AddressPool } from "./pool";

export interface SharedPoolOptions {
  /** A postgres:// URL or pg's client options (host may be a unix socket directory). */
  readonly connection: string | ClientConfig;
  /** Table that holds the claims; created when missing. @default "hostnet_addresses" */
  readonly table?: string;
  /** Times a claim starts again after losing a race. @default 10 */
  readonly retries?: number;
}

export interface ClaimOptions {
  /** Gateway address, never handed out; false for none. @default the first usable address */
  readonly gateway?: string | false;
}

// A claim lost the race for an address: start the transaction again.
const UNIQUE_VIOLATION = "23505";

export class SharedAddressPool {
  /** Connect, and create the table when it is missing. */
  static async connect(opts: SharedPoolOptions): Promise<SharedAddressPool> {
    const table = opts.table ?? "hostnet_addresses";
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new Error(`shared pool table "${table}": use 1-63 lowercase letters, digits or "_".`);
    const client = new Client(typeof opts.connection === "string" ? { connectionString: opts.connection } : opts.connection);
    // A dropped connection also fails the next query, which reports it; without a listener it would crash the process.
    client.on("error", () => undefined);
    await client.connect();
    const pool = new SharedAddressPool(client, table, opts.retries ?? 10);
    try {
      // CREATE TABLE IF NOT EXISTS races with itself in PostgreSQL: serialize it with a transaction-scoped advisory lock.
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`hostnet:${table}`]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${table} (pool text NOT NULL, cidr text NOT NULL, holder text NOT NULL, ip text NOT NULL, claimed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (pool, holder), UNIQUE (pool, ip))`,
      );
      await client.query("COMMIT");
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    return pool;
  }

  private constructor(
    private readonly client: Client,
    private readonly table: string,
    private readonly retries: number,
  ) {}

  /**
   * An address for every holder in pool `name` (subnet `cidr`): the one it
   * holds already, else the lowest free one. Returns holder → dotted quad.
   */
  async claim(name: string, cidr: string, holders: readonly string[], opts: ClaimOptions = {}): Promise<Map<string, string>> {
    const net = formatCidr4(parseCidr4(cidr));
    for (let attempt = 0; ; attempt++) {
      await this.client.query("BEGIN");
      try {
        const rows = (await this.client.query<{ holder: string; cidr: string; ip: string }>(`SELECT holder, cidr, ip FROM ${this.table} WHERE pool = $1`, [name])).rows;
        const other = rows.find((r) => r.cidr !== net);
        if (other) throw new AddressError(`shared pool "${name}" is ${other.cidr} in the database (held by ${other.holder}), but this stack declares ${net}. Use ${other.cidr}, or another pool name.`);
        const pool = new AddressPool(net, opts.gateway === false ? null : opts.gateway);
        const out = new Map<string, string>();
        for (const r of rows) {
          pool.reserve(parseIp4(r.ip), r.holder);
          out.set(r.holder, r.ip);
        }
        const fresh = [...new Set(holders)].filter((h) => !out.has(h));
        for (const h of fresh) {
          const ip = formatIp4(pool.allocate(h));
          await this.client.query(`INSERT INTO ${this.table} (pool, cidr, holder, ip) VALUES ($1, $2, $3, $4)`, [name, net, h, ip]);
          out.set(h, ip);
        }
        await this.client.query("COMMIT");
        return new Map(holders.map((h) => [h, out.get(h)!]));
      } catch (e) {
        await this.client.query("ROLLBACK");
        if ((e as { code?: string }).code === UNIQUE_VIOLATION && attempt < this.retries) continue;
        throw e;
      }
    }
  }

  /** Free the holders' addresses in pool `name` (an endpoint left the stack). */
  async release(name: string, holders: readonly string[]): Promise<void> {
    await this.client.query(`DELETE FROM ${this.table} WHERE pool = $1 AND holder = ANY($2)`, [name, [...holders]]);
  }

  /** Every claim in pool `name`: holder → address. */
  async list(name: string): Promise<Map<string, string>> {
    const rows = (await this.client.query<{ holder: string; ip: string }>(`SELECT holder, ip FROM ${this.table} WHERE pool = $1 ORDER BY holder`, [name])).rows;
    return new Map(rows.map((r) => [r.holder, r.ip]));
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
