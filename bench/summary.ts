/**
 * What `npm run bench` reports: the results it writes to bench/results/latest.json,
 * the targets of issue 14 with the value measured and whether each is met, and
 * the markdown tables it prints. Pure: results in, targets and text out.
 */
import { median, mib, ratio, sec, table } from "./report";
import type { Machine } from "./report";
import type { SynthRun } from "./project";
import type { BenchShape } from "./topology";

/** The comparison size: the issue's 100 endpoints. */
export const COMPARE = 100;

export const GROWTH = 1000;

/** The rules case's size: port forwards beside one masquerade. */
export const PORT_FORWARDS = 100;

/** The firewall backends the rules case measures, side by side. */
export const BACKENDS = ["iptables", "nftables"] as const;

export type Backend = (typeof BACKENDS)[number];

export const CASES = ["compare", "synth", "growth", "rules", "multi-host"] as const;

export type Case = (typeof CASES)[number];

export interface Options {
  rounds: number;
  quick: boolean;
  cases: Case[];
  growth: number;
  multiHosts: number;
  /** Port forwards of the rules case. */
  portForwards: number;
  keepRootHome: boolean;
  keepWorkdir: boolean;
  terraformArgs: string[];
  /**
   * Compare also runs each way with every round started at low load: it waits
   * until the 1-minute load average is under LOW_LOAD_START (absent in older results).
   */
  lowLoad?: boolean;
}

/** The issue's low load: a 1-minute load average under 2. */
export const LOW_LOAD = 2;

/**
 * A low-load round of compare starts once the 1-minute load average is under
 * this: the average lags a minute behind, so right after another run it still
 * counts that run. An idle machine here reads 0.1 to 0.3.
 */
export const LOW_LOAD_START = 1;

/** The 1-minute load average before and after a run. */
export interface Load {
  readonly before: number;
  readonly after: number;
}

/** One way of building the endpoints, measured up and down. */
export interface WayResult {
  readonly way: string;
  readonly label: string;
  readonly endpoints: number;
  readonly hosts: number;
  readonly up: number[];
  readonly down: number[];
  /** CPU seconds of up + down, on this machine and in the test host alike (every process involved). */
  readonly cpu: number[];
  /** The part of `cpu` spent in the test host (sshd sessions and hook scripts; all of it for the script and CNI). */
  readonly cpuHost: number[];
  /** For hostnet: seconds of synth (app command) within up and within down. */
  readonly synth: number[];
  readonly load: Load[];
}

export interface SynthRow {
  readonly endpoints: number;
  readonly shape: BenchShape;
  readonly resources: number;
  /** Into an empty outdir (a first deploy). */
  readonly runs: SynthRun[];
  /** Each right after a run of `runs`, into the outdir it left (every later deploy); absent in older results. */
  readonly again?: SynthRun[];
  readonly load: Load[];
}

export interface AddOne {
  readonly base: number;
  /** `hostnet deploy` with one endpoint more, synth included. */
  readonly seconds: number;
  readonly synthSeconds: number;
  /** Resources Terraform created, replaced or changed. */
  readonly changed: readonly string[];
  /** Of them, those that are not the new endpoint's objects. */
  readonly others: readonly string[];
  /** `hostnet deploy` with that endpoint removed again. */
  readonly removeSeconds: number;
  readonly removeChanged: readonly string[];
  readonly load: Load;
}

/** nftables over iptables, medians of each: below 1, nftables is faster. null when a side has no finished run. */
export interface BackendRatio {
  readonly up: number | null;
  readonly down: number | null;
  readonly total: number | null;
}

/**
 * The rules case: one bridge + subnet, masquerade and `portForwards`
 * NatRule.portForward rules, deployed and destroyed with each firewall backend
 * in turn (the order rotated each round).
 */
export interface RulesCase {
  readonly portForwards: number;
  /** One per backend, `way` the backend's name ("iptables", "nftables"); `endpoints` is 0 (the case has none). */
  readonly backends: WayResult[];
  readonly ratio: BackendRatio;
}

export interface Target {
  readonly target: string;
  /** The measured value (seconds, ratio, MiB), as the target compares it. */
  readonly value: number | null;
  readonly limit: number;
  readonly unit: string;
  readonly met: boolean;
  readonly note?: string;
}

