import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import execa from "execa";
import { HostnetError } from "../errors";
import { REVIEW_DIR } from "../review/files";
import { hostLine, PlanJson, PlanJsonHost } from "../review/summary";
import { noPositionals, parseArgs, UsageError } from "./args";
import { Command, Io } from "./command";
import { compareText, displayPath } from "../text";

const USAGE = ["hostnet plan [--app CMD] [--stack NAME] [--out DIR] [--scripts] [--json]"];

/** A cdktf app command and the context cdktf.json gives it. */
export interface AppConfig {
  readonly app: string;
  readonly context?: Record<string, unknown>;
}

/** `app` and `context` of ./cdktf.json; a UsageError when there is none. */
export function readCdktfJson(dir: string): AppConfig {
  const file = path.join(dir, "cdktf.json");
  let json: { app?: unknown; context?: unknown };
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "there is none" : (e as Error).message;
    throw new UsageError(`cannot read the app command from ${file} (${why}); run in the project folder or pass --app "CMD".`);
  }
  if (typeof json.app !== "string" || json.app.trim() === "") throw new UsageError(`${file} has no "app" command; add one or pass --app "CMD".`);
  const context = json.context && typeof json.context === "object" ? (json.context as Record<string, unknown>) : undefined;
  return { app: json.app, context };
}

/** cdktf.json's "output" (cdktf's outdir), default cdktf.out, as an absolute path. */
export function projectOutdir(cwd: string): string {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(cwd, "cdktf.json"), "utf8")) as { output?: unknown };
    if (typeof json.output === "string" && json.output.trim() !== "") return path.resolve(cwd, json.output);
  } catch {
    // readCdktfJson reports a missing or broken cdktf.json.
  }
  return path.resolve(cwd, "cdktf.out");
}

/** Result of running an app: its exit code and what it wrote to stderr. */
export interface SynthResult {
  readonly exitCode: number;
  readonly stderr: string;
}

/**
 * Runs a cdktf app the way `cdktf synth` does: `sh -c APP` in `cwd` with
 * CDKTF_OUTDIR (cdktf's App writes there) and the context in
 * CDKTF_CONTEXT_JSON. cdktf's default local backend puts state in the app's
 * working directory (terraform.<stack>.tfstate), so `cwd` decides where that goes.
 */
export async function synthApp(cfg: AppConfig, outdir: string, opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<SynthResult> {
  const r = await execa("sh", ["-c", cfg.app], {
    cwd: opts.cwd ?? process.cwd(),
    env: {
      ...(cfg.context && Object.keys(cfg.context).length > 0 ? { CDKTF_CONTEXT_JSON: JSON.stringify(cfg.context) } : {}),
      ...opts.env,
      CDKTF_OUTDIR: outdir,
    },
    stdin: "ignore",
    reject: false,
  });
  return { exitCode: r.exitCode, stderr: r.stderr };
}

/** One synthesized stack and its review folder (absent for a stack that is not a HostnetStack). */
export interface SynthesizedStack {
  readonly name: string;
  /** Absolute working directory of the stack (where cdk.tf.json is). */
  readonly dir: string;
  readonly plan?: PlanJson;
}

/** The stacks of a synthesized outdir (manifest.json), by name. */
export function readSynthesized(outdir: string): SynthesizedStack[] {
  const manifestFile = path.join(outdir, "manifest.json");
  let manifest: { stacks?: Record<string, { workingDirectory: string }> };
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
  } catch (e) {
    throw new HostnetError(`the app wrote no readable ${manifestFile} (${(e as Error).message}); does it call app.synth()?`, 1);
  }
  return Object.entries(manifest.stacks ?? {})
    .sort(([a], [b]) => compareText(a, b))
    .map(([name, s]) => {
      const dir = path.resolve(outdir, s.workingDirectory);
      const planFile = path.join(dir, REVIEW_DIR, "plan.json");
      const plan = fs.existsSync(planFile) ? (JSON.parse(fs.readFileSync(planFile, "utf8")) as PlanJson) : undefined;
      return { name, dir, plan };
    });
}

