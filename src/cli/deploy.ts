/**
 * `hostnet deploy`, `hostnet destroy` and `hostnet diff`: synthesize the app of
 * ./cdktf.json and run Terraform on each stack, in place of `cdktf deploy` and
 * `cdktf destroy`, with three differences a user can rely on:
 *
 * - the exit status is Terraform's own, and a Terraform ended by a signal is a
 *   failure with a line saying so (cdktf deploy exits 0 after a SIGKILLed apply);
 * - synth and Terraform of one working copy are one critical section
 *   (src/cli/project-lock.ts), so a deploy applies exactly the code it started with;
 * - deploy and diff probe the hosts first and replace what drifted (src/cli/heal.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { HostnetError } from "../errors";
import { StackManifest } from "../plan/manifest";
import { shq } from "../render/quote";
import { parseArgs, UsageError } from "./args";
import { Command, Io } from "./command";
import { printDrift, probeDrift, readManifest } from "./heal";
import { projectOutdir, readCdktfJson, readSynthesized, synthApp, SynthesizedStack } from "./plan";
import { DEFAULT_LOCK_WAIT_SECONDS, lockProject } from "./project-lock";
import { colorArgs, displayPath, initIfNeeded, runTerraform, stateList, stateResources, TerraformExit } from "./terraform";

/** How long a run waits for another deploy of the same working copy by default. */
type Verb = "deploy" | "destroy" | "diff";

const FLAGS = { app: "string", "lock-wait": "int", "no-heal": "boolean" } as const;

/** What the deploy runs for the app: the command, and the PATH it runs with. */
export interface AppRun {
  readonly command: string;
  readonly env: Record<string, string>;
}

/**
 * The app command of cdktf.json as the deploy runs it. `npx NAME ARGS`, where
 * NAME is a binary in a node_modules/.bin of the working directory or a
 * directory above (where npx looks first), runs that binary directly with the
 * same arguments and those .bin directories first on PATH, as npx would: the
 * same program, without npx's own start-up (npm's CLI loading its config:
 * 1.3-5 s of every deploy on the loaded bench machine, load 10).
 * Anything else (npx options, a package npx would download) runs as written.
 */
export function appRun(app: string, cwd: string): AppRun {
  const m = /^\s*npx\s+([A-Za-z0-9][A-Za-z0-9._-]*)(\s.*)?$/.exec(app);
  if (!m) return { command: app, env: {} };
  const bins: string[] = [];
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const bin = path.join(dir, "node_modules", ".bin");
    if (fs.existsSync(bin)) bins.push(bin);
    if (path.dirname(dir) === dir) break;
  }
  const found = bins
    .map((b) => path.join(b, m[1]))
    .find((f) => {
      try {
        fs.accessSync(f, fs.constants.X_OK);
        return fs.statSync(f).isFile();
      } catch {
        return false;
      }
    });
  if (!found) return { command: app, env: {} };
  return { command: `${shq(found)}${m[2] ?? ""}`, env: { PATH: [...bins, process.env.PATH ?? ""].join(path.delimiter) } };
}

