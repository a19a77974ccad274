/**
 * hostnet's side of the benchmark, as a user runs it: a project directory with
 * cdktf.json and main.ts (what `hostnet init` writes, with the bench topology),
 * deployed and destroyed with the README's commands, `hostnet deploy` and
 * `hostnet destroy` (bin/hostnet). What is timed is the whole command: the CLI's
 * start, synth (the app command of cdktf.json), the drift probe and Terraform.
 */
import execa from "execa";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import { appRun } from "../src/cli/deploy";
import type { BenchShape } from "./topology";
import { APP_COMMAND, PROJECT_TSCONFIG } from "../src/cli/init";

export const ROOT = path.resolve(__dirname, "..");
const HOSTNET_BIN = path.join(ROOT, "bin", "hostnet");

/** What a bench project synthesizes: bench.json beside main.ts. */
export interface ProjectConfig {
  readonly count: number;
  readonly shape: BenchShape;
  /** Hosts of the inventory, each with `count` endpoints. */
  readonly hosts: readonly string[];
  readonly inventory: string;
  /** When set, the rules case instead of endpoints: masquerade and this many port forwards (benchRulesTopology; count unused). */
  readonly portForwards?: number;
  /** The stack's firewall backend (HostnetStack props.firewall); unset: hostnet's default. */
  readonly firewall?: "iptables" | "nftables";
}

export interface Project {
  readonly dir: string;
  /** The stack's Terraform working directory. */
  readonly stackDir: string;
  readonly state: string;
  config: ProjectConfig;
}

/** True when dist/ holds a build at least as new as every .ts file of src/ and constructs/ (bin/hostnet's own test). */
export function distIsFresh(): boolean {
  const newest = (dir: string): number => {
    let n = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) n = Math.max(n, newest(p));
      else if (e.name.endsWith(".ts")) n = Math.max(n, fs.statSync(p).mtimeMs);
    }
    return n;
  };
  try {
    const built = fs.statSync(path.join(ROOT, "dist", "src", "cli", "main.js")).mtimeMs;
    return built >= Math.max(newest(path.join(ROOT, "src")), newest(path.join(ROOT, "constructs")));
  } catch {
    return false;
  }
}

/**
 * A project directory: node_modules is the repository's (a symlink), hostnet is
 * loaded as an installed package is, compiled (dist/), when `compiled`; the
 * topology file is the bench's own.
 */
