/**
 * The order objects appear in a host's review and run in its up.sh: a
 * topological order of their dependencies that stays put when the stack grows.
 *
 * Each object gets a layer, one more than its deepest dependency (an object with
 * none is layer 0); objects go layer by layer, by construct path within a layer.
 * A plain "smallest ready path first" order would move an existing route when a
 * new veth in its namespace becomes one of its dependencies; with layers the
 * route stays where it was unless the new object makes a longer chain under it.
 */
import { HostnetError } from "../errors";
import { compareText } from "../text";

/** What ordering needs of an object: a unique key and the keys it depends on. */
export interface OrderItem {
  /** Construct path: unique, and the tie-break. */
  readonly path: string;
  /** Paths of the objects that must exist first. Paths outside the list are ignored. */
  readonly dependsOn: readonly string[];
}

/** Thrown when dependencies form a cycle; the message names the paths on it. */
export class DependencyCycleError extends HostnetError {
  constructor(readonly cycle: readonly string[]) {
    super(`objects depend on each other in a cycle: ${cycle.join(" -> ")}. Remove one of these dependencies.`);
    this.name = "DependencyCycleError";
  }
}

/** Layer of every item: 0 without dependencies, else 1 + the deepest dependency's layer. */
export function layers(items: readonly OrderItem[]): Map<string, number> {
  const byPath = new Map(items.map((i) => [i.path, i]));
  if (byPath.size !== items.length) throw new Error("orderObjects: two items share a path");
  const layer = new Map<string, number>();
  const visiting: string[] = [];
  const visit = (path: string): number => {
    const done = layer.get(path);
    if (done !== undefined) return done;
    const at = visiting.indexOf(path);
    if (at !== -1) throw new DependencyCycleError([...visiting.slice(at), path]);
    visiting.push(path);
    let l = 0;
    for (const d of [...byPath.get(path)!.dependsOn].sort()) {
      if (d !== path && byPath.has(d)) l = Math.max(l, visit(d) + 1);
    }
    visiting.pop();
    layer.set(path, l);
    return l;
  };
  for (const p of [...byPath.keys()].sort()) visit(p);
  return layer;
}

/** Items in creation order: by layer, then by path (plain code-unit order, independent of locale). */
export function orderObjects<T extends OrderItem>(items: readonly T[]): T[] {
  const layer = layers(items);
  return [...items].sort((x, y) => layer.get(x.path)! - layer.get(y.path)! || compareText(x.path, y.path));
}
