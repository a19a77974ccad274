/**
 * `npm run bench`: what a user waits for, hostnet against a plain `ip` script
 * and the CNI bridge plugin on a test host, and how it grows. hostnet runs as
 * the README says: a project with cdktf.json, `hostnet deploy` and `hostnet
 * destroy` (synth, drift probe and Terraform all timed). Prints markdown tables
 * and writes bench/results/latest.json, with every target of issue 14, the
 * value measured, and whether it is met. Needs root (it starts a lab).
 *
 *   npm run bench -- [--quick] [--cases compare,synth,growth,rules,multi-host] [--rounds N] [--no-low-load]
 *                    [--growth N] [--port-forwards N] [--multi-hosts N] [--keep-root-home] [--keep-workdir] [-- TERRAFORM-ARGS]
 *
 * Cases, in this order (every case records the 1-minute load average before and after it):
 * - compare: 100 endpoints up + down, each way in turn for N rounds (rotated):
 *   the plain script, the CNI bridge plugin (one ADD/DEL per endpoint),
 *   hostnet `Endpoint` and hostnet `Namespace` + `VethPair` + `Route` (the README's shape);
 *   each round runs every way back to back (under load: the 1-minute average
 *   still counts the runs before), then every way again, each after a wait
 *   until the average is under 1 (low load; at most 5 minutes a wait);
 *   --no-low-load leaves the second set out;
 * - synth: the app command as `hostnet deploy` runs it, as a whole process
 *   (module loading included): wall time and peak RSS, 1,000 and 10,000 endpoints;
 * - growth: 1,000 endpoints up; then, in the same working copy, one endpoint
 *   added (`hostnet deploy`, synth included; which resources Terraform touched)
 *   and removed again; then 1,000 down;
 * - rules: one bridge + subnet, masquerade and 100 NatRule.portForward rules
 *   (host ports 20000.. to port 80 of addresses in the subnet), up and down,
 *   with firewall "iptables" and "nftables" in turn for N rounds (rotated);
 *   the ratio nftables / iptables;
 * - multi-host: 10 hosts × 100 endpoints in one stack, up and down.
 * --quick runs compare (1 round unless --rounds, no low-load set) and the 1,000-endpoint synth:
 * a few minutes. The full run (every case, 3 rounds) takes long on a loaded
 * machine. --cases picks cases; --growth N sizes the growth case (default
 * 1,000; a smaller N checks the case quickly, and its targets are then not
 * reported), --port-forwards N the rules case (default 100), --multi-hosts N
 * the multi-host case (default 10 hosts).
 * Words after `--` go to `hostnet deploy/destroy -- ...` (e.g. -parallelism=4).
 * Numbers are medians; targets are ratios measured in the same run, since other
 * work on the machine slows every way alike.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import execa from "execa";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../src/lab";
import { hostPid } from "../src/lab/exec";
import { labFilesAt } from "../src/lab/paths";
import { shq } from "../src/render/quote";
import { benchEnv, CommandRun, distIsFresh, hostnet, makeProject, Project, ProjectConfig, ROOT, setConfig, synthProcess } from "./project";
import { machine, mib, sec } from "./report";
import {
  AddOne,
  Case,
  CASES,
  COMPARE,
  backendRatio,
  BACKENDS,
  GROWTH,
  isEndpoint,
  Load,
  LOW_LOAD_START,
  Options,
  PORT_FORWARDS,
  render,
  resources,
  Results,
  shapeLabel,
  SynthRow,
  targets,
  WayResult,
} from "./summary";
import { BenchShape, RULES_PORT } from "./topology";
import { cniDown, cniUp, elapsedSeconds, scriptDown, scriptUp, SETTLE } from "./ways";

// Lab names of this bench: no test file uses them (tests use their own names and indexes).
// HOSTNET_BENCH_LAB=name:index runs it on another lab, so two benches on one machine do not collide.
const BENCH_LAB = /^([a-z]{1,4}):(\d{1,3})$/.exec(process.env.HOSTNET_BENCH_LAB ?? "");
const LAB = BENCH_LAB?.[1] ?? "sb";
const LAB_INDEX = BENCH_LAB ? Number(BENCH_LAB[2]) : 191;
const HOST = "a";
const MULTI_HOSTS = 10;

function parseArgs(argv: string[]): Options {
  const o: Options = {
    rounds: 0,
    quick: false,
    cases: [],
    growth: GROWTH,
    multiHosts: MULTI_HOSTS,
    portForwards: PORT_FORWARDS,
    keepRootHome: false,
    keepWorkdir: false,
    terraformArgs: [],
    lowLoad: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      o.terraformArgs = argv.slice(i + 1);
      break;
    }
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
    else if (a === "--growth") o.growth = int(value());
    else if (a === "--multi-hosts") o.multiHosts = int(value());
    else if (a === "--port-forwards") {
      o.portForwards = int(value());
      if (RULES_PORT + o.portForwards - 1 > 65535) throw new Error(`--port-forwards: at most ${65536 - RULES_PORT} (host ports from ${RULES_PORT})`);
    } else if (a === "--quick") o.quick = true;
    else if (a === "--cases") {
      for (const x of value().split(",")) {
        if (!(CASES as readonly string[]).includes(x)) throw new Error(`--cases: unknown case "${x}"; the cases are ${CASES.join(", ")}`);
        o.cases.push(x as Case);
      }
    } else if (a === "--keep-root-home") o.keepRootHome = true;
    else if (a === "--keep-workdir") o.keepWorkdir = true;
    else if (a === "--no-low-load") o.lowLoad = false;
    else throw new Error(`unknown option ${a}; see the top of bench/run.ts`);
  }
  if (o.quick) o.lowLoad = false;
  if (o.rounds === 0) o.rounds = o.quick ? 1 : 3;
  if (o.cases.length === 0) o.cases = o.quick ? ["compare", "synth"] : [...CASES];
  return o;
}

const say = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const load1 = () => Math.round(os.loadavg()[0] * 100) / 100;

/** The longest wait for a quiet machine; a round that starts after it is still recorded, with its load. */
const LOW_LOAD_WAIT_SECONDS = 300;

