/**
 * `npm run bench`: hostnet against a plain `ip` script and the CNI bridge
 * plugin, on one test host, in turn, for several rounds; then synth time and
 * peak memory at 1,000 and 10,000 endpoints, adding one endpoint to a deployed
 * stack, and how deploy time grows from 10 to 1,000 endpoints. Prints markdown
 * tables and writes bench/results/latest.json. Needs root (it starts a lab).
 *
 *   npm run bench -- [--rounds 3] [--quick] [--parallelism 4] [--sweep 10,16]
 *                    [--keep-root-home] [--keep-workdir]
 *
 * --parallelism is terraform's -parallelism for the headline hostnet run;
 * --sweep adds a hostnet row per other value, in the same rotation. --quick
 * skips the 1,000-endpoint deploys, the 10,000-endpoint synth and the
 * Namespace+VethPair+Route comparison (for development). --keep-root-home
 * leaves the machine's /root visible in the test host (see startLab). Numbers
 * are medians; targets are ratios measured in the same run, since other work on
 * the machine slows every way alike.
 */
import execa from "execa";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../src/lab";
import { hostPid } from "../src/lab/exec";
import { shq } from "../src/render/quote";
import { HOOK_COMMAND, sshEnvironment } from "../src/transport/ssh";
import { apply, destroy, init, plannedChanges, PlannedChange, ROOT, stackDir, synth, SynthResult, terraform, terraformEnv } from "./hostnet";
import { machine, Machine, median, mib, ratio, sec, table } from "./report";
import { BenchShape } from "./topology";
import { cniDown, cniUp, elapsedSeconds, scriptDown, scriptUp, SETTLE } from "./ways";

const LAB = "bench";
const LAB_INDEX = 61;
const HOST = "a";
/** The comparison size: the issue's 100 endpoints. */
const COMPARE = 100;

interface Options {
  rounds: number;
  quick: boolean;
  parallelism: number;
  sweep: number[];
  keepRootHome: boolean;
  keepWorkdir: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { rounds: 3, quick: false, parallelism: 4, sweep: [], keepRootHome: false, keepWorkdir: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a}: ${v} is not a whole number >= 1`);
      return n;
    };
    if (a === "--rounds") o.rounds = int(value());
    else if (a === "--quick") o.quick = true;
    else if (a === "--parallelism") o.parallelism = int(value());
    else if (a === "--sweep") o.sweep = value().split(",").map(int);
    else if (a === "--keep-root-home") o.keepRootHome = true;
    else if (a === "--keep-workdir") o.keepWorkdir = true;
    else throw new Error(`unknown option ${a}; see the top of bench/run.ts`);
  }
  return o;
}

const say = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

/** One way of building the endpoints, measured up and down. */
interface WayResult {
  readonly way: string;
  readonly label: string;
  readonly endpoints: number;
  readonly up: number[];
  readonly down: number[];
  /** CPU seconds of up + down, on this machine and in the test host alike (every process involved). */
  readonly cpu: number[];
  /** The part of `cpu` spent in the test host (sshd sessions and hook scripts; all of it for the script and CNI). */
  readonly cpuHost: number[];
}

interface Context {
  readonly o: Options;
  /** The lab; replaced when the lab is rebuilt (see withRecovery). */
  inv: Inventory;
  readonly work: string;
  readonly log: string;
  readonly env: Record<string, string>;
  /** Host state with nothing of the benchmark on it. */
  clean: string;
  /** Terraform stacks that may hold resources: destroyed when the lab is rebuilt. */
  readonly stacks: Set<string>;
}

const labDir = (work: string) => path.join(work, "lab");

/** Starts the lab and makes its host a clean machine: a fresh tmpfs over /root in the host's own mount namespace. */
async function startLab(c: Context, maskHome: boolean): Promise<void> {
  c.inv = await labUp({ name: LAB, hosts: 1, index: LAB_INDEX, dir: labDir(c.work) });
  // The test host shares the machine's /root. A login shell there runs root's
  // dotfiles on every SSH session (on this machine, pyenv's init: ~0.2 s); a
  // fresh tmpfs over /root, in the host's own mount namespace only, makes the
  // test host behave like a clean machine.
  if (maskHome) await inHost(c, "mount -t tmpfs -o mode=0700 hostnet-bench-home /root", "masking /root");
  c.clean = await hostSnapshot(c.inv, HOST);
}

function hostAlive(c: Context): boolean {
  try {
    hostPid(c.inv, HOST);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs one measured step; when it fails because the test host's sshd died
 * (something outside the benchmark killed it), rebuilds the lab from scratch,
 * empties every Terraform state, and runs the step once more.
 */
async function withRecovery(c: Context, what: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (e) {
    if (hostAlive(c)) throw e;
    say(`${what}: the test host's sshd is gone (killed from outside the benchmark); rebuilding the lab and repeating the step`);
    await labDown({ name: LAB, dir: labDir(c.work) });
    await startLab(c, !c.o.keepRootHome);
    for (const dir of c.stacks) await destroy(dir, c.o.parallelism, c.env, c.log);
    await step();
  }
}

