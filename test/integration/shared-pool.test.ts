/**
 * Issue 7, team scale: an address pool shared by several stacks in a real
 * PostgreSQL server, and Terraform state in PostgreSQL through HostnetStack's
 * pgBackend (Terraform's built-in pg backend).
 */
import { App } from "cdktf";
import { Client } from "pg";
import { HostnetStack, Subnet } from "../../constructs";
import { SharedAddressPool } from "../../src/ipam/shared-pool";
import { CdktfProject, expectSuccess } from "./support/cdktf-project";
import { startPostgres, TestPostgres } from "./support/postgres";

let pg: TestPostgres;
const pools: SharedAddressPool[] = [];
const connect = async (table?: string) => {
  const p = await SharedAddressPool.connect({ connection: { host: pg.socketDir, user: pg.user, database: "postgres" }, table });
  pools.push(p);
  return p;
};

beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);

afterAll(async () => {
  for (const p of pools) await p.close().catch(() => undefined);
  if (pg) await pg.stop();
}, 60_000);

describe("shared address pool in PostgreSQL", () => {
  test("a holder keeps its address across claims; a new holder gets the lowest free one", async () => {
    const pool = await connect("t_keep");
    expect([...(await pool.claim("lan", "10.90.0.0/24", ["s1/a/web", "s1/a/db"]))]).toEqual([
      ["s1/a/web", "10.90.0.2"],
      ["s1/a/db", "10.90.0.3"],
    ]);
    expect([...(await pool.claim("lan", "10.90.0.0/24", ["s2/a/api", "s1/a/db", "s1/a/web"]))]).toEqual([
      ["s2/a/api", "10.90.0.4"],
      ["s1/a/db", "10.90.0.3"],
      ["s1/a/web", "10.90.0.2"],
    ]);
  });

  test("a released address is reused lowest first", async () => {
    const pool = await connect("t_release");
    await pool.claim("lan", "10.90.0.0/24", ["a", "b", "c"]);
    await pool.release("lan", ["b"]);
    expect((await pool.claim("lan", "10.90.0.0/24", ["d"])).get("d")).toBe("10.90.0.3");
    expect([...(await pool.list("lan")).keys()]).toEqual(["a", "c", "d"]);
  });

  test("an IPv6 pool hands out canonical addresses lowest free first (gateway ::1, never ::0), beside an IPv4 pool in one table", async () => {
    const pool = await connect("t_v6");
    expect([...(await pool.claim("lan6", "FD00:90:0::/64", ["web", "db", "cache"]))]).toEqual([
      ["web", "fd00:90::2"],
      ["db", "fd00:90::3"],
      ["cache", "fd00:90::4"],
    ]);
    expect([...(await pool.claim("lan", "10.90.0.0/24", ["web"]))]).toEqual([["web", "10.90.0.2"]]);
    await pool.release("lan6", ["db"]);
    expect([...(await pool.claim("lan6", "fd00:90::/64", ["new", "web"]))]).toEqual([
      ["new", "fd00:90::3"],
      ["web", "fd00:90::2"],
    ]);
    await expect(pool.claim("lan6", "fd00:91::/64", ["x"])).rejects.toThrow(
      /^shared pool "lan6" is fd00:90::\/64 in the database \(held by \w+\), but this stack declares fd00:91::\/64\./,
    );
    const clients = await Promise.all(Array.from({ length: 4 }, () => connect("t_v6")));
    const results = await Promise.all(
      clients.map((c, i) =>
        c.claim(
          "race6",
          "fd00:92::/64",
          Array.from({ length: 15 }, (_, j) => `s${i}/e${j}`),
        ),
      ),
    );
    const all = results.flatMap((m) => [...m.values()]);
    expect(new Set(all).size).toBe(60);
    expect(all.every((ip) => /^fd00:92::([2-9a-f]|[1-3][0-9a-f])$/.test(ip))).toBe(true);
  }, 60_000);

  test("stacks claiming at the same time from separate connections never get the same address", async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => connect("t_race")));
    const results = await Promise.all(
      clients.map((c, i) =>
        c.claim(
          "lan",
          "10.91.0.0/24",
          Array.from({ length: 20 }, (_, j) => `s${i}/a/e${j}`),
        ),
      ),
    );
    const all = results.flatMap((m) => [...m.values()]);
    expect(all).toHaveLength(120);
    expect(new Set(all).size).toBe(120);
    expect((await clients[0].list("lan")).size).toBe(120);
  }, 60_000);

  test("a claim with another CIDR than the pool's is refused naming both", async () => {
    const pool = await connect("t_cidr");
    await pool.claim("lan", "10.92.0.0/24", ["x"]);
    await expect(pool.claim("lan", "10.93.0.0/24", ["y"])).rejects.toThrow(
      'shared pool "lan" is 10.92.0.0/24 in the database (held by x), but this stack declares 10.93.0.0/24. Use 10.92.0.0/24, or another pool name.',
    );
  });

  test("an exhausted pool names the pool and the asker", async () => {
    const pool = await connect("t_full");
    await expect(pool.claim("p2p", "192.0.2.0/30", ["a", "b"])).rejects.toThrow(
      'shared pool "p2p" (192.0.2.0/30) is exhausted: this claim asks for 2 new addresses but only 1 of its 2 usable addresses is free ' +
        "(first holder left without one: b). Nothing was claimed. Free addresses",
    );
    expect((await pool.list("p2p")).size).toBe(0);
  });

  test("a stack's claim only adds: what the stack no longer asks for stays held (its endpoint may still be deployed)", async () => {
    const pool = await connect("t_owner");
    expect([...(await pool.claim("lan", "10.97.0.0/24", ["a", "b", "c", "d"], { owner: "s1" })).values()]).toEqual([
      "10.97.0.2",
      "10.97.0.3",
      "10.97.0.4",
      "10.97.0.5",
    ]);
    await pool.claim("lan", "10.97.0.0/24", ["x"], { owner: "s2" });
    expect([...(await pool.claim("lan", "10.97.0.0/24", ["a", "c"], { owner: "s1" }))]).toEqual([
      ["a", "10.97.0.2"],
      ["c", "10.97.0.4"],
    ]);
    expect(Object.fromEntries(await pool.list("lan", { owner: "s1" }))).toEqual({ a: "10.97.0.2", b: "10.97.0.3", c: "10.97.0.4", d: "10.97.0.5" });
    // b's and d's addresses are not for others until s1's deploy (its pool commit) frees them.
    expect([...(await pool.claim("lan", "10.97.0.0/24", ["x", "y", "z"], { owner: "s2" })).values()]).toEqual([
      "10.97.0.6",
      "10.97.0.7",
      "10.97.0.8",
    ]);
    await pool.claim("lan", "10.97.0.0/24", [], { owner: "s1" });
    expect((await pool.list("lan", { owner: "s1" })).size).toBe(4);
  });

  test("holders of different stacks never collide, and one stack's release leaves the other's alone", async () => {
    const pool = await connect("t_collide");
    expect((await pool.claim("lan", "10.98.0.0/24", ["web"], { owner: "s1" })).get("web")).toBe("10.98.0.2");
    expect((await pool.claim("lan", "10.98.0.0/24", ["web"], { owner: "s2" })).get("web")).toBe("10.98.0.3");
    expect((await pool.claim("lan", "10.98.0.0/24", ["web"])).get("web")).toBe("10.98.0.4");
    await pool.release("lan", ["web"], { owner: "s1" });
    await pool.release("lan", ["web"]);
    expect(await pool.claims("lan")).toEqual([{ owner: "s2", holder: "web", ip: "10.98.0.3" }]);
    await pool.release("lan", ["web"], { owner: "s2" });
    expect(await pool.claims("lan")).toEqual([]);
  });

  test("a pool whose only free addresses belong to endpoints that left a stack is exhausted, saying they are freed by its deploy", async () => {
    const pool = await connect("t_holdback");
    // 10.99.0.0/29: .1 is the gateway, .2 to .6 are handed out.
    await pool.claim("lan", "10.99.0.0/29", ["a", "b"], { owner: "s" });
    await expect(pool.claim("lan", "10.99.0.0/29", ["c", "d", "e", "f"], { owner: "s" })).rejects.toThrow(
      'shared pool "lan" (10.99.0.0/29) is exhausted: owner "s" asks for 4 new addresses but only 3 of its 6 usable addresses are free (first holder left without one: f). Nothing was claimed. ' +
        '2 addresses of owner "s" belong to endpoints that left the stack but may still be deployed: they are freed when the deploy that removes them succeeds.',
    );
    expect(Object.fromEntries(await pool.list("lan", { owner: "s" }))).toEqual({ a: "10.99.0.2", b: "10.99.0.3" });
  });

  test("when a stack's claim cannot be served, nothing is claimed", async () => {
    const pool = await connect("t_undo");
    await pool.claim("lan", "10.99.0.0/29", ["a", "b"], { owner: "s" });
    await pool.claim("lan", "10.99.0.0/29", ["x", "y", "z"], { owner: "t" });
    await expect(pool.claim("lan", "10.99.0.0/29", ["c", "d", "e"], { owner: "s" })).rejects.toThrow(
      'shared pool "lan" (10.99.0.0/29) is exhausted: owner "s" asks for 3 new addresses but none of its 6 usable addresses is free (first ' +
        'holder left without one: c). Nothing was claimed. 2 addresses of owner "s" belong to endpoints that left the stack',
    );
    expect(await pool.claims("lan")).toEqual([
      { owner: "s", holder: "a", ip: "10.99.0.2" },
      { owner: "s", holder: "b", ip: "10.99.0.3" },
      { owner: "t", holder: "x", ip: "10.99.0.4" },
      { owner: "t", holder: "y", ip: "10.99.0.5" },
      { owner: "t", holder: "z", ip: "10.99.0.6" },
    ]);
  });

  test("stacks claiming at the same time from separate connections never share an address", async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => connect("t_race_owner")));
    const names = (from: number) => Array.from({ length: 20 }, (_, j) => `e${from + j}`);
    await Promise.all(clients.map((c, i) => c.claim("lan", "10.91.0.0/24", names(0), { owner: `s${i}` })));
    // Every stack drops its first 5 endpoints (still held until its deploy) and adds 5 new ones, all at once.
    const results = await Promise.all(clients.map((c, i) => c.claim("lan", "10.91.0.0/24", names(5), { owner: `s${i}` })));
    const all = results.flatMap((m) => [...m.values()]);
    expect(new Set(all).size).toBe(120);
    const rows = await clients[0].claims("lan");
    expect(rows).toHaveLength(150);
    expect(new Set(rows.map((r) => r.ip)).size).toBe(150);
    const e0to24 = Array.from({ length: 25 }, (_, j) => `e${j}`).sort();
    for (let i = 0; i < 6; i++) expect([...(await clients[0].list("lan", { owner: `s${i}` })).keys()].sort()).toEqual(e0to24);
  }, 60_000);

  test("a table from before owners is migrated on connect: its claims stay, holders are keyed by owner", async () => {
    const c = new Client({ host: pg.socketDir, user: pg.user, database: "postgres" });
    await c.connect();
    await c.query(
      "CREATE TABLE t_old (pool text NOT NULL, cidr text NOT NULL, holder text NOT NULL, ip text NOT NULL, claimed_at timestamptz NOT NULL " +
        "DEFAULT now(), PRIMARY KEY (pool, holder), UNIQUE (pool, ip))",
    );
    await c.query("INSERT INTO t_old (pool, cidr, holder, ip) VALUES ('lan', '10.96.0.0/24', 'web', '10.96.0.2')");
    const pool = await connect("t_old");
    await connect("t_old");
    expect(Object.fromEntries(await pool.list("lan"))).toEqual({ web: "10.96.0.2" });
    expect((await pool.claim("lan", "10.96.0.0/24", ["web"], { owner: "s1" })).get("web")).toBe("10.96.0.3");
    const pkey = await c.query<{ a: string }>(
      "SELECT a.attname::text AS a FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey) WHERE " +
        "k.conrelid = 't_old'::regclass AND k.contype = 'p' ORDER BY a.attname",
    );
    await c.end();
    expect(pkey.rows.map((r) => r.a)).toEqual(["holder", "owner", "pool"]);
  });

  test("an unreachable server fails connect with a message naming where", async () => {
    const err = await SharedAddressPool.connect({ connection: "postgres://hostnet@/hostnet?host=/nonexistent-hostnet-pg" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /^shared address pool: cannot connect to PostgreSQL at hostnet@\/nonexistent-hostnet-pg\/\.s\.PGSQL\.5432\/hostnet \(.+\)\. Check the connection string/,
    );
    expect((err as Error).message).toContain("nothing was claimed, synthesized or deployed");
  });

  test.each([["postgres://hostnet:s3cret@/hostnet?host=/nonexistent-hostnet-pg"], ["host=/nonexistent-hostnet-pg user=hostnet password=s3cret"]])(
    "a password in the connection string (%s) is refused before connecting, naming the fix, never the password",
    async (connection) => {
      const err = await SharedAddressPool.connect({ connection }).catch((e: Error) => e);
      expect((err as Error).message).toMatch(
        /^shared address pool: connStr holds a password \(in (the URL|password=\.\.\.)\): .* Remove it and set PGPASSWORD \(or a line in ~\/\.pgpass, mode 0600\)/,
      );
      expect((err as Error).message).not.toContain("s3cret");
    },
  );

  test("claimed addresses reach a stack as explicit addresses, before synth", async () => {
    const pool = await connect("t_stack");
    const ips = await pool.claim("lan", "10.94.0.0/24", ["web"]);
    const app = new App({ outdir: pg.socketDir + "/out" });
    const stack = new HostnetStack(app, "s", { lockFile: false });
    const subnet = new Subnet(stack, "lan", { cidr: "10.94.0.0/24" });
    expect(subnet.address(ips.get("web")!, "web").cidr).toBe("10.94.0.2/24");
  });
});

describe("Terraform state in PostgreSQL", () => {
  let project: CdktfProject;
  afterAll(() => project?.remove());

  test("deploy stores the stack's state in its own schema, hostnet_<stack>", async () => {
    project = new CdktfProject("test/integration/fixtures/pg-backend-app.ts", "pgstate", { HOSTNET_PG_URL: pg.url });
    expectSuccess(await project.deploy());
    const c = new Client({ host: pg.socketDir, user: pg.user, database: "postgres" });
    await c.connect();
    const rows = (await c.query<{ name: string; data: string }>("SELECT name, data FROM hostnet_pgstate.states")).rows;
    await c.end();
    expect(rows.map((r) => r.name)).toEqual(["default"]);
    expect(JSON.parse(rows[0].data).outputs["lan-cidr"].value).toBe("10.95.0.0/24");
  }, 300_000);
});