export function makeProject(dir: string, config: ProjectConfig, compiled: boolean): Project {
  fs.mkdirSync(dir, { recursive: true });
  const link = path.join(dir, "node_modules");
  if (!fs.existsSync(link)) fs.symlinkSync(path.join(ROOT, "node_modules"), link);
  const entry = compiled ? path.join(ROOT, "dist", "constructs", "index.js") : path.join(ROOT, "constructs", "index.ts");
  const state = path.join(dir, "bench.tfstate");
  fs.writeFileSync(path.join(dir, "cdktf.json"), JSON.stringify({ language: "typescript", app: APP_COMMAND, context: {} }, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(PROJECT_TSCONFIG, null, 2) + "\n");
  fs.writeFileSync(
    path.join(dir, "main.ts"),
    [
      `import * as fs from "fs";`,
      `import * as path from "path";`,
      `import { App, LocalBackend } from "cdktf";`,
      `import type * as hostnet from ${JSON.stringify(path.join(ROOT, "constructs"))};`,
      `import { benchRulesTopology, benchTopology, BenchShape } from ${JSON.stringify(path.join(ROOT, "bench", "topology"))};`,
      "",
      `const hn = require(${JSON.stringify(entry)}) as typeof hostnet;`,
      `type Config = { count: number; shape: BenchShape; hosts: string[]; inventory: string; portForwards?: number; firewall?: "iptables" | "nftables" };`,
      `const cfg = JSON.parse(fs.readFileSync(path.join(__dirname, "bench.json"), "utf8")) as Config;`,
      `const app = new App();`,
      `const stack = new hn.HostnetStack(app, "bench", cfg.firewall ? { firewall: cfg.firewall } : {});`,
      `new LocalBackend(stack, { path: ${JSON.stringify(state)} });`,
      `for (const name of cfg.hosts) {`,
      `  const host = hn.Host.fromInventory(stack, name, cfg.inventory);`,
      `  if (cfg.portForwards !== undefined) benchRulesTopology(hn, host, cfg.portForwards);`,
      `  else benchTopology(hn, host, cfg.count, cfg.shape);`,
      `}`,
      `hn.synthOrExit(app);`,
      "",
    ].join("\n"),
  );
  const p: Project = { dir, stackDir: path.join(dir, "cdktf.out", "stacks", "bench"), state, config };
  setConfig(p, config);
  return p;
}

/** Changes what the project synthesizes (the next deploy picks it up): the same working copy, edited. */
export function setConfig(p: Project, config: ProjectConfig): void {
  p.config = config;
  fs.writeFileSync(path.join(p.dir, "bench.json"), JSON.stringify(config) + "\n");
}

/** Environment of the hostnet commands: no checkpoint calls, the repository's Terraform CLI config, the bench's SSH control directory. */
export function benchEnv(sshDir: string): Record<string, string> {
  const rc = path.join(ROOT, ".hostnet", "terraformrc");
  return {
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    ...(fs.existsSync(rc) ? { TF_CLI_CONFIG_FILE: rc } : {}),
    HOSTNET_SSH_DIR: sshDir,
  };
}

export interface CommandRun {
  readonly seconds: number;
  /** CPU seconds of the command and every process it started on this machine (synth, terraform, the hooks' sh and ssh). */
  readonly cpu: number;
  /** Seconds from the start to "hostnet: synthesizing", to "hostnet: synthesized", to "terraform apply/destroy". */
  readonly marks: { readonly synthStart?: number; readonly synthEnd?: number; readonly terraformStart?: number };
  /** Resources Terraform created, replaced, changed or destroyed (from its "Creating..." lines). */
  readonly changed: readonly string[];
  readonly output: string;
}

/** Runs `hostnet <args>` in a project, as a user types it; throws with the output's tail on failure. */
export async function hostnet(p: Project, args: string[], env: Record<string, string>, log: string): Promise<CommandRun> {
  const t0 = performance.now();
  const marks: { synthStart?: number; synthEnd?: number; terraformStart?: number } = {};
  const child = execa("/bin/bash", ["-c", "TIMEFORMAT=$'\\nhostnet-bench-cpu %U %S'; time \"$@\"", "bash", process.execPath, HOSTNET_BIN, ...args], {
    cwd: p.dir,
    env,
    reject: false,
    all: true,
    timeout: 3_600_000,
    maxBuffer: 1 << 30,
  });
  let pending = "";
  child.stdout!.on("data", (d: Buffer) => {
    pending += String(d);
    const lines = pending.split("\n");
    pending = lines.pop()!;
    const now = (performance.now() - t0) / 1000;
    for (const l of lines) {
      if (l.startsWith("hostnet: synthesizing")) marks.synthStart = now;
      else if (l.startsWith("hostnet: synthesized")) marks.synthEnd = now;
      if (/^hostnet: stack \S+: terraform (apply|destroy)/.test(l) && marks.terraformStart === undefined) marks.terraformStart = now;
    }
  });
  const r = await child;
  const seconds = (performance.now() - t0) / 1000;
  let output = r.all ?? "";
  let cpu = NaN;
  const m = /\nhostnet-bench-cpu ([\d.]+) ([\d.]+)\s*$/.exec(output);
  if (m) {
    cpu = Number(m[1]) + Number(m[2]);
    output = output.slice(0, m.index);
  }
  fs.appendFileSync(log, `\n$ (cd ${p.dir} && hostnet ${args.join(" ")})  (${seconds.toFixed(2)} s, exit ${r.exitCode})\n${output}\n`);
  if (r.exitCode !== 0) throw new Error(`hostnet ${args.join(" ")} in ${p.dir} failed (exit ${r.exitCode}); see ${log}:\n${output.slice(-3000)}`);
  const changed = [...output.matchAll(/^(\S+): (?:Creating|Destroying|Modifying)\.\.\./gm)].map((x) => x[1]);
  return { seconds, cpu, marks, changed: [...new Set(changed)], output };
}

export interface SynthRun {
  readonly seconds: number;
  /** Peak resident set of the largest process of the app command, KiB (GNU time's %M). */
  readonly maxRssKb: number;
}

/**
 * Runs the project's app command as `hostnet deploy` runs it, as a whole process (module loading included), into a
 * scratch outdir: `outdir` must not exist yet (a first deploy: every script file is new), or with `again` it is the
 * one the previous call wrote (every later deploy: the files are there already). The caller removes the outdirs
 * after the case: removing 2,000 script files just before a timed synth slowed the file creation that followed
 * (ext4 finishing the removal; 2.27 s against 1.87 s, median of 5, interleaved), which no first deploy pays.
 */
export async function synthProcess(p: Project, env: Record<string, string>, outdir: string, again = false): Promise<SynthRun> {
  if (!again && fs.existsSync(outdir)) throw new Error(`synth bench: ${outdir} exists; a first-deploy synth needs a new outdir`);
  const run = appRun(APP_COMMAND, p.dir);
  const t0 = performance.now();
  const r = await execa("/usr/bin/time", ["-f", "hostnet-bench-rss %M", "/bin/sh", "-c", run.command], {
    cwd: p.dir,
    env: { ...env, ...run.env, CDKTF_OUTDIR: outdir },
    reject: false,
    all: true,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.exitCode !== 0) throw new Error(`synth of ${p.config.count} endpoints (${p.config.shape}) failed:\n${(r.all ?? "").slice(-3000)}`);
  const m = /hostnet-bench-rss (\d+)/.exec(r.all ?? "");
  return { seconds, maxRssKb: m ? Number(m[1]) : NaN };
}