async function inHost(c: Context, script: string, what: string): Promise<string> {
  const r = await hostExec(c.inv, HOST, script);
  if (r.exitCode !== 0) throw new Error(`${what} failed on the test host (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

/** Runs a timed way script in the test host: its elapsed seconds (from the script) and the CPU seconds of all it ran (bash's `time`). */
async function timedInHost(c: Context, script: string, what: string): Promise<{ seconds: number; cpu: number }> {
  const r = await hostExec(c.inv, HOST, `bash -c 'TIMEFORMAT="hostnet-bench-cpu %U %S"; time sh -c "$1"' bash ${shq(script)}`);
  if (r.exitCode !== 0) throw new Error(`${what} failed on the test host (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  const m = /hostnet-bench-cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { seconds: elapsedSeconds(r.stdout), cpu: m ? Number(m[1]) + Number(m[2]) : NaN };
}

const CLK_TCK = 100; // USER_HZ: what /proc/<pid>/stat counts in on Linux

/** CPU seconds used so far by the test host's sshd and everything under it (the hooks' sessions and scripts). */
function hostCpu(c: Context): number {
  let ticks = 0;
  const visit = (pid: number) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime, stime, cutime, cstime: fields 14-17, here 11-14 after "pid (comm) ".
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      for (const child of fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean)) visit(Number(child));
    } catch {
      // exited meanwhile: its time went to its parent's cutime
    }
  };
  visit(hostPid(c.inv, HOST));
  return ticks / CLK_TCK;
}

/** The endpoints answer: N namespaces, and the first and last reach the gateway. Untimed. */
async function verify(c: Context, count: number, what: string): Promise<void> {
  await inHost(
    c,
    [
      `n=$(ip netns list | wc -l); [ "$n" = ${count} ] || { echo "expected ${count} namespaces, found $n"; exit 1; }`,
      "ip netns exec ep1 ping -c 1 -W 2 198.19.0.1 >/dev/null",
      `ip netns exec ep${count} ping -c 1 -W 2 198.19.0.1 >/dev/null`,
    ].join("\n"),
    `${what}: checking the endpoints`,
  );
}

/** After a way's down: wait for the kernel's namespace cleanup, then the host must equal its state before. */
async function settle(c: Context, what: string): Promise<void> {
  await inHost(c, SETTLE, `${what}: waiting for namespace cleanup`);
  const now = await hostSnapshot(c.inv, HOST);
  if (now !== c.clean) {
    const before = new Set(c.clean.split("\n"));
    const after = new Set(now.split("\n"));
    const diff = [...[...before].filter((l) => !after.has(l)).map((l) => `- ${l}`), ...[...after].filter((l) => !before.has(l)).map((l) => `+ ${l}`)];
    throw new Error(`${what} left the host different from before:\n${diff.slice(0, 40).join("\n")}`);
  }
}

