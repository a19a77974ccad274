/**
 * Issue 7, team scale, with whole stacks: two cdktf apps (fixtures/pool-app.ts,
 * 100 endpoints each) synthesize at the same moment, each claiming its
 * addresses from one /24 pool in a real PostgreSQL server before synth; then a
 * third stack finds the pool exhausted, and a stack that drops endpoints
 * keeps their addresses at its next synth (only its deploy frees them,
 * pg-team.test.ts). Synth only: nothing is deployed.
 */
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { Client } from "pg";
import { SharedAddressPool } from "../../src/ipam/shared-pool";
import { CdktfProject, expectSuccess, RunOutput } from "./support/cdktf-project";
import { startPostgres, TestPostgres } from "./support/postgres";
import { SCRIPTS_DIR } from "../../src/plan/hook-resource";

const APP = "test/integration/fixtures/pool-app.ts";
const TABLE = "hostnet_addresses";
let pg: TestPostgres;
let pool: SharedAddressPool;
const projects: CdktfProject[] = [];
const project = (stack: string, env: Record<string, string> = {}) => {
  const p = new CdktfProject(APP, stack, { HOSTNET_PG_URL: pg.url, HOSTNET_STACK: stack, ...env });
  projects.push(p);
  return p;
};

beforeAll(async () => {
  pg = await startPostgres();
  // Creates the table the apps claim from, so the test can lock it.
  pool = await SharedAddressPool.connect({ connection: pg.url });
}, 60_000);

afterAll(async () => {
  for (const p of projects) p.remove();
  await pool?.close().catch(() => undefined);
  if (pg) await pg.stop();
}, 60_000);

const ipNumber = (ip: string) => ip.split(".").reduce((n, p) => n * 256 + Number(p), 0);
const sortedIps = (ips: Iterable<string>) => [...ips].sort((a, b) => ipNumber(a) - ipNumber(b));

/** What the database records for a stack: holder (the endpoint's construct path) → address. */
async function recorded(stack: string): Promise<Record<string, string>> {
  return Object.fromEntries(await pool.list("lan", { owner: stack }));
}

/** The stack's addresses as its lock file, its review plan and its Terraform JSON carry them: endpoint path → address. */
function synthesized(p: CdktfProject): { lock: Record<string, string>; review: Record<string, string>; terraform: Record<string, string> } {
  const lock = JSON.parse(readFileSync(path.join(p.dir, "hostnet.lock.json"), "utf8")).subnets[`${p.stack}/a/lan`].addresses;
  const plan = JSON.parse(readFileSync(path.join(p.stackDir, "review", "plan.json"), "utf8"));
  const review = Object.fromEntries(
    plan.hosts[0].objects
      .filter((o: { kind: string }) => o.kind === "endpoint")
      .map((o: { path: string; addresses: string[] }) => [o.path, o.addresses[0].replace(/\/24$/, "")]),
  );
  const tf = JSON.parse(readFileSync(path.join(p.stackDir, "cdk.tf.json"), "utf8"));
  const terraform: Record<string, string> = {};
  for (const r of Object.values(tf.resource.terraform_data) as Array<{
    "//": { metadata: { path: string } };
    triggers_replace: { create_sha256: string };
  }>) {
    // Terraform's values hold the script's hash; the text is the file of that name beside cdk.tf.json.
    if (!r.triggers_replace.create_sha256) continue; // the pool's own commit resource
    const create = readFileSync(path.join(p.stackDir, SCRIPTS_DIR, `${r.triggers_replace.create_sha256}.sh`), "utf8");
    const m = /^(?:ip -n \S+ )?addr replace (10\.60\.0\.\d+)\/24 dev eth0$/m.exec(create); // a line of the namespace's ip -batch
    if (m) terraform[r["//"].metadata.path.replace(/\/hook$/, "")] = m[1];
  }
  return { lock, review, terraform };
}

async function expectSynthesizedAsRecorded(p: CdktfProject, endpoints: number): Promise<Record<string, string>> {
  const db = await recorded(p.stack);
  expect(Object.keys(db)).toHaveLength(endpoints);
  const s = synthesized(p);
  expect(s.lock).toEqual(db);
  expect(s.review).toEqual(db);
  expect(s.terraform).toEqual(db);
  return db;
}

// Set on the first test; later tests build on the pool and the projects it leaves.
let a: CdktfProject;
let b: CdktfProject;
let before: Record<string, string>;