export interface Results {
  date: string;
  machine: Machine;
  options: Options;
  /** How the bench projects load hostnet: "dist" (compiled, as an installed package) or "sources" (TypeScript, run by the app command's sucrase). */
  hostnetBuild: string;
  /** Compare's rounds run back to back: each starts while the average still counts the run before. */
  comparison: WayResult[];
  /** Compare's rounds that each waited for a quiet machine first (--no-low-load leaves them out; absent in older results). */
  comparisonLowLoad?: WayResult[];
  synth: SynthRow[];
  growth: WayResult[];
  addOne?: AddOne;
  multiHost?: WayResult;
  rules?: RulesCase;
  targets: Target[];
}

export const total = (w: WayResult) => median(w.up.map((u, i) => u + w.down[i]));

/** Terraform resources of the topology: per endpoint 1 (Endpoint) or 3, plus the host hook, bridge, masquerade and ip_forward. */
export const resources = (count: number, shape: BenchShape) => (shape === "endpoint" ? count : 3 * count) + 4;

export const shapeLabel = (shape: BenchShape) => (shape === "endpoint" ? "Endpoint" : "Namespace+VethPair+Route");

/** Endpoint n+1's resources: the construct id ep<n+1> in the address, not followed by a digit. */
export const isEndpoint = (address: string, i: number) => new RegExp(`(^|[._])ep${i}(?![0-9])`).test(address);

/**
 * The comparison targets of one set of compare's rounds. The issue's limit
 * depends on the load: 0.5x the CNI plugin at low load (< 2), 1.0x under load.
 * Back-to-back rounds are under load when any load read before or after a round
 * was 2 or more. Low-load rounds waited for a quiet machine, and count as low
 * load when every one started under 2 (the run's own processes raise the
 * average while it runs); a round whose wait ran out makes the set "under load".
 */
function comparisonTargets(ways: readonly WayResult[], lowLoadSet: boolean): Target[] {
  const out: Target[] = [];
  const way = (id: string) => ways.find((w) => w.way === id);
  const cni = way("cni");
  const script = way("script");
  const set = lowLoadSet ? ", each round started at low load" : "";
  for (const shape of ["endpoint", "objects"] as const) {
    const hn = way(`hostnet-${shape}`);
    if (!hn || !cni || !script || hn.up.length === 0) continue;
    const all = [cni, script, hn];
    const starts = all.flatMap((w) => w.load.map((l) => l.before));
    const loads = all.flatMap((w) => w.load.flatMap((l) => [l.before, l.after]));
    const hnLoads = hn.load.flatMap((l) => [l.before, l.after]);
    const loaded = Math.max(...(lowLoadSet ? starts : hnLoads)) >= LOW_LOAD;
    const vsCni = total(hn) / total(cni);
    const cniLimit = loaded ? 1.0 : 0.5;
    out.push({
      target: `${COMPARE} endpoints up+down, hostnet ${shapeLabel(shape)} ≤ ${cniLimit} × CNI bridge plugin (${loaded ? "under load" : "low load"}${set})`,
      value: round(vsCni),
      limit: cniLimit,
      unit: "×",
      met: vsCni <= cniLimit,
      note: lowLoadSet
        ? `rounds started at load ${Math.min(...starts)}–${Math.max(...starts)}; during them up to ${Math.max(...loads)}`
        : `load ${Math.min(...hnLoads)}–${Math.max(...hnLoads)}`,
    });
    const vsScript = total(hn) / total(script);
    out.push({
      target: `${COMPARE} endpoints up+down, hostnet ${shapeLabel(shape)} ≤ 2.5 × plain script${lowLoadSet ? ` (${loaded ? "under load" : "low load"}${set})` : ""}`,
      value: round(vsScript),
      limit: 2.5,
      unit: "×",
      met: vsScript <= 2.5,
    });
  }
  return out;
}

