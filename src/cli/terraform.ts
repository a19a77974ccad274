import * as os from "os";
/**
 * Terraform as `hostnet deploy`/`destroy`/`diff` run it: `init` only when the
 * stack's `terraform` block (backend, providers) changed since the last init,
 * then the command with its output streamed as it comes and its exit status
 * kept. A Terraform that ended on a signal is a failure with its own line,
 * never "success" (cdktf deploy reports a SIGKILLed apply as done).
 */
import { spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import execa from "execa";
import { Io } from "./command";
import { displayPath } from "../text";
import { copyOwner } from "../transport/hook-lock";

/** Where hostnet records which `terraform` block the last successful init saw. */
const INIT_STAMP = path.join(".terraform", "hostnet-init.sha256");

/** How a Terraform run ended: its exit code, or the signal that ended it. */
export interface TerraformExit {
  readonly code: number;
  readonly signal?: NodeJS.Signals;
  /** True when this process passed on an interrupt (Ctrl-C, SIGTERM) to Terraform. */
  readonly interrupted: boolean;
  /** True when hooks of a Terraform ended by a signal were still running and were stopped. */
  readonly orphans?: boolean;
}

/** The exit code a shell gives a process ended by a signal: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  const n = os.constants.signals[signal];
  return 128 + (n ?? 0);
}

/**
 * The environment Terraform runs with: the user's, without the update check.
 * With the directory Terraform runs in: also its real path as PWD and the hook
 * lock's owner for it (HN_COPY, see copyOwner), which every hook would
 * otherwise compute with a process of its own.
 */
export function terraformEnv(dir?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: process.env.CHECKPOINT_DISABLE ?? "1" };
  if (dir === undefined) return env;
  let real: string;
  let name: string;
  try {
    real = fs.realpathSync(dir);
    name = fs.readFileSync("/proc/sys/kernel/hostname", "utf8").replace(/\n$/, "");
  } catch {
    return env;
  }
  return { ...env, ...copyOwner(real, name) };
}

/** `-no-color` unless output goes to a terminal that wants colour. */
export function colorArgs(): string[] {
  return process.stdout.isTTY && !process.env.NO_COLOR && process.env.FORCE_COLOR !== "0" ? [] : ["-no-color"];
}

/** The `terraform` block (backend, providers) of the stack's cdk.tf.json: null when it has none, undefined when the file is unreadable. */
function terraformBlock(dir: string): { backend?: Record<string, unknown> } | null | undefined {
  try {
    return (
      (JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")) as { terraform?: { backend?: Record<string, unknown> } }).terraform ?? null
    );
  } catch {
    return undefined;
  }
}

function terraformBlockHash(dir: string): string {
  const block = terraformBlock(dir);
  // No readable cdk.tf.json: always init; Terraform says what is wrong.
  if (block === undefined) return "";
  return createHash("sha256").update(JSON.stringify(block)).digest("hex");
}

/** True when `terraform init` must run in `dir` before anything else. */
export function needsInit(dir: string): boolean {
  const hash = terraformBlockHash(dir);
  if (hash === "") return true;
  try {
    return fs.readFileSync(path.join(dir, INIT_STAMP), "utf8").trim() !== hash;
  } catch {
    return true;
  }
}

/** Runs `terraform init` when needed; on failure prints its output and returns its exit code. */
export async function initIfNeeded(dir: string, io: Io): Promise<number> {
  if (!needsInit(dir)) return 0;
  io.out(`hostnet: terraform init in ${displayPath(dir)}`);
  const r = await execa("terraform", ["init", "-input=false", ...colorArgs()], {
    cwd: dir,
    env: terraformEnv(),
    reject: false,
    all: true,
    stdin: "ignore",
  });
  if (r.exitCode !== 0 || r.signal) {
    for (const l of (r.all ?? "").split("\n")) io.err(l);
    return r.signal ? signalExitCode(r.signal as NodeJS.Signals) : r.exitCode;
  }
  fs.writeFileSync(path.join(dir, INIT_STAMP), terraformBlockHash(dir) + "\n");
  return 0;
}

/**
 * Runs `terraform <args>` in `dir` with stdout and stderr passed straight
 * through. Terraform gets its own process group, so a Ctrl-C in the terminal
 * reaches only this process, which passes exactly one interrupt on per signal
 * it receives: Terraform stops gracefully on the first (finishing the state)
 * and aborts on a second, as it does when run by hand.
 */
export function runTerraform(dir: string, args: readonly string[]): Promise<TerraformExit> {
  return new Promise((resolve, reject) => {
    const child = spawn("terraform", [...args], { cwd: dir, env: terraformEnv(dir), stdio: ["ignore", "inherit", "inherit"], detached: true });
    let interrupted = false;
    const forward = (sig: NodeJS.Signals) => {
      interrupted = true;
      try {
        child.kill(sig);
      } catch {
        // Already gone.
      }
    };
    const onInt = () => forward("SIGINT");
    const onTerm = () => forward("SIGTERM");
    const onHup = () => forward("SIGHUP");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    process.on("SIGHUP", onHup);
    const done = () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      process.off("SIGHUP", onHup);
    };
    child.on("error", (e) => {
      done();
      reject(e);
    });
    child.on("exit", (code, signal) => {
      done();
      // A Terraform ended by a signal leaves its local-exec hooks running (they
      // are in its process group): stop them, so none races the next deploy.
      let orphans = false;
      if (signal && child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGTERM");
          orphans = true;
        } catch {
          // No process left in the group.
        }
      }
      resolve({ code: code ?? (signal ? signalExitCode(signal) : 1), signal: signal ?? undefined, interrupted, orphans });
    });
  });
}

