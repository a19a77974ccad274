/**
 * An address pool shared by several stacks (and engineers) in PostgreSQL. A
 * claim runs before `app.synth()` (synth is synchronous; a claim talks to the
 * database):
 *
 *   const ips = await pool.claim("lan", "10.88.0.0/24", holders, { owner: stack })
 *   subnet.address(ips.get(holder)!, holder)
 *
 * Each claim is one transaction; the table's uniqueness constraint on
 * (pool, ip) is the compare-and-swap (addresses are stored as text in canonical
 * form, so IPv4 and IPv6 pools share the table and one address is one value): when another claim took an address
 * first, the insert fails and the claim starts again from the table as it is
 * now. A claim only adds: an address stays held while any deployed endpoint
 * may use it. With the stack as owner, the stack gets a "pool commit"
 * (constructs/pool-commit.ts): the deploy that removes an endpoint frees its
 * address once it has succeeded, and destroying the stack frees them all.
 */
// Types only: pg (and the fetch implementation it touches on load, ~40 ms) is loaded by connect(),
// not by every synth that imports hostnet.
import type { Client, ClientConfig } from "pg";
import { formatAnyCidr, formatIp, parseAnyCidr } from "./ip";
import { AddressError } from "./ipv4";
import { HostnetError } from "../errors";
import { clientOptions, PgTarget, pgConnection } from "./pg-connection";
import { ipPool } from "./pool6";

export interface SharedPoolOptions {
  /**
   * A libpq connection string (postgres:// URL or key=value), read as the
   * stack's pgBackend reads it (same sslmode; no password: PGPASSWORD or
   * ~/.pgpass), or pg's client options (host may be a unix socket directory).
   */
  readonly connection: string | ClientConfig;
  /** Table that holds the claims; created when missing, and migrated when it predates owners. @default "hostnet_addresses" */
  readonly table?: string;
  /** Times a claim starts again after losing a race. @default 10 */
  readonly retries?: number;
}

export interface ClaimOptions {
  /** Gateway address, never handed out; false for none. @default the first usable address */
  readonly gateway?: string | false;
  /**
   * Who claims: the stack (recommended), or a name. Holders are keyed by owner
   * (two stacks' holders never collide). A claim only adds: the owner's
   * addresses it no longer asks for stay held, since their endpoints may still
   * be deployed. With the stack as owner, the stack gets a pool commit
   * resource that frees them when the deploy removing those endpoints has
   * succeeded, and frees all of the stack's addresses when the stack is destroyed.
   * With a name, nothing is freed but by `release()`.
   * @default none: holders are shared by every claim without an owner
   */
  readonly owner?: string | PoolOwner;
}

/** A stack that owns claims: it records them and deploys the pool commit (HostnetStack). */
export interface PoolOwner {
  readonly stackName: string;
  recordPoolClaim(claim: RecordedClaim): void;
}

/** A claim as the stack's pool commit needs it: where the pool is and what the stack holds in it. */
export interface RecordedClaim {
  readonly target: PgTarget;
  readonly table: string;
  readonly pool: string;
  readonly cidr: string;
  /** holder → address */
  readonly addresses: ReadonlyMap<string, string>;
}

/** One row of the pool. `owner` is "" for claims made without one. */
export interface PoolClaim {
  readonly owner: string;
  readonly holder: string;
  readonly ip: string;
}

// A claim lost the race for an address (or two claims deadlocked): start the transaction again.
const RETRY_CODES = new Set(["23505", "40P01"]);

/**
 * Addresses shared by stacks through a PostgreSQL table: a claim is one
 * transaction with a uniqueness constraint on the address, so two stacks never
 * get the same one, even when they synthesize at the same moment.
 *
 * @example
 * ```ts
 * const pool = await SharedAddressPool.connect({ connection: "postgres://hostnet@db/hostnet" });
 * const ips = await pool.claim("lan", "10.88.0.0/24", ["web", "db"], { owner: stack.stackName });
 * await pool.close();
 * for (const [holder, ip] of ips) subnet.address(ip, holder);
 * ```
 */
