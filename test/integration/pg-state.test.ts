/**
 * Issue 7 on a test host: two working copies of one stack (separate project
 * directories, the same stack name, the same pg URL) share its Terraform state
 * in a real PostgreSQL server through HostnetStack's pgBackend. They deploy in
 * turn, then at the same moment: the pg backend's state lock (a PostgreSQL
 * advisory lock on the state's row) lets one apply at a time; the other fails
 * at once naming the lock, or, given a lock timeout, waits and then finds the
 * state already converged.
 *
 * Each copy connects with its own PGAPPNAME, so pg_stat_activity tells which
 * copy's session holds the lock. The copy that takes the lock is paused
 * (SIGSTOP) while it holds it, so the other copy's attempt overlaps it however
 * fast or slow this machine is; nothing else is staged.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { Client } from "pg";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject, expectSuccess, RunOutput } from "./support/cdktf-project";
import { startPostgres, TestPostgres } from "./support/postgres";

const LAB = "pgs";
const INDEX = 82;
const STACK = "pgs";
const APP = "test/integration/fixtures/pg-host-app.ts";
const LOCK_FILE = "hostnet.lock.json";
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const sshRoot = mkdtempSync(path.join(tmpdir(), "hostnet-ssh-"));

let pg: TestPostgres | undefined;
let db: Client | undefined;
let inv: Inventory;
let before: string;
let A: CdktfProject;
let B: CdktfProject;
/** The namespaces each copy's code declares (HOSTNET_NAMESPACES). */
const code = new Map<CdktfProject, string[]>();
/** Terraform processes this file paused; resumed in afterAll whatever happened. */
const paused = new Set<number>();
/** The state's lineage after the first deploy: every later deploy, from either copy, must keep it. */
let lineage: string;

/** One working copy: its own directory, Terraform working directory and SSH control sockets; the shared state in pg. */
function workingCopy(name: string): CdktfProject {
  const p = new CdktfProject(APP, STACK, {
    HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
    HOSTNET_PG_URL: pg!.url,
    HOSTNET_SSH_DIR: path.join(sshRoot, name, "control"),
    PGAPPNAME: `hostnet-copy-${name}`,
  });
  setCode(p, ["web"]);
  return p;
}

function setCode(p: CdktfProject, namespaces: string[]): void {
  code.set(p, namespaces);
  p.setEnv({ HOSTNET_NAMESPACES: namespaces.join(",") });
}

/** What `git pull` would bring: the other copy's code and its hostnet.lock.json (committed with it). */
function pull(to: CdktfProject, from: CdktfProject): void {
  setCode(to, [...code.get(from)!]);
  copyFileSync(path.join(from.dir, LOCK_FILE), path.join(to.dir, LOCK_FILE));
}

const nameOf = (p: CdktfProject) => (p === A ? "A" : "B");

beforeAll(async () => {
  pg = await startPostgres();
  db = new Client({ host: pg.socketDir, user: pg.user, database: "postgres" });
  await db.connect();
  inv = await labUp({ name: LAB, hosts: 1, index: INDEX, dir: labDir });
  before = await hostSnapshot(inv, "a");
  A = workingCopy("a");
  B = workingCopy("b");
}, 120_000);

afterAll(async () => {
  for (const pid of paused) signal(pid, "SIGCONT");
  // Whatever a failed test left: the copy whose code last matched the state removes it; the lab goes anyway.
  if (B && (await stateObjects().catch(() => [])).length > 0) await B.destroy();
  await db?.end().catch(() => undefined);
  for (const p of [A, B]) p?.remove();
  stopMasters();
  await labDown({ name: LAB, dir: labDir });
  await pg?.stop();
  rmSync(labDir, { recursive: true, force: true });
  rmSync(sshRoot, { recursive: true, force: true });
}, 600_000);

// --- the state in PostgreSQL -------------------------------------------------------

interface StateRow {
  readonly id: string;
  readonly serial: number;
  readonly lineage: string;
  /** Construct ids of the resources in the state ("web", "web-veth", "hostnet", ...), sorted. */
  readonly objects: string[];
}

