/**
 * `hostnet check`: one read-only script per host runs the host-wide probe and
 * every object's drift probe (src/render/check.ts), each under a marker line,
 * and the output is split back into problems per host and per construct path.
 */
import { ObjectManifest } from "../plan/manifest";
import { NEED, NOT_CHECKED, renderCheckCache } from "../render/check";
import { HostnetError } from "../errors";

const MARK = "@@hostnet-check ";
// Object ids are hex hashes: "host" never collides with one.
const HOST_ID = "host";

export function renderCheckBatch(objects: readonly ObjectManifest[], hostChecks: readonly string[] = []): string {
  const lines = ["# hostnet check: read-only", "set -u"];
  // Each namespace the probes read is loaded once, before them (src/render/check.ts renderCheckCache).
  const needs = new Set<string>();
  for (const o of objects) for (const l of o.checks ?? []) if (l.startsWith(NEED)) needs.add(l.slice(NEED.length));
  lines.push(...renderCheckCache([...needs]));
  if (hostChecks.length) lines.push(`echo '${MARK}${HOST_ID}'`, "(", ...hostChecks.map((l) => `  ${l}`), ")");
  // Each object's probe is a `{ }` group, not a `( )` subshell: with 1,000 objects the subshells' forks were
  // 3.5 of a probe's 12 s. The probes set only their own scratch variables (l, ad, rt, d, cls), each before it is
  // read; an unset variable (set -u) ends the whole batch, which then reads as not finished, never as clean.
  for (const o of objects) {
    if (!o.checks) continue;
    lines.push(`echo '${MARK}${o.id}'`, "{", ...o.checks.map((l) => `  ${l}`), "}");
  }
  lines.push(`echo '${MARK}end'`);
  return lines.join("\n");
}

export interface ObjectDrift {
  readonly object: ObjectManifest;
  /** Empty when the object is as planned (or was not checked). */
  readonly problems: string[];
  /** False when the object has no probe or its probe could not run. */
  readonly checked: boolean;
  /** Why it was not checked. */
  readonly reason?: string;
}

export interface HostDrift {
  /** Host-wide problems (a missing tool, a firewall that drops the stack's traffic). */
  readonly problems: string[];
  /** Host-wide warnings (rules in the other iptables backend that drop nothing of the stack's). */
  readonly warnings: string[];
  readonly objects: ObjectDrift[];
}

/** Split the batch's output; throws when it did not run to the end (the host cut the session). */
export function parseCheckOutput(output: string, objects: readonly ObjectManifest[]): ObjectDrift[] {
  return parseHostCheck(output, objects).objects;
}

export function parseHostCheck(output: string, objects: readonly ObjectManifest[]): HostDrift {
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
  if (!ended) throw new HostnetError("the check script did not finish on the host", 1);
  const host = byId.get(HOST_ID) ?? [];
  return {
    problems: host.filter((l) => !l.startsWith("warning: ")),
    warnings: host.filter((l) => l.startsWith("warning: ")).map((l) => l.slice("warning: ".length)),
    objects: objects.map((o) => objectDrift(o, byId.get(o.id))),
  };
}

function objectDrift(o: ObjectManifest, lines: string[] | undefined): ObjectDrift {
  if (!o.checks) return { object: o, checked: false, problems: [], reason: o.notChecked ?? "its kind has no drift probe" };
  if (!lines) return { object: o, checked: true, problems: ["not probed"] };
  const skip = lines.filter((l) => l.startsWith(NOT_CHECKED));
  if (skip.length) return { object: o, checked: false, problems: [], reason: skip.map((l) => l.slice(NOT_CHECKED.length).trim()).join("; ") };
  return { object: o, checked: true, problems: lines };
}
