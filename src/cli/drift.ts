/**
 * `hostnet check` and `hostnet gc`: compare what is live on each host with the
 * current plan. Both synthesize the app into the project's outdir (cdktf.json
 * "output", default cdktf.out, where deploy works, so `--fix` can hand Terraform
 * the drifted resources) and reach hosts through the same SSH transport as the
 * hooks. Both hold the working copy's deploy lock for the whole command: a
 * synth of theirs in the middle of a deploy would change the plan that deploy
 * applies, and gc --yes must not judge objects a running deploy is creating.
 */
import * as fs from "fs";
import * as path from "path";
import execa from "execa";
import { parseHostCheck } from "../drift/check";
import { findOrphans, renderGcRemove, renderGcScan } from "../drift/gc";
import { HostnetError } from "../errors";
import { HostManifest, MANIFEST_FILE, StackManifest } from "../plan/manifest";
import { runOnHost } from "../transport/run";
import { noPositionals, parseArgs, UsageError } from "./args";
import { Command, Io } from "./command";
import { DEFAULT_LOCK_WAIT_SECONDS, lockProject, ProjectLock } from "./project-lock";
import { projectOutdir, readCdktfJson, readSynthesized, synthApp } from "./plan";
import { terraformEnv } from "./terraform";
import { runCheck } from "./heal";

interface Synthesized {
  readonly dir: string;
  readonly manifest: StackManifest;
}

/** Takes the working copy's deploy lock, runs `body`, and lets go whatever happens. */
async function locked<T>(command: string, flags: { "lock-wait"?: number }, io: Io, body: () => Promise<T>): Promise<T> {
  const lock: ProjectLock = await lockProject(projectOutdir(process.cwd()), {
    command,
    waitSeconds: flags["lock-wait"] ?? DEFAULT_LOCK_WAIT_SECONDS,
    wait: (line) => io.err(line),
  });
  try {
    return await body();
  } finally {
    lock.release();
  }
}

async function synthesize(flags: { app?: string; stack?: string; "no-synth"?: boolean }): Promise<Synthesized[]> {
  const outdir = projectOutdir(process.cwd());
  if (!flags["no-synth"]) {
    const cfg = flags.app ? { app: flags.app } : readCdktfJson(process.cwd());
    const r = await synthApp(cfg, outdir);
    if (r.exitCode !== 0) throw new HostnetError(`synth failed (exit ${r.exitCode}):\n${r.stderr.trim()}`, 1);
  }
  const stacks = readSynthesized(outdir)
    .filter((s) => !flags.stack || s.name === flags.stack)
    .filter((s) => fs.existsSync(path.join(s.dir, MANIFEST_FILE)));
  if (stacks.length === 0) throw new UsageError(flags.stack ? `no HostnetStack named "${flags.stack}" in the app.` : "the app has no HostnetStack.");
  return stacks.map((s) => ({ dir: s.dir, manifest: JSON.parse(fs.readFileSync(path.join(s.dir, MANIFEST_FILE), "utf8")) as StackManifest }));
}

/**
 * What runOnHost's stderr says about a failed run: ssh's own reason (host key
 * mismatch, refused, timeout) or the script's output, without the transport's
 * closing "... failed on ..." summary line, which says nothing the caller does not.
 */
export function failureReason(stderr: string, exitCode: number): string[] {
  const lines = stderr
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "" && !/^hostnet: .* failed on \S+ \(exit -?\d+\)/.test(l));
  return lines.length ? lines : [`ssh exited ${exitCode} and printed nothing`];
}

/** One line naming the host and why nothing could be checked, then the reason's lines. */
export function unreachableLines(h: { name: string; address: string }, r: { stderr: string; exitCode: number }, op: string): string[] {
  // ssh exits 255 for its own errors (connection, host key, authentication); anything else is the script's.
  const what = r.exitCode === 255 ? "unreachable" : `the ${op} failed on the host (exit ${r.exitCode})`;
  const [first, ...rest] = failureReason(r.stderr, r.exitCode);
  return [`host ${h.name} (${h.address}): ${what}: ${first}`, ...rest.map((l) => `    ${l}`)];
}

async function checkHost(h: HostManifest, io: Io): Promise<{ drifted: string[]; ok: boolean }> {
  const r = await runCheck(h, h.objects, "check", h.checks ?? []);
  if (r.exitCode !== 0) {
    for (const l of unreachableLines(h, r, "check")) io.out(l);
    return { drifted: [], ok: false };
  }
  const drift = parseHostCheck(r.stdout, h.objects);
  for (const p of drift.problems) io.out(`  host ${h.name}: ${p}`);
  for (const w of drift.warnings) io.out(`  host ${h.name}: warning: ${w}`);
  const bad = drift.objects.filter((d) => d.problems.length > 0);
  for (const d of bad) for (const p of d.problems) io.out(`  ${d.object.path}: ${p}`);
  const unchecked = drift.objects.filter((d) => !d.checked);
  for (const d of unchecked) io.out(`  ${d.object.path}: not checked: ${d.reason}`);
  const ok = drift.objects.length - bad.length - unchecked.length;
  const hostWide = drift.problems.length ? `, ${drift.problems.length} host-wide problem(s)` : "";
  io.out(`host ${h.name} (${h.address}): ${ok} ok, ${bad.length} drifted${unchecked.length ? `, ${unchecked.length} not checked` : ""}${hostWide}`);
  return { drifted: bad.map((d) => d.object.resource), ok: drift.problems.length === 0 };
}

