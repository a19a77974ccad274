/**
 * Synthesizes the benchmark stack in a process of its own and prints one JSON
 * line: the time of construct + synth, the process's peak RSS, and how many
 * processes it spawned (it should spawn none). Environment: BENCH_COUNT,
 * BENCH_SHAPE, BENCH_TRANSPORT_FILE (1: @hostnet/transportFile), BENCH_OUTDIR, BENCH_STATE (Terraform state file), BENCH_ADDRESS,
 * BENCH_HOST_KEY / BENCH_KNOWN_HOSTS, BENCH_IDENTITY, BENCH_STACK.
 */
import { performance } from "perf_hooks";

// The real module object (an `import * as` namespace is read-only).
const childProcess = require("child_process");
const spawned: string[] = [];
for (const fn of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const) {
  const orig = childProcess[fn];
  childProcess[fn] = (...args: unknown[]) => {
    spawned.push(`${fn} ${String(args[0])}`);
    return orig(...args);
  };
}

const loadStart = performance.now();
// Loaded after the spawn counters are in place.
const { App, LocalBackend } = require("cdktf") as typeof import("cdktf");
const { Host, HostnetStack } = require("../constructs") as typeof import("../constructs");
const { benchTopology } = require("./topology") as typeof import("./topology");
const { TRANSPORT_FILE_CONTEXT } = require("../src/plan/hook-resource") as typeof import("../src/plan/hook-resource");
const loadMs = performance.now() - loadStart;

const env = process.env;
const count = Number(env.BENCH_COUNT ?? "100");
const start = performance.now();
const app = new App({
  outdir: env.BENCH_OUTDIR ?? "cdktf.out",
  skipValidation: false,
  // BENCH_TRANSPORT_FILE=1: hooks read the transport from one file per stack (see src/plan/hook-resource.ts).
  context: env.BENCH_TRANSPORT_FILE === "1" ? { [TRANSPORT_FILE_CONTEXT]: true } : {},
});
const stack = new HostnetStack(app, env.BENCH_STACK ?? "bench");
if (env.BENCH_STATE) new LocalBackend(stack, { path: env.BENCH_STATE });
const host = new Host(stack, "a", {
  address: env.BENCH_ADDRESS ?? "198.18.61.10",
  identityFile: env.BENCH_IDENTITY || undefined,
  ...(env.BENCH_KNOWN_HOSTS
    ? { knownHostsFile: env.BENCH_KNOWN_HOSTS }
    : { hostKey: env.BENCH_HOST_KEY ?? "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJlbmNoLWtleS1ub3QtcmVhbC0wMDAwMDAwMDAw" }),
});
benchTopology(host, count, (env.BENCH_SHAPE ?? "objects") as any);
const built = performance.now();
app.synth();
const end = performance.now();
process.stdout.write(
  JSON.stringify({
    count,
    loadMs: Math.round(loadMs),
    constructMs: Math.round(built - start),
    synthMs: Math.round(end - built),
    totalMs: Math.round(end - start),
    maxRssKb: process.resourceUsage().maxRSS,
    spawned,
  }) + "\n",
);