async function synthesize(
  app: string,
  context: Record<string, unknown> | undefined,
  outdir: string,
  verb: Verb,
  io: Io,
): Promise<SynthesizedStack[]> {
  io.out(`hostnet: synthesizing (${app})`);
  const started = Date.now();
  const run = appRun(app, process.cwd());
  const r = await synthApp({ app: run.command, context }, outdir, { env: run.env });
  if (r.exitCode !== 0) {
    // The app's own message, without the stack frames of the exception that carried it.
    for (const line of r.stderr.split("\n")) if (line.trim() !== "" && !/^\s+at /.test(line)) io.err(line);
    const nothing = verb === "diff" ? "" : `; nothing was ${verb === "deploy" ? "deployed" : "destroyed"}`;
    throw new HostnetError(`synth failed: "${app}" exited with code ${r.exitCode}${nothing}; its messages are above.`, 1);
  }
  const stacks = readSynthesized(outdir);
  // Where a deploy's time goes: synth is paid on every run, whatever changed.
  io.out(`hostnet: synthesized ${stacks.length} stack(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return stacks;
}

function select(all: readonly SynthesizedStack[], names: readonly string[], verb: Verb): SynthesizedStack[] {
  if (all.length === 0) throw new UsageError("the app synthesized no stack.");
  if (names.length === 0) return [...all];
  const unknown = names.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length > 0) throw new UsageError(`the app has no stack "${unknown[0]}" to ${verb}; it has: ${all.map((s) => s.name).join(", ")}.`);
  return all.filter((s) => names.includes(s.name));
}

/** Construct path of a resource address, from the manifest; the address itself when unknown. */
function pathOf(manifest: StackManifest | undefined, address: string): string {
  for (const h of manifest?.hosts ?? []) {
    if (h.resource === address) return `${h.path} (host hook)`;
    if (h.sweep === address) return `${h.path} (host sweep)`;
    for (const o of h.objects) if (o.resource === address) return o.path;
  }
  return address;
}

function allResources(manifest: StackManifest | undefined): string[] {
  return (manifest?.hosts ?? []).flatMap((h) => [h.resource, ...(h.sweep ? [h.sweep] : []), ...h.objects.map((o) => o.resource)]);
}

function list(items: readonly string[], max = 12): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

/**
 * After Terraform did not finish: one line on how it ended, then from the
 * state what was left tainted or not created, and what the next run does.
 */
async function reportFailure(
  verb: "deploy" | "destroy",
  stack: SynthesizedStack,
  manifest: StackManifest | undefined,
  exit: TerraformExit,
  io: Io,
): Promise<void> {
  const tf = verb === "deploy" ? "terraform apply" : "terraform destroy";
  if (exit.signal) {
    io.err(`hostnet: ${verb} of stack ${stack.name} FAILED: ${tf} was killed by ${exit.signal} before it finished; the ${verb} did not complete.`);
    if (exit.orphans) io.err(`hostnet: stopped the hooks that the killed Terraform left running (its process group).`);
  } else if (exit.interrupted) {
    io.err(
      `hostnet: ${verb} of stack ${stack.name} interrupted: Terraform stopped the hooks that were running and saved its state (exit ${exit.code}).`,
    );
  } else {
    io.err(`hostnet: ${verb} of stack ${stack.name} FAILED: ${tf} exited with code ${exit.code}; Terraform's error is above.`);
  }
  const state = await stateResources(stack.dir);
  if (!state.ok) {
    io.err(
      `hostnet: the state of stack ${stack.name} could not be read after the failure; run \`hostnet ${verb} ${stack.name}\` again once the cause is fixed.`,
    );
    return;
  }
  if (verb === "destroy") {
    const left = [...state.all];
    if (left.length > 0)
      io.err(`hostnet: still in the state (the next \`hostnet destroy ${stack.name}\` removes them): ${list(left.map((a) => pathOf(manifest, a)))}`);
    return;
  }
  const tainted = [...state.tainted];
  const missing = allResources(manifest).filter((a) => !state.all.has(a));
  if (tainted.length > 0)
    io.err(`hostnet: left tainted (the next deploy destroys and recreates them): ${list(tainted.map((a) => pathOf(manifest, a)))}`);
  if (missing.length > 0) {
    io.err(
      `hostnet: not in the state (the next deploy creates them; what this run already made on a host carries the stack's tag and is taken ` +
        `over, creates are idempotent): ${missing.length} object(s): ${list(missing.map((a) => pathOf(manifest, a)))}`,
    );
  }
  io.err(
    `hostnet: next: fix the cause if there is one and run \`hostnet ` +
      `deploy ${stack.name}\` again; it converges. \`hostnet gc\` lists what is on the hosts with this stack's tag but in neither the plan ` +
      `nor the state.`,
  );
}