async function terraform(dir: string, args: string[], io: Io): Promise<number> {
  if (!fs.existsSync(path.join(dir, ".terraform"))) {
    const init = await execa("terraform", ["init", "-input=false", "-no-color"], { cwd: dir, reject: false, all: true });
    if (init.exitCode !== 0) {
      io.err(init.all ?? "");
      return init.exitCode;
    }
  }
  const r = await execa("terraform", args, { cwd: dir, reject: false, all: true, env: terraformEnv(dir) });
  for (const l of (r.all ?? "").split("\n")) if (/Apply complete!|Error:|\(local-exec\): hostnet: /.test(l)) io.out(`  ${l.trim()}`);
  return r.exitCode;
}

export const checkCommand: Command = {
  name: "check",
  summary: "compare every object on its host with the plan (read-only); --fix recreates what drifted",
  usage: ["hostnet check [--app CMD] [--stack NAME] [--fix] [--lock-wait SECONDS] [--no-synth: use ./cdktf.out as the last synth or deploy left it]"],
  async run(args, io) {
    const parsed = parseArgs(args, { app: "string", stack: "string", fix: "boolean", "no-synth": "boolean", "lock-wait": "int" }, "hostnet check");
    noPositionals(parsed, "hostnet check");
    const flags = parsed.flags;
    return locked(["hostnet check", ...args].join(" "), flags, io, () => check(flags, io));
  },
};

async function check(flags: { app?: string; stack?: string; fix?: boolean; "no-synth"?: boolean }, io: Io): Promise<number> {
  let failed = false;
  for (const s of await synthesize(flags)) {
    const drifted: string[] = [];
    for (const h of s.manifest.hosts) {
      const r = await checkHost(h, io);
      drifted.push(...r.drifted);
      failed ||= !r.ok;
    }
    if (drifted.length === 0) continue;
    const replace = drifted.map((a) => `-replace=${a}`);
    if (!flags.fix) {
      io.out(
        `stack ${s.manifest.stack}: ${drifted.length} drifted; repair with: hostnet check --fix  (terraform apply ${replace.join(" ")} in ${path.relative(process.cwd(), s.dir)})`,
      );
      failed = true;
      continue;
    }
    io.out(`stack ${s.manifest.stack}: recreating ${drifted.length} drifted object(s)`);
    const code = await terraform(s.dir, ["apply", "-auto-approve", "-input=false", "-no-color", ...replace], io);
    if (code !== 0) failed = true;
  }
  return failed ? 1 : 0;
}

export const gcCommand: Command = {
  name: "gc",
  summary: "list what a stack left on its hosts that is not in the plan (by tag), exit 1 when there is some; --yes removes it",
  usage: ["hostnet gc [--app CMD] [--stack NAME] [--yes] [--lock-wait SECONDS] [--no-synth]"],
  async run(args, io) {
    const parsed = parseArgs(args, { app: "string", stack: "string", yes: "boolean", "no-synth": "boolean", "lock-wait": "int" }, "hostnet gc");
    noPositionals(parsed, "hostnet gc");
    const flags = parsed.flags;
    return locked(["hostnet gc", ...args].join(" "), flags, io, () => gc(flags, io));
  },
};

async function gc(flags: { app?: string; stack?: string; yes?: boolean; "no-synth"?: boolean }, io: Io): Promise<number> {
  let failed = false;
  for (const s of await synthesize(flags)) {
    const ids = new Set<string>();
    const tags = new Set<string>();
    for (const h of s.manifest.hosts)
      for (const o of h.objects) {
        ids.add(o.id);
        tags.add(o.tag);
      }
    for (const h of s.manifest.hosts) {
      const scan = await runOnHost(h, renderGcScan(s.manifest.stack), { op: "gc scan", path: h.path });
      if (scan.exitCode !== 0) {
        for (const l of unreachableLines(h, scan, "gc scan")) io.out(l);
        failed = true;
        continue;
      }
      const orphans = findOrphans(scan.stdout, { ids, tags });
      for (const o of orphans) io.out(`  ${o.type.padEnd(6)} ${o.what}  (${o.tag})`);
      if (orphans.length > 0 && flags.yes) {
        const r = await runOnHost(h, renderGcRemove(s.manifest.stack, orphans), { op: "gc", path: h.path });
        if (r.exitCode !== 0) {
          io.err(r.stderr.trim());
          failed = true;
        }
      }
      io.out(
        `host ${h.name} (${h.address}): ${orphans.length} left behind by stack ${s.manifest.stack}${orphans.length === 0 ? "" : flags.yes ? ", removed" : "; remove with --yes"}`,
      );
      // Leftovers not removed are a finding: a script running gc sees it in the exit code.
      if (orphans.length > 0 && !flags.yes) failed = true;
    }
  }
  return failed ? 1 : 0;
}
