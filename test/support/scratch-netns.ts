/**
 * Runs shell steps on the real kernel tools in a throwaway network and mount
 * namespace (`unshare -nm`), with /run/hostnet (and /run/netns) on fresh
 * tmpfs, so nothing of the machine is read or touched. Tools can be wrapped
 * by shims that log each process's words before running the real tool.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface ScratchStep {
  /** Each logged process's words ("nft -f -"), in the order they started. */
  readonly log: string[];
  /** The step's stdout. */
  readonly out: string;
}

export interface ScratchRun {
  readonly status: number | null;
  readonly stderr: string;
  readonly steps: ScratchStep[];
}

/**
 * Writes into `bin` a shim per tool (name → real path) that appends "<name> <words>" to $HN_LOG and then
 * runs the real tool; `before` is shell run first (a shim that should fail can exit there).
 */
export function writeShims(bin: string, tools: Record<string, string>, before: (name: string) => string = () => ""): string {
  fs.mkdirSync(bin, { recursive: true });
  for (const [name, real] of Object.entries(tools))
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> "$HN_LOG"\n${before(name)}exec ${real} "$@"\n`, { mode: 0o755 });
  return bin;
}

/** The first of `candidates` that exists. */
export function findTool(...candidates: string[]): string {
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new Error(`none of ${candidates.join(", ")} exists`);
  return found;
}

/**
 * Runs the steps one after another in one scratch namespace, each as its own `sh -c` with `bin` first on
 * PATH and $HN_LOG its own log (in `dir`); stops at the first step that fails.
 */
export function inScratchNetns(dir: string, bin: string, steps: readonly string[]): ScratchRun {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const setup = "mkdir -p /run/hostnet /run/netns && mount -t tmpfs hn /run/hostnet && mount -t tmpfs hn /run/netns && mkdir /run/hostnet/s";
  const run = steps.map((s, i) => `HN_LOG=${dir}/log.${i} sh -c ${q(s)} > ${dir}/out.${i}; touch ${dir}/log.${i}`).join(" && ");
  const r = spawnSync("unshare", ["-nm", "sh", "-c", `rm -f ${dir}/log.* ${dir}/out.*; ${setup} && PATH=${bin}:$PATH && ${run}`], {
    encoding: "utf8",
  });
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "");
  return {
    status: r.status,
    stderr: r.stderr,
    steps: steps.map((_, i) => ({ log: read(`${dir}/log.${i}`).split("\n").filter(Boolean), out: read(`${dir}/out.${i}`) })),
  };
}