/**
 * The resource addresses of the stack's state when it is a plain local file,
 * read directly: what `terraform state list` prints, without starting
 * Terraform (1.2 s of every deploy at 1,000 resources on the bench machine).
 * Plain means: the backend of cdk.tf.json is `local` (or none), the workspace
 * is the default one, and the file is state version 4 with only managed
 * resources of the root module, none with count or for_each. Anything else
 * (another backend, a workspace, a file that does not parse, written half) is
 * undefined, and the caller asks Terraform. No state file: an empty set.
 */
export function localStateAddresses(dir: string): Set<string> | undefined {
  try {
    if ((process.env.TF_WORKSPACE ?? "default") !== "default") return undefined;
    const env = path.join(dir, ".terraform", "environment");
    if (fs.existsSync(env) && fs.readFileSync(env, "utf8").trim() !== "default") return undefined;
    const block = terraformBlock(dir);
    if (block === undefined) return undefined;
    const backend = block?.backend ?? { local: {} };
    const keys = Object.keys(backend);
    if (keys.length !== 1 || keys[0] !== "local") return undefined;
    const local = (backend.local ?? {}) as { path?: unknown };
    if (local.path !== undefined && (typeof local.path !== "string" || local.path === "")) return undefined;
    const file = path.resolve(dir, (local.path as string | undefined) ?? "terraform.tfstate");
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "ENOENT" ? new Set() : undefined;
    }
    const state = JSON.parse(text) as { version?: unknown; resources?: unknown };
    if (state.version !== 4 || !Array.isArray(state.resources)) return undefined;
    const addresses = new Set<string>();
    for (const r of state.resources as Array<Record<string, unknown>>) {
      const instances = r.instances;
      if (r.mode !== "managed" || r.module !== undefined || typeof r.type !== "string" || typeof r.name !== "string") return undefined;
      if (!Array.isArray(instances) || instances.some((i: Record<string, unknown>) => i.index_key !== undefined)) return undefined;
      if (instances.length > 0) addresses.add(`${r.type}.${r.name}`);
    }
    return addresses;
  } catch {
    return undefined;
  }
}

/** Resource addresses in the stack's state (empty when there is no state yet). */
export async function stateList(dir: string): Promise<{ ok: boolean; addresses: Set<string>; error: string }> {
  const local = localStateAddresses(dir);
  if (local) return { ok: true, addresses: local, error: "" };
  const r = await execa("terraform", ["state", "list", "-no-color"], { cwd: dir, env: terraformEnv(), reject: false, stdin: "ignore" });
  // Before the first apply there is no state at all: nothing in it, not a failure.
  if (r.exitCode !== 0 && /No state file was found/.test(r.stderr)) return { ok: true, addresses: new Set(), error: "" };
  return {
    ok: r.exitCode === 0,
    addresses: new Set(
      r.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean),
    ),
    error: r.stderr.trim(),
  };
}

/** What the state says after a run: every resource address, and which are tainted. */
export async function stateResources(dir: string): Promise<{ ok: boolean; all: Set<string>; tainted: Set<string> }> {
  const r = await execa("terraform", ["show", "-json", "-no-color"], { cwd: dir, env: terraformEnv(), reject: false, stdin: "ignore" });
  const all = new Set<string>();
  const tainted = new Set<string>();
  if (r.exitCode !== 0) return { ok: false, all, tainted };
  try {
    const json = JSON.parse(r.stdout) as { values?: { root_module?: { resources?: Array<{ address: string; tainted?: boolean }> } } };
    for (const res of json.values?.root_module?.resources ?? []) {
      all.add(res.address);
      if (res.tainted) tainted.add(res.address);
    }
  } catch {
    return { ok: false, all, tainted };
  }
  return { ok: true, all, tainted };
}

// deploy.ts reads it from here.
export { displayPath };
