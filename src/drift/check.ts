/**
 * `hostnet check`: one read-only script per host runs every object's drift
 * probe (src/render/check.ts), each under a marker line, and the output is
 * split back into problems per construct path.
 */
import { ObjectManifest } from "../plan/manifest";

const MARK = "@@hostnet-check ";

export function renderCheckBatch(objects: readonly ObjectManifest[]): string {
  const lines = ["# hostnet check: read-only", "set -u"];
  for (const o of objects) {
    if (!o.checks) continue;
    lines.push(`echo '${MARK}${o.id}'`, "(", ...o.checks.map((l) => `  ${l}`), ")");
  }
  lines.push(`echo '${MARK}end'`);
  return lines.join("\n");
}

export interface ObjectDrift {
  readonly object: ObjectManifest;
  /** Empty when the object is as planned. */
  readonly problems: string[];
  /** False when the kind has no probe. */
  readonly checked: boolean;
}

/** Split the batch's output; throws when it did not run to the end (the host cut the session). */
export function parseCheckOutput(output: string, objects: readonly ObjectManifest[]): ObjectDrift[] {
  const byId = new Map<string, string[]>();
  let current: string[] | undefined;
  let ended = false;
  for (const line of output.split("\n")) {
    if (line.startsWith(MARK)) {
      const id = line.slice(MARK.length).trim();
      if (id === "end") ended = true;
      current = [];
      byId.set(id, current);
    } else if (line.trim() !== "" && current) {
      current.push(line.trim());
    }
  }
  if (!ended) throw new Error("the check script did not finish on the host");
  return objects.map((o) => ({ object: o, checked: o.checks !== undefined, problems: o.checks ? byId.get(o.id) ?? ["not probed"] : [] }));
}