async function stateRows(): Promise<StateRow[]> {
  const rows = (await db!.query<{ id: string; name: string; data: string }>("SELECT id, name, data FROM hostnet_pgs.states ORDER BY name")).rows;
  expect(rows.map((r) => r.name)).toEqual(["default"]);
  return rows.map((r) => {
    const s = JSON.parse(r.data);
    const objects = (s.resources as { name: string }[]).map((res) => res.name.replace(/^a_(.+?)(?:_hook)?_[0-9A-F]{8}$/, "$1")).sort();
    return { id: String(r.id), serial: s.serial, lineage: s.lineage, objects };
  });
}

async function stateObjects(): Promise<string[]> {
  return (await stateRows())[0].objects;
}

/** The resources a stack with these namespaces has in its state. */
function objectsFor(namespaces: string[]): string[] {
  return ["br-pgs", "hostnet", "hostnet-sweep", "ip-forward", "masquerade", ...namespaces, ...namespaces.map((n) => `${n}-veth`)].sort();
}

/** Advisory locks held in the server, and sessions of the two copies still open (both drop as soon as terraform exits). */
async function lockState(): Promise<{ advisoryLocks: number; copySessions: number }> {
  const locks = await db!.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'");
  const sessions = await db!.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'hostnet-copy-%'");
  return { advisoryLocks: Number(locks.rows[0].n), copySessions: Number(sessions.rows[0].n) };
}

async function expectNoLockLeft(): Promise<void> {
  await waitFor(async () => (await lockState()).copySessions === 0, 20_000, "the copies' pg sessions to close");
  expect(await lockState()).toEqual({ advisoryLocks: 0, copySessions: 0 });
}

/** Which copy's session holds the state lock: the pg backend's pg_try_advisory_lock(<states.id>). */
async function lockHolder(stateId: string): Promise<string | undefined> {
  const r = await db!.query<{ application_name: string }>(
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1",
    [stateId],
  );
  return r.rows[0]?.application_name;
}

// --- processes ----------------------------------------------------------------------

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
  if (sig === "SIGCONT") paused.delete(pid);
  if (sig === "SIGSTOP") paused.add(pid);
}