export function targets(r: Results): Target[] {
  const out: Target[] = [...comparisonTargets(r.comparison, false), ...comparisonTargets(r.comparisonLowLoad ?? [], true)];
  const [small, big] = [r.growth.find((g) => g.endpoints === COMPARE), r.growth.find((g) => g.endpoints === GROWTH)];
  if (small && big) {
    for (const dir of ["up", "down"] as const) {
      const x = median(big[dir]) / median(small[dir]);
      out.push({
        target: `${GROWTH.toLocaleString("en")} endpoints ${dir} ≤ 12 × ${COMPARE} endpoints ${dir} (linear)`,
        value: round(x),
        limit: 12,
        unit: "×",
        met: x <= 12,
      });
    }
  }
  if (r.addOne) {
    const a = r.addOne;
    out.push({
      target: `one endpoint added to a deployed ${a.base.toLocaleString("en")}: hostnet deploy ≤ 2 s, synth included`,
      value: round(a.seconds),
      limit: 2,
      unit: "s",
      met: a.seconds <= 2,
      note: `synth ${sec(a.synthSeconds)} s; load ${a.load.before}`,
    });
    out.push({
      target: `one endpoint added to a deployed ${a.base.toLocaleString("en")}: the plan names only that endpoint's objects`,
      value: a.others.length,
      limit: 0,
      unit: "other resources",
      met: a.changed.length > 0 && a.others.length === 0,
      note: a.others.length ? `also touched: ${a.others.join(", ")}` : `touched: ${a.changed.join(", ")}`,
    });
  }
  for (const row of r.synth.filter((s) => s.shape === "endpoint")) {
    const t = median(row.runs.map((x) => x.seconds));
    const limit = row.endpoints >= 10000 ? 15 : 2;
    const rss = Math.max(...[...row.runs, ...(row.again ?? [])].map((x) => x.maxRssKb)) / 1024;
    out.push({
      target: `synth of ${row.endpoints.toLocaleString("en")} endpoints ≤ ${limit} s, whole process`,
      value: round(t),
      limit,
      unit: "s",
      met: t <= limit,
      note: `into an empty outdir; load ${row.load[0]?.before}${row.again?.length ? `; again into the same: ${sec(median(row.again.map((x) => x.seconds)))} s` : ""}`,
    });
    out.push({
      target: `synth of ${row.endpoints.toLocaleString("en")} endpoints under 1 GiB peak RSS`,
      value: Number.isFinite(rss) ? Math.round(rss) : null,
      limit: 1024,
      unit: "MiB",
      met: rss < 1024,
    });
  }
  return out;
}

/** nftables / iptables of the rules case's runs: up, down and up+down, each a ratio of medians. */
export function backendRatio(backends: readonly WayResult[]): BackendRatio {
  const ipt = backends.find((w) => w.way === "iptables");
  const nft = backends.find((w) => w.way === "nftables");
  const of = (f: (w: WayResult) => number) => (ipt && nft && ipt.up.length && nft.up.length ? round(f(nft) / f(ipt)) : null);
  return { up: of((w) => median(w.up)), down: of((w) => median(w.down)), total: of(total) };
}

export const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);

export const loadRange = (ls: readonly Load[]) => {
  const xs = ls.flatMap((l) => [l.before, l.after]);
  return xs.length ? `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}` : "–";
};

/** The load when a way's rounds started, and the highest after one: "0.4–0.9, then ≤ 6.1". */
const startLoad = (ls: readonly Load[]) => {
  if (!ls.length) return "–";
  const starts = ls.map((l) => l.before);
  return `${Math.min(...starts).toFixed(1)}–${Math.max(...starts).toFixed(1)}, then ≤ ${Math.max(...ls.map((l) => l.after)).toFixed(1)}`;
};

/** One table of compare's ways, each against the CNI plugin and the plain script of the same set. */
function compareTable(ways: readonly WayResult[], load: (ls: readonly Load[]) => string): string {
  const cni = ways.find((w) => w.way === "cni");
  const script = ways.find((w) => w.way === "script");
  return table(
    ["way", "up (s)", "down (s)", "up+down (s)", "vs CNI", "vs script", "synth in up (s)", "CPU (s)", "of it in host (s)", "load"],
    ways.map((w) => [
      w.label,
      sec(median(w.up)),
      sec(median(w.down)),
      sec(total(w)),
      cni ? ratio(total(w) / total(cni)) : "–",
      script ? ratio(total(w) / total(script)) : "–",
      w.synth.length ? sec(median(w.synth)) : "–",
      sec(median(w.cpu)),
      sec(median(w.cpuHost)),
      load(w.load),
    ]),
  );
}