// Each run records its numbers only once it has finished, so a repeated run (withRecovery) never leaves half a pair.
async function runScript(c: Context, count: number, r: WayResult): Promise<void> {
  const up = await timedInHost(c, scriptUp(count), "script up");
  await verify(c, count, "script");
  const down = await timedInHost(c, scriptDown(count), "script down");
  await settle(c, "script");
  record(r, up.seconds, down.seconds, up.cpu + down.cpu, up.cpu + down.cpu);
}

async function runCni(c: Context, count: number, r: WayResult): Promise<void> {
  const up = await timedInHost(c, cniUp(count), "CNI ADD");
  await verify(c, count, "CNI");
  const down = await timedInHost(c, cniDown(count), "CNI DEL");
  await settle(c, "CNI");
  record(r, up.seconds, down.seconds, up.cpu + down.cpu, up.cpu + down.cpu);
}

function record(r: WayResult, up: number, down: number, cpu: number, cpuHost: number): void {
  r.up.push(up);
  r.down.push(down);
  r.cpu.push(cpu);
  r.cpuHost.push(cpuHost);
}

/** A synthesized hostnet stack, initialised and ready to apply. */
interface Prepared {
  readonly dir: string;
  readonly synth: SynthResult;
  readonly state: string;
}

/** How a hostnet stack is synthesized: its shape, and whether hooks read the transport from a file (the @hostnet/transportFile context). */
interface Flavour {
  readonly shape: BenchShape;
  readonly transportFile: boolean;
}

const HEADLINE: Flavour = { shape: "endpoint", transportFile: true };

function flavourLabel(f: Flavour, parallelism: number): string {
  const shape = f.shape === "endpoint" ? "Endpoint" : "Namespace+VethPair+Route";
  return `hostnet, ${shape}, ${f.transportFile ? "transport file" : "inline transport"} (-parallelism=${parallelism})`;
}

async function prepare(
  c: Context,
  count: number,
  f: Flavour,
  name = `${f.shape}-${f.transportFile ? "file" : "inline"}-${count}`,
  state = path.join(c.work, `${name}.tfstate`),
): Promise<Prepared> {
  const outdir = path.join(c.work, `out-${name}`);
  const s = await synth({ count, shape: f.shape, transportFile: f.transportFile, outdir, state, host: c.inv.hosts[HOST] });
  const dir = stackDir(outdir);
  await init(dir, c.env, c.log);
  c.stacks.add(dir);
  return { dir, synth: s, state };
}

async function runHostnet(c: Context, p: Prepared, count: number, parallelism: number, r: WayResult): Promise<void> {
  const h0 = hostCpu(c);
  const up = await apply(p.dir, parallelism, c.env, c.log);
  const h1 = hostCpu(c);
  await verify(c, count, r.label);
  const h2 = hostCpu(c);
  const down = await destroy(p.dir, parallelism, c.env, c.log);
  const h3 = hostCpu(c);
  await settle(c, r.label);
  record(r, up.seconds, down.seconds, up.cpu + down.cpu + (h1 - h0) + (h3 - h2), h1 - h0 + (h3 - h2));
}

/** Median seconds of one hook through the transport (a script of `true`), over a warm shared connection. */
async function hookSeconds(c: Context, runs = 10): Promise<number> {
  const h = c.inv.hosts[HOST];
  const env = {
    ...c.env,
    ...sshEnvironment({ address: h.address, port: h.port, user: h.user, identityFile: h.identityFile, knownHostsFile: h.knownHostsFile }),
    HN_ADDRESS: h.address,
    HN_PORT: String(h.port),
    HN_SCRIPT: "true",
    HN_OP: "create",
    HN_PATH: "bench/probe",
  };
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const r = await execa("/bin/sh", ["-c", HOOK_COMMAND], { env, reject: false, all: true });
    if (r.exitCode !== 0) throw new Error(`a hook through the transport failed: ${r.all}`);
    if (i > 0) times.push((performance.now() - t0) / 1000); // the first one starts the shared connection
  }
  return median(times);
}