/** Pids of `terraform apply` processes working in this copy's stack directory (cdktf starts them). */
function terraformApplies(p: CdktfProject): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/cwd`) !== p.stackDir) continue;
      const argv = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
      if (path.basename(argv[0]) === "terraform" && argv[1] === "apply") out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Whether a process has live children (a paused terraform's local-exec hook
 * still finishing on the host). A finished hook stays a zombie until terraform
 * runs again to reap it: that one is done.
 */
function hasChildren(pid: number): boolean {
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) === pid && state !== "Z") return true;
    } catch {
      // exited meanwhile
    }
  }
  return false;
}

/** Stop the SSH control masters the copies' hooks left (ControlPersist), by the pid each recorded. */
function stopMasters(): void {
  for (const name of ["a", "b"]) {
    const dir = path.join(sshRoot, name, "control");
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((f) => /^master\..*\.pid$/.test(f))) {
      const pid = Number(readFileSync(path.join(dir, f), "utf8").split(" ")[0]);
      try {
        if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "ssh") process.kill(pid, "SIGTERM");
      } catch {
        // gone
      }
    }
  }
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Run {
  readonly copy: CdktfProject;
  readonly result: Promise<RunOutput>;
  done: boolean;
}

function start(copy: CdktfProject, deploy: (p: CdktfProject) => Promise<RunOutput>): Run {
  const run: Run = { copy, result: deploy(copy), done: false };
  void run.result.then(() => (run.done = true));
  return run;
}

/**
 * Waits until one of the runs holds the state lock, then pauses that run's
 * `terraform apply` and waits until its hook in flight (if any) has finished,
 * so the host stays as it is until it is resumed.
 */
async function pauseLockHolder(runs: Run[], stateId: string): Promise<{ holder: Run; other: Run; pid: number }> {
  let app: string | undefined;
  await waitFor(
    async () => {
      if (runs.every((r) => r.done)) {
        const outs = await Promise.all(runs.map((r) => r.result));
        throw new Error(
          `both deploys ended before either was seen holding the state lock:\n${outs.map((o) => o.output.split("\n").slice(-20).join("\n")).join("\n----\n")}`,
        );
      }
      return (app = await lockHolder(stateId)) !== undefined;
    },
    240_000,
    "a copy to take the state lock",
  );
  const holder = runs.find((r) => app === `hostnet-copy-${nameOf(r.copy).toLowerCase()}`)!;
  const pids = terraformApplies(holder.copy);
  expect(pids).toHaveLength(1);
  signal(pids[0], "SIGSTOP");
  await waitFor(() => !hasChildren(pids[0]), 30_000, "the paused apply's hook in flight to finish");
  return { holder, other: runs.find((r) => r !== holder)!, pid: pids[0] };
}

// --- the host -----------------------------------------------------------------------

/** The host as the stack sees it: namespaces with their eth0 address, hostnet's links in the root namespace, the masquerade rule. */
async function hostView(): Promise<{ namespaces: Record<string, string>; links: string[]; masquerade: boolean }> {
  const ns = (await hostExec(inv, "a", "ip netns list | cut -d' ' -f1")).stdout.split("\n").filter(Boolean).sort();
  const namespaces: Record<string, string> = {};
  for (const n of ns) namespaces[n] = (await hostExec(inv, "a", `ip -n ${n} -br -4 addr show dev eth0`)).stdout.trim().split(/\s+/)[2] ?? "";
  const links = (await hostExec(inv, "a", "ip -br link")).stdout
    .split("\n")
    .map((l) => l.split(/\s+/)[0].replace(/@.*$/, ""))
    .filter((l) => l === "br-pgs" || l.startsWith("ve-"))
    .sort();
  const nat = (await hostExec(inv, "a", "iptables -w -t nat -S POSTROUTING")).stdout;
  return {
    namespaces,
    links,
    masquerade: nat.includes('-A POSTROUTING -s 10.82.0.0/24 ! -o br-pgs -m comment --comment "hostnet:pgs:pgs/a/masquerade" -j MASQUERADE'),
  };
}

/** The host holds exactly these namespaces (name → eth0 address), their veths on br-pgs, and the masquerade rule. */
async function expectHost(namespaces: Record<string, string>): Promise<void> {
  expect(await hostView()).toEqual({
    namespaces,
    links: ["br-pgs", ...Object.keys(namespaces).map((n) => `ve-${n}-veth`)].sort(),
    masquerade: true,
  });
}

/** `hostnet check` (live objects against this copy's last synth) and `hostnet gc` (tagged leftovers the stack does not declare) are clean. */
async function expectCheckClean(p: CdktfProject, objects: number): Promise<void> {
  const check = await p.hostnet("check", "--no-synth");
  expect(check.output).toContain(`host a (198.18.${INDEX}.10): ${objects} ok, 0 drifted`);
  expect(check.exitCode).toBe(0);
  expect((await p.hostnet("gc", "--no-synth")).output).toContain(`0 left behind by stack ${STACK}`);
}

/** Construct ids of the resources in a `terraform plan`, by action. */
function planActions(output: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of output.matchAll(/^\s*# (\S+) (will be created|must be replaced|will be updated in-place|will be destroyed)/gm)) {
    (out[m[2]] ??= []).push(m[1].replace(/^terraform_data\.a_(.+?)(?:_hook)?_[0-9A-F]{8}$/, "$1"));
  }
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}

async function plan(p: CdktfProject): Promise<RunOutput> {
  expectSuccess(await p.cdktf("synth"));
  const r = await p.terraform("plan", "-input=false", "-no-color");
  expectSuccess(r);
  return r;
}

// --- the tests ----------------------------------------------------------------------

describe("two working copies, one state in PostgreSQL, in turn", () => {
  test("copy A deploys; copy B with the same code sees A's state and has nothing to do; the host matches the plan", async () => {
    expectSuccess(await A.deploy());
    const [row] = await stateRows();
    lineage = row.lineage;
    expect(row.objects).toEqual(objectsFor(["web"]));

    pull(B, A);
    const b = await B.deploy();
    expectSuccess(b);
    expect(b.output).toContain("No changes. Your infrastructure matches the configuration.");
    expect(b.output).toContain("Apply complete! Resources: 0 added, 0 changed, 0 destroyed.");
    expect(await stateRows()).toEqual([row]);

    await expectHost({ web: "10.82.0.2/24" });
    await expectCheckClean(A, 5);
    await expectCheckClean(B, 5);
  }, 600_000);

  test("B adds a namespace: the plan and the deploy create only its objects (and renew the host hook)", async () => {
    setCode(B, ["web", "db"]);
    const p = await plan(B);
    expect(planActions(p.output)).toEqual({ "will be created": ["db", "db-veth"], "must be replaced": ["hostnet-sweep"] });
    expect(p.output).toContain("Plan: 3 to add, 0 to change, 1 to destroy.");

    const d = await B.deploy();
    expectSuccess(d);
    expect(d.output).toContain("Apply complete! Resources: 3 added, 0 changed, 1 destroyed.");
    await expectHost({ web: "10.82.0.2/24", db: "10.82.0.3/24" });
    await expectCheckClean(B, 7);
    const [row] = await stateRows();
    expect(row.lineage).toBe(lineage);
    expect(row.objects).toEqual(objectsFor(["web", "db"]));
  }, 600_000);

  test("A, now behind, deploys its older code: Terraform removes B's namespace, and the host equals A's plan", async () => {
    const p = await plan(A);
    expect(planActions(p.output)).toEqual({ "will be destroyed": ["db", "db-veth"], "must be replaced": ["hostnet-sweep"] });
    expect(p.output).toContain("because terraform_data.a_db_hook");
    expect(p.output).toContain("is not in configuration");
    expect(p.output).toContain("Plan: 1 to add, 0 to change, 3 to destroy.");

    const d = await A.deploy();
    expectSuccess(d);
    expect(d.output).toContain("Apply complete! Resources: 1 added, 0 changed, 3 destroyed.");
    // The destroy provisioners left the configuration with B's code, so the
    // objects go through the host hook's sweep of the ledger (/run/hostnet/pgs).
    expect(d.output).toContain("hostnet: removing an object no longer in the stack: # hostnet destroy netns db (pgs/a/db)");
    expect(d.output).toContain("hostnet: removing an object no longer in the stack: # hostnet destroy veth eth0~ve-db-veth (pgs/a/db-veth)");
    await expectHost({ web: "10.82.0.2/24" });
    await expectCheckClean(A, 5);
    const [row] = await stateRows();
    expect(row.lineage).toBe(lineage);
    expect(row.objects).toEqual(objectsFor(["web"]));

    // B reads the same state: its code now has db to add again.
    expect(planActions((await plan(B)).output)).toEqual({ "will be created": ["db", "db-veth"], "must be replaced": ["hostnet-sweep"] });
  }, 600_000);
});

describe("two working copies deploying at the same moment", () => {
  let winner: CdktfProject;
  let loser: CdktfProject;

  test("without a lock timeout: one takes the pg state lock, the other fails naming the lock and touches nothing", async () => {
    // Both have work: A adds api, B still adds db.
    setCode(A, ["web", "api"]);
    expect(code.get(B)).toEqual(["web", "db"]);
    const [row] = await stateRows();
    const runs = [start(A, (p) => p.deploy()), start(B, (p) => p.deploy())];
    const { holder, other, pid } = await pauseLockHolder(runs, row.id);
    winner = holder.copy;
    loser = other.copy;
    try {
      const hostBefore = await hostSnapshot(inv, "a");
      const failed = await other.result;
      expect(failed.exitCode).not.toBe(0);
      expect(failed.output).toContain("Error acquiring the state lock");
      expect(failed.output).toContain("Error message: Workspace is already locked: default");
      // The pg backend cannot read the holder's lock info back: the block shows this run's own request.
      expect(failed.output).toContain("Lock Info:");
      expect(failed.output).toMatch(/ID:\s+[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s/);
      expect(failed.output).toMatch(/Operation:\s+OperationTypeApply\s/);
      expect(failed.output).toMatch(/Who:\s+\S+@\S+\s/);
      expect(failed.output).toMatch(/Version:\s+\d+\.\d+\.\d+\s/);
      expect(failed.output).not.toMatch(/Creating\.\.\.|Destroying\.\.\.|Provisioning with/);
      // The holder is paused: whatever changed on the host now would be the loser's doing.
      expect(await hostSnapshot(inv, "a")).toBe(hostBefore);
      expect(holder.done).toBe(false);
    } finally {
      signal(pid, "SIGCONT");
    }
    const won = await holder.result;
    expectSuccess(won);
    expect(won.output).toContain("Apply complete! Resources: 3 added, 0 changed, 1 destroyed.");

    const names = code.get(winner)!;
    await expectHost({ web: "10.82.0.2/24", [names[1]]: "10.82.0.3/24" });
    expect((await hostView()).namespaces).not.toHaveProperty(code.get(loser)![1]);
    await expectCheckClean(winner, 7);
    const [after] = await stateRows();
    expect(after.lineage).toBe(lineage);
    expect(after.serial).toBeGreaterThan(row.serial);
    expect(after.objects).toEqual(objectsFor(names));
    expect((await winner.terraform("plan", "-detailed-exitcode", "-input=false", "-no-color")).exitCode).toBe(0);
    await expectNoLockLeft();
  }, 600_000);

  test("with a lock timeout: the second waits for the lock, then finds the state converged and has nothing to do", async () => {
    // The loser pulls the winner's code; both then add cache.
    pull(loser, winner);
    const names = [...code.get(winner)!, "cache"];
    for (const p of [A, B]) setCode(p, names);
    const [row] = await stateRows();
    const runs = [start(A, (p) => p.deployWaitingForLock("300s")), start(B, (p) => p.deployWaitingForLock("300s"))];
    const { holder, other, pid } = await pauseLockHolder(runs, row.id);
    try {
      await waitFor(() => other.done || terraformApplies(other.copy).length > 0, 240_000, "the other copy's terraform apply to start");
      const hostBefore = await hostSnapshot(inv, "a");
      // Terraform retries the lock after 1 s and 2 s; give it both.
      await new Promise((r) => setTimeout(r, 4_000));
      expect(other.done).toBe(false);
      expect(await hostSnapshot(inv, "a")).toBe(hostBefore);
    } finally {
      signal(pid, "SIGCONT");
    }
    const [first, second] = [await holder.result, await other.result];
    expectSuccess(first);
    expectSuccess(second);
    expect(first.output).toContain("Apply complete! Resources: 3 added, 0 changed, 1 destroyed.");
    expect(second.output).toContain("Acquiring state lock. This may take a few moments...");
    expect(second.output).toContain("No changes. Your infrastructure matches the configuration.");
    expect(second.output).toContain("Apply complete! Resources: 0 added, 0 changed, 0 destroyed.");

    await expectHost({ web: "10.82.0.2/24", [names[1]]: "10.82.0.3/24", cache: "10.82.0.4/24" });
    for (const p of [A, B]) {
      await expectCheckClean(p, 9);
      expect((await p.terraform("plan", "-detailed-exitcode", "-input=false", "-no-color")).exitCode).toBe(0);
    }
    const [after] = await stateRows();
    expect(after.lineage).toBe(lineage);
    expect(after.objects).toEqual(objectsFor(names));
    await expectNoLockLeft();
  }, 600_000);
});

describe("destroy from the other working copy", () => {
  test("destroy from copy B leaves the host as it was before any deploy and the state in pg empty", async () => {
    expectSuccess(await B.destroy());
    expect(await hostSnapshot(inv, "a")).toBe(before);
    const [row] = await stateRows();
    expect(row.lineage).toBe(lineage);
    expect(row.objects).toEqual([]);
    // The pg backend keeps only states; its lock is an advisory lock, not a row.
    const tables = await db!.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'hostnet_pgs' ORDER BY table_name",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(["states"]);
    await expectNoLockLeft();
  }, 600_000);
});
