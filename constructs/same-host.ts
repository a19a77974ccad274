import type { IConstruct, Node } from "constructs";
import type { Host } from "./host";
import { ConstructError } from "../src/errors";

// A symbol, not instanceof: this file (imported by every construct) needs no
// Host class at run time, so it adds no import cycle.
const HOST = Symbol.for("hostnet.Host");

/** @internal called by Host's constructor. */
export function markHost(h: Host): void {
  Object.defineProperty(h, HOST, { value: true });
}

export function isHost(x: unknown): x is Host {
  return typeof x === "object" && x !== null && HOST in x;
}

/** The Host whose scope `c` is created in (`c` itself when it is a Host). */
export function scopeHost(c: IConstruct): Host | undefined {
  for (let s: IConstruct | undefined = c; s; s = s.node.scope) if (isHost(s)) return s;
  return undefined;
}

/** Something that lives on one host: a NetObject, a Network. */
export interface OnHost {
  readonly host: Host;
  readonly node: Node;
}

/**
 * The host an object is built on: the Host whose scope it is created in, else
 * the host of its first reference. Throws when there is neither, naming the fix.
 */
export function hostFor(scope: IConstruct, id: string, label: string, refs: ReadonlyArray<OnHost | undefined> = []): Host {
  const host = scopeHost(scope) ?? refs.find((r) => r !== undefined)?.host;
  if (!host)
    throw new ConstructError(`a ${label} must be created inside a Host's scope, e.g. new ${label}(hostA, "${id}").`, `${scope.node.path}/${id}`);
  return host;
}

/**
 * One problem per reference that lives on another host than `host`. `refs` are
 * [what refers ("props.a.namespace"), the referenced object]; the caller adds its path.
 */
export function otherHostProblems(host: Host, label: string, refs: ReadonlyArray<readonly [string, OnHost | undefined]>): string[] {
  return refs.flatMap(([what, ref]) =>
    ref && ref.host !== host
      ? [
          `${what} is ${ref.node.path}, which is on ` +
            `host ${ref.host.node.path}, but ` +
            `this ${label} is built on ` +
            `host ${host.node.path}. Refer to an object ` +
            `on ${host.node.path}, or create ` +
            `this ${label} in ${ref.host.node.path}'s scope; hosts are joined by a Vxlan or by routes (HostGw), not by references.`,
        ]
      : [],
  );
}