interface SynthRow {
  readonly endpoints: number;
  readonly shape: BenchShape;
  readonly transportFile: boolean;
  readonly resources: number;
  readonly runs: SynthResult[];
}

interface Results {
  date: string;
  machine: Machine;
  options: Options;
  transport: { hookSecondsWithDotfiles?: number; hookSeconds: number };
  comparison: WayResult[];
  synth: SynthRow[];
  growth: WayResult[];
  addOne?: { readonly base: number; readonly changes: PlannedChange[]; readonly planSeconds: number; readonly applySeconds: number };
  targets: Array<{ readonly target: string; readonly value: string; readonly met: boolean; readonly note?: string }>;
}

const total = (w: WayResult) => median(w.up.map((u, i) => u + w.down[i]));
/** Terraform resources of the topology: per endpoint 1 (Endpoint) or 3, plus the host hook, bridge, masquerade and ip_forward. */
const resources = (count: number, shape: BenchShape) => (shape === "endpoint" ? count : 3 * count) + 4;

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const m = await machine();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-bench-"));
  const sshDir = path.join(work, "ssh");
  const log = path.join(work, "terraform.log");
  say(`work directory ${work} (terraform output in ${log})`);
  say(`lab "${LAB}" up`);
  const results: Partial<Results> & { comparison: WayResult[]; synth: SynthRow[]; growth: WayResult[]; targets: Results["targets"] } = {
    date: new Date().toISOString(),
    machine: m,
    options: o,
    comparison: [],
    synth: [],
    growth: [],
    targets: [],
  };
  const c: Context = { o, inv: undefined as unknown as Inventory, work, log, env: terraformEnv(sshDir), clean: "", stacks: new Set() };
  try {
    await startLab(c, false);
    let withDotfiles: number | undefined;
    if (!o.keepRootHome) {
      withDotfiles = await hookSeconds(c);
      await inHost(c, "mount -t tmpfs -o mode=0700 hostnet-bench-home /root", "masking /root");
      c.clean = await hostSnapshot(c.inv, HOST);
    }
    const hook = await hookSeconds(c);
    results.transport = { hookSecondsWithDotfiles: withDotfiles, hookSeconds: hook };
    say(
      `one hook through the transport: ${sec(hook)} s${withDotfiles !== undefined ? ` (${sec(withDotfiles)} s with the machine's /root dotfiles)` : ""}`,
    );

    // --- the comparison: 100 endpoints, each way in turn, rounds times ---
    const P = o.parallelism;
    const ways: Array<{ r: WayResult; run: (r: WayResult) => Promise<void> }> = [];
    const way = (id: string, label: string): WayResult => ({ way: id, label, endpoints: COMPARE, up: [], down: [], cpu: [], cpuHost: [] });
    const hostnetWay = async (id: string, f: Flavour, parallelism: number) => {
      const p = await prepare(c, COMPARE, f);
      ways.push({ r: way(id, flavourLabel(f, parallelism)), run: (r) => runHostnet(c, p, COMPARE, parallelism, r) });
    };
    say(`synth ${COMPARE} endpoints`);
    ways.push(
      { r: way("script", "plain ip script"), run: (r) => runScript(c, COMPARE, r) },
      { r: way("cni", "CNI bridge plugin"), run: (r) => runCni(c, COMPARE, r) },
    );
    await hostnetWay("hostnet", HEADLINE, P);
    await hostnetWay("hostnet-inline", { shape: "endpoint", transportFile: false }, P);
    // Other -parallelism values, in the same rotation, so their medians compare fairly.
    for (const sp of o.sweep.filter((x) => x !== P)) await hostnetWay(`hostnet-p${sp}`, HEADLINE, sp);
    if (!o.quick) await hostnetWay("hostnet-objects", { shape: "objects", transportFile: true }, P);
    for (let round = 0; round < o.rounds; round++) {
      // Rotate the order each round, so slow drift of the machine's load hits every way alike.
      for (let k = 0; k < ways.length; k++) {
        const w = ways[(k + round) % ways.length];
        await withRecovery(c, w.r.label, () => w.run(w.r));
        say(`round ${round + 1}/${o.rounds}: ${w.r.label}: up ${sec(w.r.up.at(-1)!)} s, down ${sec(w.r.down.at(-1)!)} s`);
      }
    }
    results.comparison.push(...ways.map((w) => w.r));

    // --- growth 10 -> 100 -> 1,000, and adding one endpoint to the largest ---
    const sizes = o.quick ? [10] : [10, 1000];
    for (const n of sizes) {
      const p = await prepare(c, n, HEADLINE);
      const r: WayResult = { way: "hostnet", label: flavourLabel(HEADLINE, P), endpoints: n, up: [], down: [], cpu: [], cpuHost: [] };
      const rounds = n >= 1000 ? 1 : o.rounds;
      const last = n === sizes[sizes.length - 1];
      for (let i = 0; i < rounds; i++) {
        const addOne = last && i === 0 ? () => measureAddOne(c, p, n, results) : undefined;
        // The add-one run leaves n+1 endpoints: its stack destroys them.
        await withRecovery(c, `${n} endpoints`, () => runHostnetGrowth(c, p, n, P, r, addOne));
        say(`growth: ${n} endpoints: up ${sec(r.up.at(-1)!)} s, down ${sec(r.down.at(-1)!)} s`);
      }
      results.growth.push(r);
    }
    results.growth.splice(
      1,
      0,
      results.comparison.find((w) => w.way === "hostnet")!,
    );

    // --- synth time and peak memory ---
    const synthSizes: Array<[number, Flavour]> = o.quick
      ? [[1000, HEADLINE]]
      : [
          [1000, HEADLINE],
          [1000, { shape: "endpoint", transportFile: false }],
          [1000, { shape: "objects", transportFile: true }],
          [10000, HEADLINE],
          [10000, { shape: "endpoint", transportFile: false }],
        ];
    for (const [n, f] of synthSizes) {
      const row: SynthRow = { endpoints: n, shape: f.shape, transportFile: f.transportFile, resources: resources(n, f.shape), runs: [] };
      for (let i = 0; i < o.rounds; i++) {
        const outdir = path.join(work, `synth-${f.shape}-${n}`);
        row.runs.push(
          await synth({
            count: n,
            shape: f.shape,
            transportFile: f.transportFile,
            outdir,
            state: path.join(work, "unused.tfstate"),
            host: c.inv.hosts[HOST],
          }),
        );
        fs.rmSync(outdir, { recursive: true, force: true });
        const x = row.runs.at(-1)!;
        say(
          `synth ${n} endpoints (${f.shape}, ${f.transportFile ? "transport file" : "inline transport"}): ${sec(x.totalMs / 1000)} s in-process, ${sec(x.processMs / 1000)} s process, ${mib(x.maxRssKb)} MiB peak RSS`,
        );
      }
      results.synth.push(row);
    }
  } finally {
    say(`lab "${LAB}" down`);
    await labDown({ name: LAB, dir: labDir(work) });
    if (!o.keepWorkdir) fs.rmSync(work, { recursive: true, force: true });
  }
  m.loadAverage.end = os.loadavg()[0];
  const r = results as Results & { targets: Results["targets"] };
  r.targets.push(...targets(r));
  write(r);
  process.stdout.write(render(r));
}

