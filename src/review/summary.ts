/**
 * Short forms of a review: the per-host count line and the machine-readable
 * plan.json that `hostnet plan` reads back (everything but the scripts).
 */
import { kindRank } from "../plan/kinds";
import type { StackReview } from "./model";
import { compareText } from "../text";

/** Objects per kind, in the order of OBJECT_KINDS (src/plan/kinds.ts); kinds not in it follow alphabetically. */
export function kindCounts(objects: ReadonlyArray<{ readonly kind: string }>): Array<[kind: string, count: number]> {
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => kindRank(a) - kindRank(b) || compareText(a, b));
}

/** "13 objects — 3 netns, 1 bridge, ..." */
export function countLine(objects: ReadonlyArray<{ readonly kind: string }>): string {
  const n = objects.length;
  const head = `${n} object${n === 1 ? "" : "s"}`;
  return n === 0
    ? head
    : `${head} — ${kindCounts(objects)
        .map(([k, c]) => `${c} ${k}`)
        .join(", ")}`;
}

/** "host a (198.18.0.10): 13 objects — 3 netns, ..." */
export function hostLine(h: { readonly name: string; readonly address: string; readonly objects: ReadonlyArray<{ readonly kind: string }> }): string {
  return `host ${h.name} (${h.address}): ${countLine(h.objects)}`;
}

/** A host in plan.json: the review without scripts and diagram. */
export interface PlanJsonHost {
  readonly name: string;
  readonly dir: string;
  readonly path: string;
  readonly address: string;
  readonly port: number;
  readonly objects: ReadonlyArray<{
    readonly path: string;
    readonly kind: string;
    readonly name: string;
    readonly where: string;
    readonly addresses: readonly string[];
    readonly detail?: string;
    readonly dependsOn: readonly string[];
  }>;
}

/** plan.json of a stack. */
export interface PlanJson {
  readonly stack: string;
  readonly hosts: readonly PlanJsonHost[];
}

export function planJson(r: StackReview): PlanJson {
  return {
    stack: r.stack,
    hosts: r.hosts.map((h) => ({
      name: h.name,
      dir: h.dir,
      path: h.path,
      address: h.address,
      port: h.port,
      objects: h.objects.map(({ create: _c, destroy: _d, ...row }) => row),
    })),
  };
}