/** Waits until the 1-minute load average is under LOW_LOAD_START (the kernel updates it every 5 s). */
async function lowLoad(): Promise<void> {
  const t0 = Date.now();
  while (load1() >= LOW_LOAD_START && Date.now() - t0 < LOW_LOAD_WAIT_SECONDS * 1000) await new Promise((r) => setTimeout(r, 5000));
  const waited = (Date.now() - t0) / 1000;
  if (load1() >= LOW_LOAD_START) say(`waited ${waited.toFixed(0)} s for a load under ${LOW_LOAD_START}; starting at ${load1()}`);
  else if (waited >= 5) say(`waited ${waited.toFixed(0)} s for a load under ${LOW_LOAD_START} (now ${load1()})`);
}

interface Context {
  readonly o: Options;
  inv: Inventory;
  readonly work: string;
  readonly log: string;
  readonly env: Record<string, string>;
  /** Host state with nothing of the benchmark on it, per host. */
  clean: Map<string, string>;
  readonly compiled: boolean;
}

const labDir = (work: string) => path.join(work, "lab");
const inventoryFile = (c: Context) => labFilesAt(c.inv.dir).inventory;

/** Starts the lab and makes its hosts clean machines: a fresh tmpfs over /root in each host's own mount namespace. */
async function startLab(c: Context, hosts: number, maskHome: boolean): Promise<void> {
  c.inv = await labUp({ name: LAB, hosts, index: LAB_INDEX, dir: labDir(c.work) });
  c.clean = new Map();
  for (const h of Object.keys(c.inv.hosts)) {
    // The test host shares the machine's /root. A login shell there runs root's
    // dotfiles on every SSH session (on this machine, pyenv's init: ~0.2 s); a
    // fresh tmpfs over /root, in the host's own mount namespace only, makes the
    // test host behave like a clean machine.
    if (maskHome) await inHost(c, "mount -t tmpfs -o mode=0700 hostnet-bench-home /root", "masking /root", h);
    c.clean.set(h, await hostSnapshot(c.inv, h));
  }
}

