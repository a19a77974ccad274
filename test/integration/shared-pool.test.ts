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

  test("stacks claiming at the same time from separate connections never get the same address", async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => connect("t_race")));
    const results = await Promise.all(clients.map((c, i) => c.claim("lan", "10.91.0.0/24", Array.from({ length: 20 }, (_, j) => `s${i}/a/e${j}`))));
    const all = results.flatMap((m) => [...m.values()]);
    expect(all).toHaveLength(120);
    expect(new Set(all).size).toBe(120);
    expect((await clients[0].list("lan")).size).toBe(120);
  }, 60_000);

  test("a claim with another CIDR than the pool's is refused naming both", async () => {
    const pool = await connect("t_cidr");
    await pool.claim("lan", "10.92.0.0/24", ["x"]);
    await expect(pool.claim("lan", "10.93.0.0/24", ["y"])).rejects.toThrow('shared pool "lan" is 10.92.0.0/24 in the database (held by x), but this stack declares 10.93.0.0/24. Use 10.92.0.0/24, or another pool name.');
  });

  test("an exhausted pool names the pool and the asker", async () => {
    const pool = await connect("t_full");
    await expect(pool.claim("p2p", "192.0.2.0/30", ["a", "b"])).rejects.toThrow("subnet 192.0.2.0/30 is exhausted: all 2 usable addresses are taken (asked by b).");
    expect((await pool.list("p2p")).size).toBe(0);
  });

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

  test("deploy stores the stack's state in the pg backend's schema", async () => {
    project = new CdktfProject("test/integration/fixtures/pg-backend-app.ts", "pgstate", { HOSTNET_PG_URL: pg.url });
    expectSuccess(await project.deploy());
    const c = new Client({ host: pg.socketDir, user: pg.user, database: "postgres" });
    await c.connect();
    const rows = (await c.query<{ name: string; data: string }>("SELECT name, data FROM terraform_remote_state.states")).rows;
    await c.end();
    expect(rows.map((r) => r.name)).toEqual(["default"]);
    expect(JSON.parse(rows[0].data).outputs["lan-cidr"].value).toBe("10.95.0.0/24");
  }, 300_000);
});