describe("stacks sharing one address pool in PostgreSQL", () => {
  test("two stacks synthesizing at the same moment, 100 endpoints each, get 200 distinct addresses of the /24", async () => {
    a = project("pa");
    b = project("pb");
    const log = path.join(a.dir, "claims.jsonl");
    a.setEnv({ HOSTNET_CLAIM_LOG: log });
    b.setEnv({ HOSTNET_CLAIM_LOG: log });
    // Hold the table so neither claim can write until both have read the (empty) pool and computed
    // the same free addresses, .2 to .101: one of them must lose the compare-and-swap and start again.
    const gate = new Client({ host: pg.socketDir, user: pg.user, database: "postgres" });
    // Watches from outside the gate's transaction, which would see one snapshot of pg_stat_activity throughout.
    const watch = new Client({ host: pg.socketDir, user: pg.user, database: "postgres" });
    await gate.connect();
    await watch.connect();
    await gate.query("BEGIN");
    await gate.query(`LOCK TABLE ${TABLE} IN EXCLUSIVE MODE`);
    const started = Date.now();
    const runs: Array<RunOutput | undefined> = [undefined, undefined];
    const synths = [a, b].map((p, i) => p.cdktf("synth").then((r) => (runs[i] = r)));
    let waiting = 0;
    try {
      while (waiting < 2 && runs.every((r) => r === undefined) && Date.now() - started < 240_000) {
        await new Promise((res) => setTimeout(res, 100));
        const q = await watch.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%${TABLE}%' AND pid <> pg_backend_pid()`,
        );
        waiting = q.rows[0].n;
      }
    } finally {
      await gate.query("COMMIT");
      await gate.end();
      await watch.end();
    }
    await Promise.all(synths);
    expectSuccess(runs[0]!);
    expectSuccess(runs[1]!);
    expect(waiting).toBe(2);

    // Both claims were under way at the same moment.
    const claims = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { start: number; end: number });
    expect(claims).toHaveLength(2);
    expect(Math.max(...claims.map((c) => c.start))).toBeLessThan(Math.min(...claims.map((c) => c.end)));

    const da = await expectSynthesizedAsRecorded(a, 100);
    const db = await expectSynthesizedAsRecorded(b, 100);
    const all = [...Object.values(da), ...Object.values(db)];
    expect(new Set(all).size).toBe(200);
    expect(Object.values(da).filter((ip) => Object.values(db).includes(ip))).toEqual([]);
    // Lowest first from .2 (.1 is the gateway): the pool split into two non-overlapping claims.
    expect(sortedIps(all)).toEqual(Array.from({ length: 200 }, (_, i) => `10.60.0.${i + 2}`));
    expect(await pool.claims("lan")).toHaveLength(200);
    before = da;
  }, 300_000);

  test("a third stack asking more than what is left fails naming the pool, and nothing of it is claimed", async () => {
    const c = project("pc", { HOSTNET_COUNT: "60" });
    const r = await c.cdktf("synth");
    expect(r.exitCode).not.toBe(0);
    // 253 addresses (.2 to .254) minus 200 leaves 53.
    expect(r.output).toContain(
      'shared pool "lan" (10.60.0.0/24) is exhausted: owner "pc" asks for 60 new addresses but only 53 of its 254 usable addresses are free ' +
        "(first holder left without one: pc/a/e53). Nothing was claimed.",
    );
    expect(r.output).toContain(
      "Free addresses (remove endpoints from a stack that holds them and deploy it, or pool.release()), or use another pool with a larger CIDR.",
    );
    expect(await recorded("pc")).toEqual({});
    expect((await pool.claims("lan")).filter((x) => x.owner === "pc")).toEqual([]);
    expect(await pool.claims("lan")).toHaveLength(200);
    expect(existsSync(path.join(c.dir, "hostnet.lock.json"))).toBe(false);
    expect(existsSync(path.join(c.stackDir, "cdk.tf.json"))).toBe(false);
  }, 300_000);

  test("endpoints removed from a stack keep their addresses at its next synth (they may still be deployed); the others keep theirs", async () => {
    const dropped = ["e10", "e50", "e99"];
    a.setEnv({ HOSTNET_DROP: dropped.join(","), HOSTNET_CLAIM_LOG: "" });
    expectSuccess(await a.cdktf("synth"));
    const s = synthesized(a);
    const kept = Object.fromEntries(Object.entries(before).filter(([h]) => !dropped.some((d) => h === `pa/a/${d}`)));
    expect(s.lock).toEqual(kept);
    expect(s.terraform).toEqual(kept);
    expect(await recorded("pa")).toEqual(before);
    expect(await pool.claims("lan")).toHaveLength(200);
    expect(Object.keys(await recorded("pb"))).toHaveLength(100);
  }, 300_000);

  test("a new endpoint gets the lowest free address, not one of a dropped endpoint", async () => {
    a.setEnv({ HOSTNET_ADD: "new1" });
    expectSuccess(await a.cdktf("synth"));
    const s = synthesized(a);
    expect(s.lock["pa/a/new1"]).toBe("10.60.0.202");
    expect(s.terraform["pa/a/new1"]).toBe("10.60.0.202");
    for (const [h, ip] of Object.entries(s.lock)) if (h !== "pa/a/new1") expect(ip).toBe(before[h]);
  }, 300_000);

  test("with PostgreSQL unreachable, synth fails naming where and writes nothing", async () => {
    const d = project("pd", { HOSTNET_PG_URL: "postgres://postgres@/postgres?host=/nonexistent-hostnet-pg&sslmode=disable" });
    const r = await d.cdktf("synth");
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain("shared address pool: cannot connect to PostgreSQL at postgres@/nonexistent-hostnet-pg/.s.PGSQL.5432/postgres");
    expect(r.output).toContain("nothing was claimed, synthesized or deployed");
    expect(existsSync(path.join(d.dir, "hostnet.lock.json"))).toBe(false);
    expect(existsSync(path.join(d.stackDir, "cdk.tf.json"))).toBe(false);
  }, 300_000);
});