export class SharedAddressPool {
  /** Connect, create the table when it is missing, and migrate a table that predates owners. */
  static async connect(opts: SharedPoolOptions): Promise<SharedAddressPool> {
    const table = opts.table ?? "hostnet_addresses";
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new HostnetError(`shared pool table "${table}": use 1-63 lowercase letters, digits or "_".`);
    let target: PgTarget;
    let config: ClientConfig;
    if (typeof opts.connection === "string") {
      target = pgConnection(opts.connection, "shared address pool").target;
      config = clientOptions(target);
    } else {
      config = opts.connection;
      const c = config;
      target = { host: c.host, port: c.port, user: c.user, database: c.database, sslmode: c.ssl ? "require" : "disable" };
    }
    // pg waits forever by default; an unreachable server should fail the synth, not hang it.
    const { Client } = await import("pg");
    const client = new Client({ connectionTimeoutMillis: 15_000, ...config });
    // A dropped connection also fails the next query, which reports it; without a listener it would crash the process.
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      const msg = (e as Error).message;
      const ssl = /\bSSL\b|no encryption/i.test(msg)
        ? ` The connection used sslmode=${target.sslmode}${typeof opts.connection === "string" && !/sslmode=/.test(opts.connection) ? " (the default when connStr names none)" : ""}: ` +
          `for a server without SSL put sslmode=disable in connStr, for one with SSL sslmode=require (or verify-full); the stack's pgBackend reads the same string.`
        : "";
      throw new HostnetError(
        `shared address pool: cannot connect to PostgreSQL at ${where(client)} (${msg}).${ssl} ` +
          `Check the connection string and that the server is up and reachable; nothing was claimed, synthesized or deployed.`,
        1,
      );
    }
    const pool = new SharedAddressPool(client, table, opts.retries ?? 10, target);
    try {
      await pool.prepareTable();
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      await client.end().catch(() => undefined);
      throw new HostnetError(
        `shared address pool: cannot prepare table "${table}" at ${where(client)} (${(e as Error).message}). The user needs the right to create and alter it; nothing was claimed.`,
        1,
      );
    }
    return pool;
  }

  private constructor(
    private readonly client: Client,
    private readonly table: string,
    private readonly retries: number,
    private readonly target: PgTarget,
  ) {}

  /**
   * An address for every holder in pool `name` (subnet `cidr`, IPv4 or IPv6):
   * the one it holds already, else the lowest free one. Returns holder →
   * address (dotted quad, or canonical IPv6 text such as "fd00:88::2").
   * All or nothing: when the pool cannot serve every holder, nothing is
   * claimed. Never frees an address (see ClaimOptions.owner).
   */
  async claim(name: string, cidr: string, holders: readonly string[], opts: ClaimOptions = {}): Promise<Map<string, string>> {
    const net = formatAnyCidr(parseAnyCidr(cidr));
    const stack = typeof opts.owner === "object" && opts.owner !== null ? opts.owner : undefined;
    const owner = checkOwner(stack ? stack.stackName : (opts.owner as string | undefined));
    const wanted = [...new Set(holders)];
    const asked = new Set(wanted);
    for (let attempt = 0; ; attempt++) {
      await this.begin(name);
      try {
        const rows = (
          await this.client.query<PoolClaim & { cidr: string }>(`SELECT owner, holder, cidr, ip FROM ${this.table} WHERE pool = $1`, [name])
        ).rows;
        const other = rows.find((r) => r.cidr !== net);
        if (other)
          throw new AddressError(
            `shared pool "${name}" is ${other.cidr} in the database (held by ${label(other)}), but this stack declares ${net}. Use ${other.cidr}, or another pool name.`,
          );
        const pool = ipPool(net, opts.gateway === false ? null : opts.gateway);
        const out = new Map<string, string>();
        // The owner's addresses it no longer asks for: their endpoints may still be deployed, so they stay held.
        let leaving = 0;
        for (const r of rows) {
          const mine = r.owner === owner;
          if (mine && asked.has(r.holder)) out.set(r.holder, r.ip);
          else if (mine) leaving++;
          pool.reserve(r.ip, label(r));
        }
        const fresh = wanted.filter((h) => !out.has(h));
        for (const [i, h] of fresh.entries()) {
          try {
            out.set(h, formatIp(pool.family, pool.allocate(label({ owner, holder: h }))));
          } catch (e) {
            if (!(e instanceof AddressError)) throw e;
            throw exhausted(name, net, pool.size, owner, fresh.length, i, h, leaving);
          }
        }
        if (fresh.length > 0) {
          await this.client.query(
            `INSERT INTO ${this.table} (pool, cidr, owner, holder, ip) SELECT $1, $2, $3, h, ip FROM unnest($4::text[], $5::text[]) AS u(h, ip)`,
            [name, net, owner, fresh, fresh.map((h) => out.get(h)!)],
          );
        }
        await this.client.query("COMMIT");
        const result = new Map(holders.map((h) => [h, out.get(h)!]));
        stack?.recordPoolClaim({ target: this.target, table: this.table, pool: name, cidr: net, addresses: result });
        return result;
      } catch (e) {
        await this.client.query("ROLLBACK").catch(() => undefined);
        if (e instanceof AddressError) throw e;
        const code = (e as { code?: string }).code;
        if (code !== undefined && RETRY_CODES.has(code)) {
          if (attempt < this.retries) continue;
          throw new HostnetError(
            `shared pool "${name}": lost the race for ` +
              `addresses ${attempt + 1} times in a row to other stacks claiming at the same moment. Nothing was claimed; synthesize again, ` +
              `or raise the retries option.`,
            1,
          );
        }
        throw failed(name, "claim", this.client, e);
      }
    }
  }

  /** Free the holders' addresses in pool `name` (claims made by `owner`, or without one). */
  async release(name: string, holders: readonly string[], opts: { readonly owner?: string } = {}): Promise<void> {
    const owner = checkOwner(opts.owner);
    try {
      await this.client.query(`DELETE FROM ${this.table} WHERE pool = $1 AND owner = $2 AND holder = ANY($3)`, [name, owner, [...holders]]);
    } catch (e) {
      throw failed(name, "release", this.client, e);
    }
  }

  /** The claims of one owner (or, without one, the claims made without an owner) in pool `name`: holder → address. */
  async list(name: string, opts: { readonly owner?: string } = {}): Promise<Map<string, string>> {
    const owner = checkOwner(opts.owner);
    const rows = (
      await this.client.query<{ holder: string; ip: string }>(`SELECT holder, ip FROM ${this.table} WHERE pool = $1 AND owner = $2 ORDER BY holder`, [
        name,
        owner,
      ])
    ).rows;
    return new Map(rows.map((r) => [r.holder, r.ip]));
  }

  /** Every claim in pool `name`, whoever made it, by owner and holder. */
  async claims(name: string): Promise<PoolClaim[]> {
    return (await this.client.query<PoolClaim>(`SELECT owner, holder, ip FROM ${this.table} WHERE pool = $1 ORDER BY owner, holder`, [name])).rows;
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  private async begin(name: string): Promise<void> {
    try {
      await this.client.query("BEGIN");
    } catch (e) {
      throw failed(name, "claim", this.client, e);
    }
  }

  // Holders are keyed by (pool, owner, holder); tables from before owners were keyed by (pool, holder) and are migrated.
  private async prepareTable(): Promise<void> {
    const { client, table } = this;
    // CREATE TABLE IF NOT EXISTS races with itself in PostgreSQL: serialize it (and the migration) with a transaction-scoped advisory lock.
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`hostnet:${table}`]);
    await client.query(
      `CREATE TABLE IF NOT ` +
        `EXISTS ${table} (pool text NOT NULL, cidr text NOT NULL, owner text NOT NULL DEFAULT '', holder text NOT NULL, ip text NOT NULL, ` +
        `claimed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (pool, owner, holder), UNIQUE (pool, ip))`,
    );
    // Look before altering: ALTER TABLE locks the table against every claim, even when it changes nothing.
    const { rows } = await client.query<{ has_owner: boolean; pkey: string | null; pkey_columns: string[] | null }>(
      `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'owner' AND NOT attisdropped) AS has_owner,
              (SELECT conname::text FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'p') AS pkey,
              (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                WHERE c.conrelid = to_regclass($1) AND c.contype = 'p') AS pkey_columns`,
      [table],
    );
    const { has_owner, pkey, pkey_columns } = rows[0];
    if (!has_owner) await client.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS owner text NOT NULL DEFAULT ''`);
    if ((pkey_columns ?? []).join(",") !== "holder,owner,pool") {
      await client.query(
        `ALTER TABLE ${table} ${pkey ? `DROP CONSTRAINT ${client.escapeIdentifier(pkey)}, ` : ""}ADD PRIMARY KEY (pool, owner, holder)`,
      );
    }
    await client.query("COMMIT");
  }
}

function checkOwner(owner: string | undefined): string {
  if (owner === undefined) return "";
  if (typeof owner !== "string" || owner.length === 0 || owner.length > 200) {
    throw new HostnetError(`shared pool owner ${JSON.stringify(owner)}: use a non-empty name of at most 200 characters, normally the stack's name.`);
  }
  return owner;
}

