/**
 * hostnet's side of the benchmark: synthesize the topology in a child process
 * (synth-app.ts) and drive `terraform apply` / `terraform destroy` on the result.
 */
import execa from "execa";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import type { InventoryHost } from "../src/lab";
import type { BenchShape } from "./topology";

export const ROOT = path.resolve(__dirname, "..");
const TS_NODE = path.join(ROOT, "node_modules", ".bin", "ts-node");

/** What synth-app.ts prints. */
export interface SynthResult {
  readonly count: number;
  /** Loading cdktf and hostnet's modules (ts-node compiles them). */
  readonly loadMs: number;
  /** Building the construct tree. */
  readonly constructMs: number;
  /** app.synth(): validation, cdk.tf.json and the review files. */
  readonly synthMs: number;
  /** constructMs + synthMs: what "synthesis" means in the targets. */
  readonly totalMs: number;
  /** Peak resident set of the whole node process, KiB (process.resourceUsage().maxRSS). */
  readonly maxRssKb: number;
  /** Processes the synth spawned: none expected. */
  readonly spawned: readonly string[];
  /** Wall time of the child process, start to exit (ts-node start-up included). */
  readonly processMs: number;
}

export interface SynthOptions {
  readonly count: number;
  readonly shape: BenchShape;
  /** Hooks read the transport from one file per stack (the @hostnet/transportFile context). */
  readonly transportFile: boolean;
  /** cdktf output directory. */
  readonly outdir: string;
  /** Terraform state file (local backend). */
  readonly state: string;
  readonly host?: InventoryHost;
}

/** Synthesizes in a fresh node process, so its peak RSS is that of one synth. */
export async function synth(o: SynthOptions): Promise<SynthResult> {
  const t0 = performance.now();
  const r = await execa(TS_NODE, ["--transpile-only", path.join(__dirname, "synth-app.ts")], {
    cwd: ROOT,
    reject: false,
    env: {
      BENCH_COUNT: String(o.count),
      BENCH_SHAPE: o.shape,
      BENCH_TRANSPORT_FILE: o.transportFile ? "1" : "0",
      BENCH_OUTDIR: o.outdir,
      BENCH_STATE: o.state,
      BENCH_ADDRESS: o.host?.address ?? "198.18.61.10",
      BENCH_IDENTITY: o.host?.identityFile ?? "",
      BENCH_KNOWN_HOSTS: o.host?.knownHostsFile ?? "",
    },
  });
  const processMs = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`synth of ${o.count} endpoints (${o.shape}) failed:\n${(r.stderr || r.stdout).slice(-3000)}`);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  return { ...(JSON.parse(line) as Omit<SynthResult, "processMs">), processMs: Math.round(processMs) };
}

/** The directory cdktf writes a stack's Terraform JSON to. */
export function stackDir(outdir: string): string {
  return path.join(outdir, "stacks", "bench");
}

/** Environment for terraform: no checkpoint calls, the project's CLI config, our own SSH control directory. */
export function terraformEnv(sshDir: string): Record<string, string> {
  const rc = path.join(ROOT, ".hostnet", "terraformrc");
  return {
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    ...(fs.existsSync(rc) ? { TF_CLI_CONFIG_FILE: rc } : {}),
    HOSTNET_SSH_DIR: sshDir,
  };
}

export interface TerraformRun {
  readonly seconds: number;
  /** CPU seconds of terraform and every process it started on this machine (the hooks' sh and ssh). */
  readonly cpu: number;
  readonly output: string;
}

/** Runs terraform in a stack directory; throws with the output's tail on failure. Output goes to `log` too. */
export async function terraform(dir: string, args: string[], env: Record<string, string>, log: string, quiet = false): Promise<TerraformRun> {
  const t0 = performance.now();
  const [command, ...rest] = args;
  // bash's `time` reports the CPU of terraform and all its children, on a line of its own at the end.
  const r = await execa(
    "/bin/bash",
    ["-c", "TIMEFORMAT=$'\\nhostnet-bench-cpu %U %S'; time terraform \"$@\"", "bash", command, "-no-color", ...rest],
    {
      cwd: dir,
      env,
      reject: false,
      all: true,
      timeout: 3_600_000,
      maxBuffer: 1 << 30,
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  let output = r.all ?? "";
  let cpu = NaN;
  const m = /\nhostnet-bench-cpu ([\d.]+) ([\d.]+)\s*$/.exec(output);
  if (m) {
    cpu = Number(m[1]) + Number(m[2]);
    output = output.slice(0, m.index);
  }
  fs.appendFileSync(
    log,
    `\n$ terraform ${args.join(" ")}  (${seconds.toFixed(2)} s, exit ${r.exitCode})\n${quiet && r.exitCode === 0 ? "(output not logged)" : output}\n`,
  );
  if (r.exitCode !== 0) throw new Error(`terraform ${args.join(" ")} in ${dir} failed (exit ${r.exitCode}); see ${log}:\n${output.slice(-3000)}`);
  return { seconds, cpu, output };
}

export async function init(dir: string, env: Record<string, string>, log: string): Promise<void> {
  await terraform(dir, ["init", "-input=false"], env, log);
}

export function apply(dir: string, parallelism: number, env: Record<string, string>, log: string): Promise<TerraformRun> {
  return terraform(dir, ["apply", "-auto-approve", "-input=false", `-parallelism=${parallelism}`], env, log);
}

export function destroy(dir: string, parallelism: number, env: Record<string, string>, log: string): Promise<TerraformRun> {
  return terraform(dir, ["destroy", "-auto-approve", "-input=false", `-parallelism=${parallelism}`], env, log);
}

/** One planned change: resource address and its actions ("create", "delete", "update", "no-op"). */
export interface PlannedChange {
  readonly address: string;
  readonly actions: readonly string[];
}

/** The resources a saved plan touches (everything but no-ops). */
export async function plannedChanges(dir: string, planFile: string, env: Record<string, string>, log: string): Promise<PlannedChange[]> {
  const r = await terraform(dir, ["show", "-json", planFile], env, log, true);
  const json = JSON.parse(r.output.slice(r.output.indexOf("{"))) as { resource_changes?: Array<{ address: string; change: { actions: string[] } }> };
  return (json.resource_changes ?? [])
    .filter((c) => c.change.actions.join() !== "no-op")
    .map((c) => ({ address: c.address, actions: c.change.actions }));
}