export function render(r: Results): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(
    `Machine: ${m.nproc} CPUs (${m.cpu}), ${(m.memoryMiB / 1024).toFixed(0)} GiB, Linux ${m.kernel}, node ${m.node}, Terraform ${m.terraform}, cdktf ${m.cdktf}; ` +
      `load average ${m.loadAverage.start.toFixed(1)} → ${m.loadAverage.end?.toFixed(1)}; hostnet from ${r.hostnetBuild}. Medians of ${r.options.rounds} round(s).`,
    "",
  );
  if (r.comparison.length) {
    out.push(
      `${COMPARE} endpoints on one test host (namespace, veth into a bridge, address, default route; masquerade), the rounds back to back:`,
      "",
      compareTable(r.comparison, loadRange),
      "",
    );
  }
  if (r.comparisonLowLoad?.length) {
    out.push(
      `The same, each round started at low load (the bench waited until the 1-minute load average was under ${LOW_LOAD_START}; ` +
        "the load column is at the rounds' starts, then the highest after a round):",
      "",
      compareTable(r.comparisonLowLoad, startLoad),
      "",
    );
  }
  if (r.growth.length) {
    out.push(
      "Growth (Endpoint, one host):",
      "",
      table(
        ["endpoints", "up (s)", "down (s)", "up per endpoint (ms)", "synth in up (s)", "CPU up+down (s)", "load"],
        r.growth.map((g) => [
          g.endpoints.toLocaleString("en"),
          sec(median(g.up)),
          sec(median(g.down)),
          ((median(g.up) / g.endpoints) * 1000).toFixed(0),
          g.synth.length ? sec(median(g.synth)) : "–",
          sec(median(g.cpu)),
          loadRange(g.load),
        ]),
      ),
      "",
    );
  }
  if (r.addOne) {
    const a = r.addOne;
    out.push(
      `Adding endpoint ${a.base + 1} to ${a.base.toLocaleString("en")} in the same working copy: hostnet deploy ${sec(a.seconds)} s ` +
        `(synth ${sec(a.synthSeconds)} s); Terraform touched ${a.changed.join(", ") || "nothing"}. Removing it again: ${sec(a.removeSeconds)} s.`,
      "",
    );
  }
  if (r.multiHost) {
    const w = r.multiHost;
    out.push(
      `${w.hosts} hosts × ${w.endpoints} endpoints, one stack: up ${sec(median(w.up))} s, down ${sec(median(w.down))} s (load ${loadRange(w.load)}).`,
      "",
    );
  }
  if (r.rules) {
    const x = r.rules;
    const ipt = x.backends.find((w) => w.way === "iptables");
    const times = (v: number | null) => (v === null ? "–" : `${v.toFixed(2)}×`);
    out.push(
      `${x.portForwards} port forwards (NatRule.portForward) plus masquerade on one bridge, one test host, each firewall backend in turn:`,
      "",
      table(
        ["backend", "up (s)", "down (s)", "up+down (s)", "vs iptables", "synth in up (s)", "CPU (s)", "of it in host (s)", "load"],
        x.backends.map((w) => [
          w.way,
          sec(median(w.up)),
          sec(median(w.down)),
          sec(total(w)),
          ipt && ipt.up.length ? ratio(total(w) / total(ipt)) : "–",
          w.synth.length ? sec(median(w.synth)) : "–",
          sec(median(w.cpu)),
          sec(median(w.cpuHost)),
          loadRange(w.load),
        ]),
      ),
      "",
      `nftables / iptables: up ${times(x.ratio.up)}, down ${times(x.ratio.down)}, up+down ${times(x.ratio.total)}.`,
      "",
    );
  }
  if (r.synth.length) {
    out.push(
      "Synth: the app command as `hostnet deploy` runs it, whole process (module loading included), into an empty outdir " +
        "(a first deploy: every script file is new) and again into the outdir that run left (every later deploy):",
      "",
      table(
        ["endpoints", "shape", "resources", "wall (s), empty outdir", "wall (s), again", "peak RSS (MiB)", "load"],
        r.synth.map((s) => [
          s.endpoints.toLocaleString("en"),
          shapeLabel(s.shape),
          s.resources.toLocaleString("en"),
          sec(median(s.runs.map((x) => x.seconds))),
          s.again?.length ? sec(median(s.again.map((x) => x.seconds))) : "–",
          mib(Math.max(...s.runs.map((x) => x.maxRssKb), ...(s.again ?? []).map((x) => x.maxRssKb))),
          loadRange(s.load),
        ]),
      ),
      "",
    );
  }
  out.push(
    "Targets (issue 14):",
    "",
    table(
      ["target", "measured", "met"],
      r.targets.map((t) => [t.target, `${t.value ?? "–"} ${t.unit}${t.note ? ` (${t.note})` : ""}`, t.met ? "yes" : "no"]),
    ),
    "",
  );
  return out.join("\n");
}