function label(c: { owner: string; holder: string }): string {
  return c.owner ? `${c.holder} (owner "${c.owner}")` : c.holder;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "es"}`;
}

function exhausted(
  name: string,
  net: string,
  size: bigint,
  owner: string,
  asked: number,
  free: number,
  first: string,
  leaving: number,
): AddressError {
  const who = owner ? `owner "${owner}"` : "this claim";
  const available =
    free === 0 ? `none of its ${size} usable addresses is free` : `only ${free} of its ${size} usable addresses ${free === 1 ? "is" : "are"} free`;
  const held =
    leaving > 0
      ? ` ${plural(leaving, "address")} of ${who} belong to endpoints that left the stack but may still be deployed: they are freed when the deploy that removes them succeeds.`
      : "";
  return new AddressError(
    `shared pool "${name}" (${net}) is exhausted: ${who} asks for ${plural(asked, "new address")} but ${available} (first holder left without one: ${first}). Nothing was claimed.${held} ` +
      `Free addresses (remove endpoints from a stack that holds them and deploy it, or pool.release()), or use another pool with a larger CIDR.`,
  );
}

// Where the pool lives, for messages: never the password.
function where(c: Client): string {
  const host = c.host?.startsWith("/") ? `${c.host}/.s.PGSQL.${c.port}` : `${c.host}:${c.port}`;
  return `${c.user ?? "?"}@${host}/${c.database ?? c.user ?? "?"}`;
}

// A claim or release is one statement or transaction: it took effect entirely or not at all, and repeating it is safe.
function failed(name: string, what: string, c: Client, e: unknown): HostnetError {
  return new HostnetError(
    `shared pool "${name}": ` +
      `the ${what} failed ` +
      `at ${where(c)} ` +
      `(${(e as Error).message}). It took effect entirely or not at all; check that PostgreSQL is reachable and synthesize again (a ` +
      `repeated claim returns the same addresses).`,
    1,
  );
}