async function runHostnetGrowth(
  c: Context,
  p: Prepared,
  count: number,
  parallelism: number,
  r: WayResult,
  addOne?: () => Promise<string>,
): Promise<void> {
  const h0 = hostCpu(c);
  const up = await apply(p.dir, parallelism, c.env, c.log);
  const h1 = hostCpu(c);
  await verify(c, count, `${count} endpoints`);
  const dir = addOne ? await addOne() : p.dir;
  const h2 = hostCpu(c);
  const down = await destroy(dir, parallelism, c.env, c.log);
  const h3 = hostCpu(c);
  await settle(c, `${count} endpoints`);
  record(r, up.seconds, down.seconds, up.cpu + down.cpu + (h1 - h0) + (h3 - h2), h1 - h0 + (h3 - h2));
}

/** Synthesizes count+1 endpoints against the deployed stack's state, plans, applies; returns the directory that now owns the state. */
async function measureAddOne(c: Context, base: Prepared, count: number, results: Partial<Results>): Promise<string> {
  const p = await prepare(c, count + 1, HEADLINE, `endpoint-${count}-plus-one`, base.state);
  const plan = await terraform(p.dir, ["plan", "-input=false", `-parallelism=${c.o.parallelism}`, "-out=add-one.tfplan"], c.env, c.log);
  const changes = await plannedChanges(p.dir, "add-one.tfplan", c.env, c.log);
  const applied = await terraform(p.dir, ["apply", "-input=false", `-parallelism=${c.o.parallelism}`, "add-one.tfplan"], c.env, c.log);
  (results as { addOne?: Results["addOne"] }).addOne = { base: count, changes, planSeconds: plan.seconds, applySeconds: applied.seconds };
  await verify(c, count + 1, "add one");
  say(
    `add one endpoint to ${count}: ${changes.length} changes (${changes.map((x) => `${x.address} ${x.actions.join("+")}`).join(", ")}); plan ${sec(plan.seconds)} s, apply ${sec(applied.seconds)} s`,
  );
  return p.dir;
}

