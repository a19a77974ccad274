/**
 * Issue 17: team mode on PostgreSQL, on two lab hosts with a real PostgreSQL
 * reached over TCP as a team's server would be: a password is required
 * (scram-sha-256, given only as PGPASSWORD), first with SSL required
 * (`hostssl` only, a self-signed certificate made here), then with SSL off.
 *
 * Two stacks (tma on host a, tmb on host b) share one connStr: each has its
 * own state (schema hostnet_<stack>) and claims its endpoints' addresses from
 * one shared pool with the stack as owner. A second working copy of tma shares
 * its state and deploys right after the first without waiting for the hook
 * lock's lease. A synth that drops an endpoint frees nothing; the deploy that
 * removes it frees its address; destroy frees all of a stack's addresses.
 */
import execa from "execa";
import { chownSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { Client } from "pg";
import { hostSnapshot, Inventory, labDown, labUp, hostExec } from "../../src/lab";
import { CdktfProject, expectSuccess, RunOutput } from "./support/cdktf-project";
import { startPostgres, TestPostgres } from "./support/postgres";
import { SharedAddressPool } from "../../src/ipam/shared-pool";

const LAB = "tm";
const INDEX = 151;
const APP = "test/integration/fixtures/pg-team-app.ts";
const PASSWORD = "tm-Secret-7f3a9c";
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const sshRoot = mkdtempSync(path.join(tmpdir(), "hostnet-ssh-"));

let pg: TestPostgres;
let db: Client;
let inv: Inventory;
const before: Record<string, string> = {};
let url: string;
const projects: CdktfProject[] = [];

function copy(stack: string, host: string, namespaces: string[], env: Record<string, string> = {}): CdktfProject {
  const p = new CdktfProject(APP, stack, {
    HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
    HOSTNET_PG_URL: url,
    HOSTNET_STACK: stack,
    HOSTNET_HOST: host,
    HOSTNET_NAMESPACES: namespaces.join(","),
    HOSTNET_SSH_DIR: path.join(sshRoot, `${stack}-${projects.length}`),
    PGPASSWORD: PASSWORD,
    ...env,
  });
  projects.push(p);
  return p;
}

/** Rewrite pg_hba.conf (the socket stays trusted for the test's own queries) and reload. */
async function serverAccess(ssl: boolean): Promise<void> {
  const hba = ["local all all trust", `${ssl ? "hostssl" : "hostnossl"} all all 127.0.0.1/32 scram-sha-256`, ""].join("\n");
  writeFileSync(path.join(pg.dataDir, "pg_hba.conf"), hba);
  await db.query(`ALTER SYSTEM SET ssl = ${ssl ? "on" : "off"}`);
  await db.query("SELECT pg_reload_conf()");
  // The reload is asynchronous: wait until the server says so.
  for (let i = 0; (await db.query<{ ssl: string }>("SHOW ssl")).rows[0].ssl !== (ssl ? "on" : "off"); i++) {
    if (i > 100) throw new Error("PostgreSQL did not reload its ssl setting");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every file under dir whose content holds the password. */
function filesHolding(dir: string, secret: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const f = path.join(d, e);
      const st = statSync(f, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(f);
      else if (st.isFile() && readFileSync(f).includes(secret)) out.push(f);
    }
  };
  walk(dir);
  return out;
}

/** Rows of the shared pool, owner → holder → address. */
async function poolRows(): Promise<Record<string, Record<string, string>>> {
  const rows = (
    await db.query<{ owner: string; holder: string; ip: string }>(
      "SELECT owner, holder, ip FROM hostnet_addresses WHERE pool = 'lan' ORDER BY owner, holder",
    )
  ).rows;
  const out: Record<string, Record<string, string>> = {};
  for (const r of rows) (out[r.owner] ??= {})[r.holder] = r.ip;
  return out;
}

/** Resources in a stack's own state (schema hostnet_<stack>), by construct id. */
async function stateObjects(stack: string): Promise<string[]> {
  const rows = (await db.query<{ name: string; data: string }>(`SELECT name, data FROM hostnet_${stack}.states`)).rows;
  expect(rows.map((r) => r.name)).toEqual(["default"]);
  return (JSON.parse(rows[0].data).resources as { name: string }[]).map((r) => r.name.replace(/_[0-9A-F]{8}$/, "")).sort();
}

async function namespaces(host: string): Promise<string[]> {
  return (await hostExec(inv, host, "ip netns list | cut -d' ' -f1")).stdout.split("\n").filter(Boolean).sort();
}

function planExit(p: CdktfProject): Promise<RunOutput> {
  return p.terraform("plan", "-detailed-exitcode", "-input=false", "-no-color");
}

beforeAll(async () => {
  pg = await startPostgres({ tcp: true });
  db = new Client({ host: pg.socketDir, port: pg.port, user: pg.user, database: "postgres" });
  await db.connect();
  // A self-signed certificate for 127.0.0.1, readable only by the server's user.
  const key = path.join(pg.dataDir, "server.key");
  const crt = path.join(pg.dataDir, "server.crt");
  await execa("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-keyout",
    key,
    "-out",
    crt,
  ]);
  const owner = statSync(pg.dataDir);
  for (const f of [key, crt]) chownSync(f, owner.uid, owner.gid);
  await execa("chmod", ["600", key]);
  await db.query(`ALTER SYSTEM SET ssl_cert_file = '${crt}'`);
  await db.query(`ALTER SYSTEM SET ssl_key_file = '${key}'`);
  await db.query(`CREATE ROLE tm LOGIN SUPERUSER PASSWORD '${PASSWORD}'`);
  await serverAccess(true);
  url = `postgres://tm@127.0.0.1:${pg.port}/postgres`;
  inv = await labUp({ name: LAB, hosts: 2, index: INDEX, dir: labDir });
  for (const h of ["a", "b"]) before[h] = await hostSnapshot(inv, h);
}, 600_000);

afterAll(async () => {
  // Whatever a failed test left deployed goes with the lab; the state with the server.
  for (const p of projects) p.remove();
  await db?.end().catch(() => undefined);
  await labDown({ name: LAB, dir: labDir });
  await pg?.stop();
  rmSync(labDir, { recursive: true, force: true });
  rmSync(sshRoot, { recursive: true, force: true });
}, 300_000);

let a1: CdktfProject;
let b1: CdktfProject;
let a2: CdktfProject;

describe("team mode on PostgreSQL with SSL required", () => {
  test("a password in connStr stops synth with the fix, and no file holds it", async () => {
    const p = copy("tmpw", "a", ["tmweb"], { HOSTNET_PG_URL: `postgres://tm:${PASSWORD}@127.0.0.1:${pg.port}/postgres` });
    const r = await p.cdktf("synth");
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain("connStr holds a password");
    expect(r.output).toContain("set PGPASSWORD (or a line in ~/.pgpass, mode 0600)");
    expect(r.output).not.toContain(PASSWORD);
    expect(filesHolding(p.dir, PASSWORD)).toEqual([]);
  }, 300_000);

  test("two stacks with one connStr deploy to two hosts, each into its own state, then at the same moment; each plan touches only its own", async () => {
    a1 = copy("tma", "a", ["tmweb", "tmdb"]);
    b1 = copy("tmb", "b", ["tmapi"]);
    // The first deploys one after the other: Terraform's pg backend takes one advisory lock for
    // the whole database while it creates a state ("Already locked for workspace creation").
    expectSuccess(await a1.deploy());
    expectSuccess(await b1.deploy());
    // Then at the same moment: one shared state would let only one of them take its lock.
    const [ra, rb] = await Promise.all([a1.deploy(), b1.deploy()]);
    expectSuccess(ra);
    expectSuccess(rb);
    expect(await namespaces("a")).toEqual(["tmdb", "tmweb"]);
    expect(await namespaces("b")).toEqual(["tmapi"]);
    for (const p of [a1, b1]) {
      const plan = await planExit(p);
      expect(plan.output).toContain("No changes.");
      expect(plan.exitCode).toBe(0);
    }
    const schemas = (
      await db.query<{ s: string }>(
        "SELECT schema_name AS s FROM information_schema.schemata WHERE schema_name LIKE 'hostnet_%' OR schema_name = 'terraform_remote_state' ORDER BY 1",
      )
    ).rows;
    expect(schemas.map((r) => r.s)).toEqual(["hostnet_tma", "hostnet_tmb"]);
    expect(await stateObjects("tma")).toEqual([
      "a_br-tm_hook",
      "a_hostnet",
      "a_hostnet-sweep",
      "a_tmdb_hook",
      "a_tmweb_hook",
      "hostnet-pool_commit",
      "hostnet-pool_release",
    ]);
    expect(await stateObjects("tmb")).toEqual([
      "b_br-tm_hook",
      "b_hostnet",
      "b_hostnet-sweep",
      "b_tmapi_hook",
      "hostnet-pool_commit",
      "hostnet-pool_release",
    ]);
    // The pool holds each stack's endpoints; every connection (Terraform's and the pool's) passed hostssl.
    const rows = await poolRows();
    expect(Object.keys(rows.tma).sort()).toEqual(["tma/a/tmdb", "tma/a/tmweb"]);
    expect(Object.keys(rows.tmb)).toEqual(["tmb/b/tmapi"]);
    // The password went only through PGPASSWORD: no file synth or deploy wrote holds it.
    for (const p of [a1, b1]) expect(filesHolding(p.dir, PASSWORD)).toEqual([]);
  }, 900_000);

  test("a second working copy sharing the state deploys right after the first without waiting for the hook lock's lease", async () => {
    // A lease far longer than this test and a short wait: a copy that had to wait would fail after 20 s.
    a2 = copy("tma", "a", ["tmweb", "tmdb", "tmx1"], { HOSTNET_LEASE: "600", HOSTNET_LOCK_WAIT: "20" });
    copyFileSync(path.join(a1.dir, "hostnet.lock.json"), path.join(a2.dir, "hostnet.lock.json"));
    const started = Date.now();
    const r = await a2.deploy();
    const seconds = (Date.now() - started) / 1000;
    expectSuccess(r);
    expect(r.output).not.toContain("hostnet: waiting");
    expect(r.output).toContain("Apply complete! Resources: 3 added, 0 changed, 2 destroyed.");
    expect(seconds).toBeLessThan(600);
    expect(await namespaces("a")).toEqual(["tmdb", "tmweb", "tmx1"]);
  }, 900_000);

  test("a synth of a copy that dropped an endpoint frees nothing: another stack cannot obtain the still-deployed address", async () => {
    const held = (await poolRows()).tma["tma/a/tmdb"];
    a2.setEnv({ HOSTNET_NAMESPACES: "tmweb,tmx1" });
    expectSuccess(await a2.cdktf("synth"));
    expect((await poolRows()).tma["tma/a/tmdb"]).toBe(held);
    // Another stack claims: it gets a free address, never the one tmdb still uses.
    process.env.PGPASSWORD = PASSWORD;
    const pool = await SharedAddressPool.connect({ connection: url });
    try {
      expect((await pool.claim("lan", "10.151.0.0/24", ["other/x"], { owner: "tmother" })).get("other/x")).not.toBe(held);
      await pool.release("lan", ["other/x"], { owner: "tmother" });
    } finally {
      await pool.close();
    }
    expect(await namespaces("a")).toContain("tmdb");
  }, 600_000);

  test("the deploy that removes the endpoint frees its address once it succeeded", async () => {
    const held = (await poolRows()).tma["tma/a/tmdb"];
    const r = await a2.deploy();
    expectSuccess(r);
    expect(r.output).toContain(`hostnet: shared pool: stack "tma" holds 2 address(es); freed 1: ${held} (lan: tma/a/tmdb)`);
    expect(await namespaces("a")).toEqual(["tmweb", "tmx1"]);
    const rows = await poolRows();
    expect(Object.keys(rows.tma).sort()).toEqual(["tma/a/tmweb", "tma/a/tmx1"]);
    expect(Object.values(rows).flatMap((o) => Object.values(o))).not.toContain(held);
  }, 600_000);

  test("destroy returns a stack's addresses to the pool and leaves its host as before", async () => {
    const r = await b1.destroy();
    expectSuccess(r);
    expect(r.output).toContain('hostnet: shared pool: stack "tmb" freed 1');
    expect((await poolRows()).tmb).toBeUndefined();
    expect(await hostSnapshot(inv, "b")).toBe(before.b);
    expect(Object.keys((await poolRows()).tma)).toHaveLength(2);
  }, 600_000);
});

describe("team mode on PostgreSQL with SSL off", () => {
  beforeAll(async () => {
    await serverAccess(false);
  }, 60_000);

  test("a connStr without sslmode stops at synth saying to add sslmode=disable; with it, Terraform and the pool both connect", async () => {
    const none = copy("tma", "a", ["tmweb", "tmx1"]);
    const r = await none.cdktf("synth");
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain(
      "The connection used sslmode=require (the default when connStr names none): for a server without SSL put sslmode=disable in connStr",
    );

    // The last copy destroys the stack over a connection without SSL: its addresses go back to the pool, host a is as before.
    const off = copy("tma", "a", ["tmweb", "tmx1"], { HOSTNET_PG_URL: `${url}?sslmode=disable` });
    copyFileSync(path.join(a2.dir, "hostnet.lock.json"), path.join(off.dir, "hostnet.lock.json"));
    const d = await off.destroy();
    expectSuccess(d);
    expect(JSON.parse(readFileSync(path.join(off.stackDir, "cdk.tf.json"), "utf8")).terraform.backend.pg).toEqual({
      conn_str: `${url}?sslmode=disable`,
      schema_name: "hostnet_tma",
    });
    expect(d.output).toContain('hostnet: shared pool: stack "tma" freed 2');
    expect(await poolRows()).toEqual({});
    expect(await hostSnapshot(inv, "a")).toBe(before.a);
    for (const p of projects) expect(filesHolding(p.dir, PASSWORD)).toEqual([]);
  }, 900_000);
});