/** Probes the hosts of a stack that has state; returns the addresses to replace. */
async function driftReplacements(stack: SynthesizedStack, manifest: StackManifest | undefined, verb: string, io: Io): Promise<string[]> {
  if (!manifest) return [];
  const st = await stateList(stack.dir);
  if (!st.ok) {
    io.out(`hostnet: stack ${stack.name}: the state could not be listed, so drift is not probed: ${st.error.split("\n").pop()}`);
    return [];
  }
  if (st.addresses.size === 0) return [];
  const started = Date.now();
  const report = await probeDrift(manifest, st.addresses);
  // Where a deploy's time goes: the probe reads every namespace of the stack, whatever changed.
  const took = `${report.probed} object(s) probed in ${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (report.drifted.length === 0 && report.unprobed.length === 0) {
    io.out(`hostnet: stack ${stack.name}: no drift on ${manifest.hosts.length} host(s) (${took})`);
    return [];
  }
  io.out(`hostnet: stack ${stack.name}: ${took}`);
  printDrift(stack.name, report, verb, io);
  return report.drifted.map((d) => d.object.resource);
}

async function runStack(verb: Verb, stack: SynthesizedStack, heal: boolean, extra: readonly string[], io: Io): Promise<number> {
  const init = await initIfNeeded(stack.dir, io);
  if (init !== 0) {
    io.err(`hostnet: ${verb} of stack ${stack.name} FAILED: terraform init exited with code ${init} in ${displayPath(stack.dir)}.`);
    return init;
  }
  const manifest = readManifest(stack.dir);
  if (verb === "destroy") {
    io.out(`hostnet: stack ${stack.name}: terraform destroy`);
    const exit = await runTerraform(stack.dir, ["destroy", "-auto-approve", "-input=false", ...colorArgs(), ...extra]);
    if (exit.code === 0 && !exit.signal) {
      io.out(`hostnet: stack ${stack.name}: destroyed`);
      return 0;
    }
    await reportFailure("destroy", stack, manifest, exit, io);
    return exit.code;
  }
  const replace = heal ? await driftReplacements(stack, manifest, verb === "deploy" ? "replacing" : "a deploy would replace", io) : [];
  const replaceArgs = replace.map((a) => `-replace=${a}`);
  if (verb === "diff") {
    io.out(`hostnet: stack ${stack.name}: terraform plan${replace.length > 0 ? ` ${replaceArgs.join(" ")}` : ""}`);
    const exit = await runTerraform(stack.dir, ["plan", "-input=false", ...colorArgs(), ...replaceArgs, ...extra]);
    if (exit.signal) io.err(`hostnet: diff of stack ${stack.name} FAILED: terraform plan was killed by ${exit.signal}.`);
    return exit.code;
  }
  io.out(`hostnet: stack ${stack.name}: terraform apply${replace.length > 0 ? ` ${replaceArgs.join(" ")}` : ""}`);
  const exit = await runTerraform(stack.dir, ["apply", "-auto-approve", "-input=false", ...colorArgs(), ...replaceArgs, ...extra]);
  if (exit.code === 0 && !exit.signal) {
    const healed = replace.length > 0 ? `; replaced ${replace.length} drifted object(s): ${list(replace.map((a) => pathOf(manifest, a)))}` : "";
    io.out(`hostnet: stack ${stack.name}: deployed${healed}`);
    return 0;
  }
  await reportFailure("deploy", stack, manifest, exit, io);
  return exit.code;
}

async function run(verb: Verb, args: readonly string[], io: Io): Promise<number> {
  const cmd = `hostnet ${verb}`;
  // Words after `--` go to Terraform as they are (e.g. -parallelism=4, -lock-timeout=5m).
  const dash = args.indexOf("--");
  const ours = dash === -1 ? args : args.slice(0, dash);
  const extra = dash === -1 ? [] : args.slice(dash + 1);
  const parsed = parseArgs(ours, verb === "destroy" ? { app: FLAGS.app, "lock-wait": FLAGS["lock-wait"] } : FLAGS, cmd);
  const f = parsed.flags as { app?: string; "lock-wait"?: number; "no-heal"?: boolean };
  const cwd = process.cwd();
  const cfg = f.app !== undefined ? { app: f.app, context: undefined } : readCdktfJson(cwd);
  const outdir = projectOutdir(cwd);
  const lock = await lockProject(outdir, {
    command: [cmd, ...parsed.positionals].join(" "),
    waitSeconds: f["lock-wait"] ?? DEFAULT_LOCK_WAIT_SECONDS,
    wait: (line) => io.err(line),
  });
  try {
    const all = await synthesize(cfg.app, cfg.context, outdir, verb, io);
    const stacks = select(all, parsed.positionals, verb);
    // Destroy in reverse: a later stack may sit on an earlier one's objects.
    for (const s of verb === "destroy" ? [...stacks].reverse() : stacks) {
      const code = await runStack(verb, s, !f["no-heal"], extra, io);
      if (code !== 0) return code;
    }
    return 0;
  } finally {
    lock.release();
  }
}

const COMMON = "[--app CMD] [--lock-wait SECONDS]";

/** `hostnet deploy`: synth, probe for drift, terraform apply (replacing what drifted). */
export const deployCommand: Command = {
  name: "deploy",
  summary: "synthesize the app, repair drift and apply each stack with Terraform; exits with Terraform's status",
  usage: [`hostnet deploy [STACK...] ${COMMON} [--no-heal] [-- TERRAFORM-APPLY-ARGS]`],
  run: (args, io) => run("deploy", args, io),
};

/** `hostnet destroy`: synth, terraform destroy. */
export const destroyCommand: Command = {
  name: "destroy",
  summary: "synthesize the app and destroy each stack with Terraform; exits with Terraform's status",
  usage: [`hostnet destroy [STACK...] ${COMMON} [-- TERRAFORM-DESTROY-ARGS]`],
  run: (args, io) => run("destroy", args, io),
};

/** `hostnet diff`: what a deploy would do, drift included. */
export const diffCommand: Command = {
  name: "diff",
  summary: "show what `hostnet deploy` would do: the drift it would repair and Terraform's plan",
  usage: [`hostnet diff [STACK...] ${COMMON} [--no-heal] [-- TERRAFORM-PLAN-ARGS]`],
  run: (args, io) => run("diff", args, io),
};