function targets(r: Results): Results["targets"] {
  const by = (way: string) => r.comparison.find((w) => w.way === way)!;
  const hn = total(by("hostnet"));
  const out: Results["targets"] = [];
  const vsCni = hn / total(by("cni"));
  const vsScript = hn / total(by("script"));
  out.push({ target: `deploy+destroy of ${COMPARE} endpoints ≤ 1.0 × CNI bridge plugin`, value: ratio(vsCni), met: vsCni <= 1.0 });
  out.push({ target: `deploy+destroy of ${COMPARE} endpoints ≤ 4 × plain script`, value: ratio(vsScript), met: vsScript <= 4 });
  for (const row of r.synth.filter((s) => s.shape === HEADLINE.shape && s.transportFile === HEADLINE.transportFile)) {
    const t = median(row.runs.map((x) => x.totalMs)) / 1000;
    const limit = row.endpoints >= 10000 ? 15 : 2;
    const rss = Math.max(...row.runs.map((x) => x.maxRssKb)) / 1024;
    const spawned = row.runs.some((x) => x.spawned.length > 0);
    out.push({
      target: `synth of ${row.endpoints.toLocaleString("en")} endpoints ≤ ${limit} s${row.endpoints >= 10000 ? ", < 1 GiB peak RSS" : ""}`,
      value: `${sec(t)} s (process ${sec(median(row.runs.map((x) => x.processMs)) / 1000)} s), ${rss.toFixed(0)} MiB${spawned ? ", SPAWNED PROCESSES" : ""}`,
      met: t <= limit && (row.endpoints < 10000 || rss < 1024) && !spawned,
    });
  }
  if (r.addOne) {
    const a = r.addOne;
    // Expected: the new endpoint's resource, and the host's preflight/sweep hook (its list of objects changed).
    const expected = [new RegExp(`^terraform_data\\.a_ep${a.base + 1}_hook_`), /^terraform_data\.a_hostnet_/];
    const others = a.changes.filter((x) => !expected.some((e) => e.test(x.address)));
    const s = a.planSeconds + a.applySeconds;
    out.push({
      target: `add one endpoint to ${a.base.toLocaleString("en")}: plan touches only it (+ host hook), apply ≤ 2 s`,
      value: `${a.changes.length} changes, plan ${sec(a.planSeconds)} s + apply ${sec(a.applySeconds)} s = ${sec(s)} s`,
      met: others.length === 0 && s <= 2,
      note: others.length ? `also touched: ${others.map((x) => x.address).join(", ")}` : undefined,
    });
  }
  const big = r.growth.find((g) => g.endpoints >= 1000);
  if (big)
    out.push({
      target: "1,000 endpoints deploy and destroy cleanly on one host",
      value: `up ${sec(big.up[0])} s, down ${sec(big.down[0])} s, host state equal before/after`,
      met: true,
    });
  return out;
}

