/**
 * Drift before a deploy. `terraform_data` never reads the host, so after a
 * reboot or a firewall flush Terraform says "No changes" while the objects are
 * gone. Before applying, `hostnet deploy` runs the read-only probe of
 * `hostnet check` (src/drift/check.ts) on every object Terraform believes it
 * created, and applies with `-replace=` for each one the probe finds missing
 * or different: Terraform then runs its destroy script (a no-op for what is
 * gone) and its create script again, and replaces what sits on it.
 */
import * as fs from "fs";
import * as path from "path";
import { parseCheckOutput, renderCheckBatch } from "../drift/check";
import { HostManifest, MANIFEST_FILE, ObjectManifest, StackManifest } from "../plan/manifest";
import { checkTimeoutSeconds, HostRunResult, runOnHost } from "../transport/run";
import { Io } from "./command";

/** The stack's hostnet.json, or undefined for a stack that is not a HostnetStack. */
export function readManifest(dir: string): StackManifest | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, "utf8")) as StackManifest;
}

/** One drifted object and what the probe found. */
export interface Drifted {
  readonly host: string;
  readonly object: ObjectManifest;
  readonly problems: readonly string[];
}

export interface DriftReport {
  readonly drifted: Drifted[];
  /** Hosts that could not be probed, with ssh's or the probe's reason. */
  readonly unprobed: Array<{ host: HostManifest; reason: string }>;
  /** How many objects the probe was sent for, on every host. */
  readonly probed: number;
}

/** The last non-empty line of `text`, or `fallback`. */
function lastLine(text: string, fallback: string): string {
  return text.trim().split("\n").pop()?.trim() || fallback;
}

/**
 * Runs the check of `objects` (and `hostChecks`, the host-wide ones) on a host
 * in one session, with a timeout that grows with the number of objects: the
 * deploy's drift probe and `hostnet check`.
 */
export function runCheck(
  h: HostManifest,
  objects: readonly ObjectManifest[],
  op: string,
  hostChecks: readonly string[] = [],
): Promise<HostRunResult> {
  return runOnHost(h, renderCheckBatch(objects, hostChecks), { op, path: h.path }, { timeoutSeconds: checkTimeoutSeconds(objects.length) });
}

/**
 * Probes, on every host in parallel, the objects whose resource is in
 * `inState` (objects not created yet have nothing to drift).
 */
export async function probeDrift(manifest: StackManifest, inState: ReadonlySet<string>): Promise<DriftReport> {
  const drifted: Drifted[] = [];
  const unprobed: DriftReport["unprobed"] = [];
  let probed = 0;
  await Promise.all(
    manifest.hosts.map(async (h) => {
      const objects = h.objects.filter((o) => o.checks && inState.has(o.resource));
      if (objects.length === 0) return;
      probed += objects.length;
      const r = await runCheck(h, objects, "drift probe");
      if (r.exitCode !== 0) {
        unprobed.push({ host: h, reason: lastLine(r.stderr, `exit ${r.exitCode}`) });
        return;
      }
      try {
        for (const d of parseCheckOutput(r.stdout, objects))
          if (d.problems.length > 0) drifted.push({ host: h.name, object: d.object, problems: d.problems });
      } catch (e) {
        unprobed.push({ host: h, reason: `${(e as Error).message}: ${lastLine(r.stderr, "no message")}` });
      }
    }),
  );
  // Manifest order, so the output reads the same on every run.
  const order = new Map(manifest.hosts.flatMap((h) => h.objects).map((o, i) => [o.resource, i]));
  drifted.sort((a, b) => order.get(a.object.resource)! - order.get(b.object.resource)!);
  return { drifted, unprobed, probed };
}

/** Prints the report, one line per drifted object and per unprobed host. */
export function printDrift(stack: string, report: DriftReport, verb: string, io: Io): void {
  for (const u of report.unprobed) {
    io.out(`hostnet: stack ${stack}: host ${u.host.name} (${u.host.address}) not probed for drift: ${u.reason}`);
  }
  for (const d of report.drifted) {
    io.out(`hostnet: stack ${stack}: drift: ${d.object.path}: ${d.problems.join("; ")}`);
  }
  if (report.drifted.length > 0) {
    io.out(
      `hostnet: stack ${stack}: ${verb} ${report.drifted.length} drifted object(s): ${report.drifted.map((d) => `${d.object.path} (${d.object.resource})`).join(", ")}`,
    );
  }
}