/** Rows padded to the widest cell of each column, trailing blanks trimmed. */
export function table(rows: ReadonlyArray<readonly string[]>, indent = "  "): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => (indent + r.map((c, i) => c.padEnd(widths[i])).join("  ")).trimEnd());
}

function objectRows(h: PlanJsonHost): string[][] {
  return h.objects.map((o) => [o.kind, o.name, o.where, o.addresses.join(",") || "-", o.path]);
}

function script(stack: SynthesizedStack, h: PlanJsonHost, name: "up.sh" | "down.sh"): string {
  return fs.readFileSync(path.join(stack.dir, REVIEW_DIR, h.dir, name), "utf8");
}

function printText(stacks: readonly SynthesizedStack[], flags: { scripts?: boolean; out?: string }, io: Io): void {
  for (const s of stacks) {
    if (!s.plan) {
      io.out(`stack ${s.name}: no review (not a HostnetStack)`);
      continue;
    }
    for (const h of s.plan.hosts) {
      io.out(hostLine(h));
      for (const line of table(objectRows(h))) io.out(line);
      if (flags.scripts) {
        io.out("");
        for (const line of script(s, h, "up.sh").replace(/\n$/, "").split("\n")) io.out(line);
        io.out("");
      }
    }
    const hosts = s.plan.hosts.length;
    const objects = s.plan.hosts.reduce((n, h) => n + h.objects.length, 0);
    const where = flags.out ? `; review files in ${displayPath(path.join(s.dir, REVIEW_DIR))}` : "";
    io.out(`stack ${s.name}: ${hosts} host${hosts === 1 ? "" : "s"}, ${objects} object${objects === 1 ? "" : "s"}${where}`);
  }
}

function printJson(stacks: readonly SynthesizedStack[], flags: { scripts?: boolean; out?: string }, io: Io): void {
  const out = stacks
    .filter((s) => s.plan)
    .map((s) => ({
      ...s.plan!,
      ...(flags.out ? { reviewDir: path.join(s.dir, REVIEW_DIR) } : {}),
      hosts: s.plan!.hosts.map((h) => (flags.scripts ? { ...h, up: script(s, h, "up.sh"), down: script(s, h, "down.sh") } : h)),
    }));
  io.out(JSON.stringify({ stacks: out }, null, 2));
}

async function run(args: readonly string[], io: Io): Promise<number> {
  const cmd = "hostnet plan";
  const parsed = parseArgs(args, { app: "string", stack: "string", out: "string", scripts: "boolean", json: "boolean" }, cmd);
  noPositionals(parsed, cmd);
  const f = parsed.flags;
  const cfg = f.app !== undefined ? { app: f.app } : readCdktfJson(process.cwd());
  const outdir = f.out !== undefined ? path.resolve(f.out) : fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-plan-"));
  try {
    const r = await synthApp(cfg, outdir);
    if (r.exitCode !== 0) {
      // The app's own message, without the stack frames of the exception that carried it.
      for (const line of r.stderr.split("\n")) if (line.trim() !== "" && !/^\s+at /.test(line)) io.err(line);
      throw new HostnetError(`synth failed: "${cfg.app}" exited with code ${r.exitCode}; its messages are above.`, 1);
    }
    let stacks = readSynthesized(outdir);
    if (f.stack !== undefined) {
      stacks = stacks.filter((s) => s.name === f.stack);
      if (stacks.length === 0) {
        const names = readSynthesized(outdir).map((s) => s.name);
        throw new UsageError(`the app has no stack "${f.stack}"; it has: ${names.join(", ") || "none"}.`);
      }
    }
    if (f.json) printJson(stacks, f, io);
    else printText(stacks, f, io);
    return 0;
  } finally {
    if (f.out === undefined) fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** `hostnet plan`: synthesizes the app and prints what will run on each host. */
export const planCommand: Command = {
  name: "plan",
  summary: "synthesize the app and show, per host, the objects and the scripts that will run there",
  usage: USAGE,
  run,
};