async function inHost(c: Context, script: string, what: string, host = HOST): Promise<string> {
  const r = await hostExec(c.inv, host, script);
  if (r.exitCode !== 0) throw new Error(`${what} failed on test host ${host} (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
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

/** CPU seconds used so far by the test hosts' sshd and everything under it (the hooks' sessions and scripts). */
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
  for (const h of Object.keys(c.inv.hosts)) visit(hostPid(c.inv, h));
  return ticks / CLK_TCK;
}

/** The endpoints answer: N namespaces, and the first and last reach the gateway. Untimed. */
async function verify(c: Context, count: number, what: string, host = HOST): Promise<void> {
  await inHost(
    c,
    [
      `n=$(ip netns list | wc -l); [ "$n" = ${count} ] || { echo "expected ${count} namespaces, found $n"; exit 1; }`,
      "ip netns exec ep1 ping -c 1 -W 2 198.19.0.1 >/dev/null",
      `ip netns exec ep${count} ping -c 1 -W 2 198.19.0.1 >/dev/null`,
    ].join("\n"),
    `${what}: checking the endpoints`,
    host,
  );
}

/**
 * The rules case is deployed with `backend`: at least `count` DNAT rules in its
 * tables, none in the other backend's (hostnet's nftables table is inet
 * hostnet_bench; iptables-save shows only the iptables tables). Untimed.
 */
async function verifyRules(c: Context, count: number, backend: "iptables" | "nftables"): Promise<void> {
  const ipt = "$(iptables-save -t nat | grep -c -- '-j DNAT' || true)";
  const nft = "$(nft list table inet hostnet_bench 2>/dev/null | grep -c 'dnat ip to' || true)";
  const [mine, other] = backend === "iptables" ? [ipt, nft] : [nft, ipt];
  await inHost(
    c,
    [
      `n=${mine}; [ "$n" -ge ${count} ] || { echo "expected ${count} DNAT rules with ${backend}, found $n"; exit 1; }`,
      `m=${other}; [ "$m" = 0 ] || { echo "found $m DNAT rules of the other backend"; exit 1; }`,
    ].join("\n"),
    `rules (${backend}): checking the rules`,
  );
}

/** After a way's down: wait for the kernel's namespace cleanup, then the host must equal its state before. */
async function settle(c: Context, what: string, host = HOST): Promise<void> {
  await inHost(c, SETTLE, `${what}: waiting for namespace cleanup`, host);
  const now = await hostSnapshot(c.inv, host);
  const clean = c.clean.get(host) ?? "";
  if (now !== clean) {
    const before = new Set(clean.split("\n"));
    const after = new Set(now.split("\n"));
    const diff = [...[...before].filter((l) => !after.has(l)).map((l) => `- ${l}`), ...[...after].filter((l) => !before.has(l)).map((l) => `+ ${l}`)];
    throw new Error(`${what} left host ${host} different from before:\n${diff.slice(0, 40).join("\n")}`);
  }
}

function newWay(way: string, label: string, endpoints: number, hosts = 1): WayResult {
  return { way, label, endpoints, hosts, up: [], down: [], cpu: [], cpuHost: [], synth: [], load: [] };
}

// Each run records its numbers only once it has finished, so a failed run never leaves half a pair.
function record(r: WayResult, x: { up: number; down: number; cpu: number; cpuHost: number; synth?: number; load: Load }): void {
  r.up.push(x.up);
  r.down.push(x.down);
  r.cpu.push(x.cpu);
  r.cpuHost.push(x.cpuHost);
  if (x.synth !== undefined) r.synth.push(x.synth);
  r.load.push(x.load);
}

async function runScript(c: Context, count: number, r: WayResult): Promise<void> {
  const before = load1();
  const up = await timedInHost(c, scriptUp(count), "script up");
  await verify(c, count, "script");
  const down = await timedInHost(c, scriptDown(count), "script down");
  await settle(c, "script");
  record(r, { up: up.seconds, down: down.seconds, cpu: up.cpu + down.cpu, cpuHost: up.cpu + down.cpu, load: { before, after: load1() } });
}

async function runCni(c: Context, count: number, r: WayResult): Promise<void> {
  const before = load1();
  const up = await timedInHost(c, cniUp(count), "CNI ADD");
  await verify(c, count, "CNI");
  const down = await timedInHost(c, cniDown(count), "CNI DEL");
  await settle(c, "CNI");
  record(r, { up: up.seconds, down: down.seconds, cpu: up.cpu + down.cpu, cpuHost: up.cpu + down.cpu, load: { before, after: load1() } });
}

const synthSeconds = (x: CommandRun) =>
  x.marks.synthStart !== undefined && x.marks.synthEnd !== undefined ? x.marks.synthEnd - x.marks.synthStart : NaN;

function deploy(c: Context, p: Project): Promise<CommandRun> {
  return hostnet(p, ["deploy", ...(c.o.terraformArgs.length ? ["--", ...c.o.terraformArgs] : [])], c.env, c.log);
}
function destroy(c: Context, p: Project): Promise<CommandRun> {
  return hostnet(p, ["destroy", ...(c.o.terraformArgs.length ? ["--", ...c.o.terraformArgs] : [])], c.env, c.log);
}

/** A project of the bench, synthesized and initialised once (untimed: `hostnet destroy` of an empty state). */
async function prepare(c: Context, name: string, config: Omit<ProjectConfig, "inventory">): Promise<Project> {
  const p = makeProject(path.join(c.work, name), { ...config, inventory: inventoryFile(c) }, c.compiled);
  await destroy(c, p);
  return p;
}

/** hostnet deploy, check (untimed; by default: the endpoints answer), hostnet destroy, check: one round of a hostnet way. */
async function runHostnet(c: Context, p: Project, r: WayResult, check?: () => Promise<void>): Promise<void> {
  const before = load1();
  const h0 = hostCpu(c);
  const up = await deploy(c, p);
  const h1 = hostCpu(c);
  if (check) await check();
  else for (const h of p.config.hosts) await verify(c, p.config.count, r.label, h);
  const h2 = hostCpu(c);
  const down = await destroy(c, p);
  const h3 = hostCpu(c);
  for (const h of p.config.hosts) await settle(c, r.label, h);
  const inHostCpu = h1 - h0 + (h3 - h2);
  record(r, {
    up: up.seconds,
    down: down.seconds,
    cpu: up.cpu + down.cpu + inHostCpu,
    cpuHost: inHostCpu,
    synth: synthSeconds(up),
    load: { before, after: load1() },
  });
}

/** Builds dist/ when it is older than the sources, so the CLI and the bench's app load hostnet as an installed package does. */
async function ensureBuild(): Promise<boolean> {
  if (distIsFresh()) return true;
  say("npm run build (dist/ is missing or older than the sources; an installed package ships it compiled)");
  const r = await execa("npm", ["run", "build"], { cwd: ROOT, reject: false, all: true });
  if (r.exitCode !== 0) {
    say(`npm run build failed; hostnet runs from its TypeScript sources (slower start):\n${(r.all ?? "").slice(-2000)}`);
    return false;
  }
  return distIsFresh();
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const m = await machine();
  const compiled = await ensureBuild();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-bench-"));
  const log = path.join(work, "hostnet.log");
  say(`work directory ${work} (hostnet and terraform output in ${log})`);
  const results: Results = {
    date: new Date().toISOString(),
    machine: m,
    options: o,
    hostnetBuild: compiled ? "dist" : "sources",
    comparison: [],
    synth: [],
    growth: [],
    targets: [],
  };
  const c: Context = {
    o,
    inv: undefined as unknown as Inventory,
    work,
    log,
    env: { ...stringEnv(), ...benchEnv(path.join(work, "ssh")) },
    clean: new Map(),
    compiled,
  };
  const projects: Project[] = [];
  let finished = false;
  try {
    say(`lab "${LAB}" up`);
    await startLab(c, 1, !o.keepRootHome);

    const has = (x: Case) => o.cases.includes(x);
    // --- compare: 100 endpoints, each way in turn, rounds times ---
    const ways: Array<{ r: WayResult; run: (r: WayResult) => Promise<void> }> = [
      { r: newWay("script", "plain ip script", COMPARE), run: (r) => runScript(c, COMPARE, r) },
      { r: newWay("cni", "CNI bridge plugin, one ADD/DEL each", COMPARE), run: (r) => runCni(c, COMPARE, r) },
    ];
    for (const shape of has("compare") ? (["endpoint", "objects"] as const) : []) {
      say(`project: ${COMPARE} endpoints, ${shapeLabel(shape)}`);
      const p = await prepare(c, `compare-${shape}`, { count: COMPARE, shape, hosts: [HOST] });
      projects.push(p);
      ways.push({
        r: newWay(`hostnet-${shape}`, `hostnet ${shapeLabel(shape)} (hostnet deploy / destroy)`, COMPARE),
        run: (r) => runHostnet(c, p, r),
      });
    }
    // The same ways again, each round after a wait for a quiet machine (the low load).
    const quiet = o.lowLoad ? ways.map((w) => ({ r: newWay(w.r.way, w.r.label, w.r.endpoints), run: w.run })) : [];
    for (let round = 0; round < (has("compare") ? o.rounds : 0); round++) {
      // Rotate the order each round, so slow drift of the machine's load hits every way alike.
      for (const [set, list] of [
        ["", ways],
        ["low load, ", quiet],
      ] as const) {
        for (let k = 0; k < list.length; k++) {
          const w = list[(k + round) % list.length];
          if (list === quiet) await lowLoad();
          await w.run(w.r);
          const l = w.r.load.at(-1)!;
          say(
            `round ${round + 1}/${o.rounds}, ${set}${w.r.label}: up ${sec(w.r.up.at(-1)!)} s, down ${sec(w.r.down.at(-1)!)} s (load ${l.before} → ${l.after})`,
          );
        }
      }
    }
    if (has("compare")) {
      results.comparison.push(...ways.map((w) => w.r));
      if (quiet.length) results.comparisonLowLoad = quiet.map((w) => w.r);
    }

    // --- synth as a whole process ---
    const synthCases: Array<[number, BenchShape]> = !has("synth")
      ? []
      : o.quick
        ? [[1000, "endpoint"]]
        : [
            [1000, "endpoint"],
            [1000, "objects"],
            [10000, "endpoint"],
          ];
    const synthOutdirs: string[] = [];
    for (const [n, shape] of synthCases) {
      const p = makeProject(path.join(work, `synth-${shape}-${n}`), { count: n, shape, hosts: [HOST], inventory: inventoryFile(c) }, compiled);
      const row: SynthRow = { endpoints: n, shape, resources: resources(n, shape), runs: [], again: [], load: [] };
      for (let i = 0; i < o.rounds; i++) {
        const before = load1();
        const outdir = path.join(p.dir, `synth.out.${i}`);
        synthOutdirs.push(outdir);
        row.runs.push(await synthProcess(p, c.env, outdir));
        row.again!.push(await synthProcess(p, c.env, outdir, true));
        row.load.push({ before, after: load1() });
        say(
          `synth ${n} endpoints (${shape}), whole process: ${sec(row.runs.at(-1)!.seconds)} s into an empty outdir, ` +
            `${sec(row.again!.at(-1)!.seconds)} s again into the same; ${mib(row.runs.at(-1)!.maxRssKb)} MiB peak RSS`,
        );
      }
      results.synth.push(row);
    }
    // Removed after every synth case, not before a timed run (see synthProcess).
    for (const outdir of synthOutdirs) fs.rmSync(outdir, { recursive: true, force: true });

    // --- growth: 1,000 up, add one in the same working copy, remove it, 1,000 down ---
    const G = o.growth;
    if (has("growth")) {
      const p = await prepare(c, `growth-${G}`, { count: G, shape: "endpoint", hosts: [HOST] });
      projects.push(p);
      const r = newWay("hostnet-endpoint", `hostnet Endpoint (hostnet deploy / destroy)`, G);
      const before = load1();
      const h0 = hostCpu(c);
      const up = await deploy(c, p);
      const h1 = hostCpu(c);
      await verify(c, G, `${G} endpoints`);
      say(`growth: ${G} endpoints up ${sec(up.seconds)} s`);
      results.addOne = await addOne(c, p);
      const h2 = hostCpu(c);
      const down = await destroy(c, p);
      const h3 = hostCpu(c);
      await settle(c, `${G} endpoints`);
      const inHostCpu = h1 - h0 + (h3 - h2);
      record(r, {
        up: up.seconds,
        down: down.seconds,
        cpu: up.cpu + down.cpu + inHostCpu,
        cpuHost: inHostCpu,
        synth: synthSeconds(up),
        load: { before, after: load1() },
      });
      say(`growth: ${G} endpoints down ${sec(down.seconds)} s`);
      const small = results.comparison.find((w) => w.way === "hostnet-endpoint");
      results.growth.push(...(small ? [small] : []), r);
    }

    // --- rules: masquerade + N port forwards, iptables and nftables in turn ---
    if (has("rules")) {
      const N = o.portForwards;
      const backends: Array<{ r: WayResult; p: Project; backend: (typeof BACKENDS)[number] }> = [];
      for (const backend of BACKENDS) {
        say(`project: ${N} port forwards + masquerade, firewall ${backend}`);
        const p = await prepare(c, `rules-${backend}`, { count: 0, shape: "endpoint", hosts: [HOST], portForwards: N, firewall: backend });
        projects.push(p);
        const r = newWay(backend, `hostnet ${N} port forwards + masquerade, ${backend} (hostnet deploy / destroy)`, 0);
        backends.push({ r, p, backend });
      }
      for (let round = 0; round < o.rounds; round++) {
        // Interleaved, the order rotated each round, as in compare.
        for (let k = 0; k < backends.length; k++) {
          const b = backends[(k + round) % backends.length];
          await runHostnet(c, b.p, b.r, () => verifyRules(c, N, b.backend));
          const l = b.r.load.at(-1)!;
          say(
            `rules round ${round + 1}/${o.rounds}: ${b.backend}: up ${sec(b.r.up.at(-1)!)} s, down ${sec(b.r.down.at(-1)!)} s (load ${l.before} → ${l.after})`,
          );
        }
      }
      const ways = backends.map((b) => b.r);
      results.rules = { portForwards: N, backends: ways, ratio: backendRatio(ways) };
    }

    // --- multi-host: 10 hosts x 100 endpoints, one stack, Terraform runs the hosts' hooks in parallel ---
    if (has("multi-host")) {
      say(`lab "${LAB}" with ${o.multiHosts} hosts`);
      await startLab(c, o.multiHosts, !o.keepRootHome);
      const hosts = Object.keys(c.inv.hosts).sort();
      const p = await prepare(c, "multi-host", { count: COMPARE, shape: "endpoint", hosts });
      projects.push(p);
      const r = newWay(
        "hostnet-multi-host",
        `hostnet Endpoint, ${hosts.length} hosts × ${COMPARE} (hostnet deploy / destroy)`,
        COMPARE,
        hosts.length,
      );
      await runHostnet(c, p, r);
      say(`multi-host: up ${sec(r.up[0])} s, down ${sec(r.down[0])} s`);
      results.multiHost = r;
    }
    finished = true;
  } finally {
    // After a failure, nothing of the bench stays on the hosts (the lab goes too, but its tags and /run/hostnet with it).
    if (!finished) for (const p of projects) await destroy(c, p).catch((e) => say(`cleanup: ${(e as Error).message.split("\n")[0]}`));
    say(`lab "${LAB}" down`);
    await labDown({ name: LAB, dir: labDir(work) });
    if (!o.keepWorkdir) fs.rmSync(work, { recursive: true, force: true });
  }
  m.loadAverage.end = os.loadavg()[0];
  results.targets.push(...targets(results));
  write(results);
  process.stdout.write(render(results));
}

function stringEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Adds one endpoint to the deployed stack in the same working copy (`hostnet deploy`), then removes it again. */
async function addOne(c: Context, p: Project): Promise<AddOne> {
  const base = p.config.count;
  const before = load1();
  setConfig(p, { ...p.config, count: base + 1 });
  const add = await deploy(c, p);
  await verify(c, base + 1, "add one");
  setConfig(p, { ...p.config, count: base });
  const remove = await deploy(c, p);
  await verify(c, base, "remove one");
  const others = add.changed.filter((a) => !isEndpoint(a, base + 1));
  say(
    `add one endpoint to ${base}: ${sec(add.seconds)} s (synth ${sec(synthSeconds(add))} s); Terraform touched ${add.changed.join(", ") || "nothing"}`,
  );
  say(`remove it again: ${sec(remove.seconds)} s; Terraform touched ${remove.changed.join(", ") || "nothing"}`);
  return {
    base,
    seconds: add.seconds,
    synthSeconds: synthSeconds(add),
    changed: add.changed,
    others,
    removeSeconds: remove.seconds,
    removeChanged: remove.changed,
    load: { before, after: load1() },
  };
}

function write(r: Results): void {
  const dir = path.join(ROOT, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "latest.json");
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(r, null, 2) + "\n");
  fs.renameSync(`${file}.tmp`, file);
  say(`wrote ${path.relative(ROOT, file)}`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