function write(r: Results): void {
  const dir = path.join(ROOT, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "latest.json");
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(r, null, 2) + "\n");
  fs.renameSync(`${file}.tmp`, file);
  say(`wrote ${path.relative(ROOT, file)}`);
}

function render(r: Results): string {
  const m = r.machine;
  const cniT = total(r.comparison.find((w) => w.way === "cni")!);
  const scriptT = total(r.comparison.find((w) => w.way === "script")!);
  const out: string[] = [];
  out.push(
    `Machine: ${m.nproc} CPUs (${m.cpu}), ${(m.memoryMiB / 1024).toFixed(0)} GiB, Linux ${m.kernel}, node ${m.node}, Terraform ${m.terraform}, cdktf ${m.cdktf}; load average ${m.loadAverage.start.toFixed(1)} → ${m.loadAverage.end?.toFixed(1)}. Medians of ${r.options.rounds} rounds.`,
    "",
    `${COMPARE} endpoints on one test host (namespace, veth into a bridge, address, default route; masquerade):`,
    "",
    table(
      ["way", "up (s)", "down (s)", "up+down (s)", "vs CNI", "vs script", "CPU (s)", "of it in host (s)"],
      r.comparison.map((w) => [
        w.label,
        sec(median(w.up)),
        sec(median(w.down)),
        sec(total(w)),
        ratio(total(w) / cniT),
        ratio(total(w) / scriptT),
        sec(median(w.cpu)),
        sec(median(w.cpuHost)),
      ]),
    ),
    "",
    `One hook through the SSH transport (warm shared connection): ${sec(r.transport.hookSeconds)} s${r.transport.hookSecondsWithDotfiles !== undefined ? `; ${sec(r.transport.hookSecondsWithDotfiles)} s before masking the machine's /root dotfiles on the test host` : ""}.`,
    "",
    "Deploy time as the stack grows (Endpoint, one resource each):",
    "",
    table(
      ["endpoints", "up (s)", "down (s)", "up per endpoint (ms)", "CPU up+down (s)"],
      r.growth.map((g) => [
        g.endpoints.toLocaleString("en"),
        sec(median(g.up)),
        sec(median(g.down)),
        ((median(g.up) / g.endpoints) * 1000).toFixed(0),
        sec(median(g.cpu)),
      ]),
    ),
    "",
    "Synth (construct + app.synth(), in a fresh node process; process = wall time including ts-node start-up):",
    "",
    table(
      ["endpoints", "shape", "transport", "resources", "synth (s)", "process (s)", "peak RSS (MiB)"],
      r.synth.map((s) => [
        s.endpoints.toLocaleString("en"),
        s.shape,
        s.transportFile ? "file" : "inline",
        s.resources.toLocaleString("en"),
        sec(median(s.runs.map((x) => x.totalMs)) / 1000),
        sec(median(s.runs.map((x) => x.processMs)) / 1000),
        mib(Math.max(...s.runs.map((x) => x.maxRssKb))),
      ]),
    ),
    "",
  );
  if (r.addOne) {
    out.push(
      `Adding endpoint ${r.addOne.base + 1} to ${r.addOne.base.toLocaleString("en")}: ${r.addOne.changes.map((x) => `${x.address} (${x.actions.join(", ")})`).join("; ")}.`,
      "",
    );
  }
  out.push(
    "Targets:",
    "",
    table(
      ["target", "measured", "met"],
      r.targets.map((t) => [t.target, t.value + (t.note ? ` — ${t.note}` : ""), t.met ? "yes" : "no"]),
    ),
    "",
  );
  return out.join("\n");
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
