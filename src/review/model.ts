/**
 * What a review shows, as plain data: per host, every object with its row, its
 * dependencies and the exact create and destroy scripts Terraform runs, in
 * creation order, plus the host's own hook and its topology. Built from the
 * construct tree at synth; the renderers next to this file turn it into files.
 */
import { Host } from "../../constructs/host";
import type { HostnetStack } from "../../constructs/hostnet-stack";
import { NetObject, uniq } from "../../constructs/net-object";
import { orderObjects } from "./order";
import { HostTopology, hostTopology } from "./topology";

export interface ReviewObject {
  /** Construct path. */
  readonly path: string;
  readonly kind: string;
  readonly name: string;
  /** "root", "netns <name>", or both places of a veth pair. */
  readonly where: string;
  readonly addresses: readonly string[];
  readonly detail?: string;
  /** Paths of the objects it is created after. */
  readonly dependsOn: readonly string[];
  /** Create script, exactly as the hook runs it. */
  readonly create: string;
  /** Destroy script, exactly as the hook runs it. */
  readonly destroy: string;
}

export interface ReviewHost {
  /** Construct id of the host. */
  readonly name: string;
  /** Folder of its scripts under review/: the id, or its path when two hosts share an id. */
  readonly dir: string;
  readonly path: string;
  readonly address: string;
  readonly port: number;
  /** The host's preflight and sweep hook: runs before every object. */
  readonly preflight: string;
  /** The host's destroy hook: runs after every object is gone. */
  readonly teardown: string;
  /** In creation order. */
  readonly objects: readonly ReviewObject[];
  readonly topology: HostTopology;
}

export interface StackReview {
  readonly stack: string;
  /** By construct path. */
  readonly hosts: readonly ReviewHost[];
}

/** The host's hooks, exactly as its resource carries them (constructs/host.ts). */
export function hostHooks(host: Host): { preflight: string; teardown: string } {
  return { preflight: host.createScript(), teardown: host.destroyScript() };
}

function reviewObject(o: NetObject): ReviewObject {
  const s = o.summary();
  return {
    path: o.node.path,
    kind: s.kind,
    name: s.name,
    where: s.where,
    addresses: [...s.addresses],
    ...(s.detail !== undefined ? { detail: s.detail } : {}),
    dependsOn: uniq(o.dependencies())
      .filter((d) => d !== o)
      .map((d) => d.node.path)
      .sort(),
    create: o.createScript(),
    destroy: o.destroyScript(),
  };
}

/** The review of a stack: every Host in it, by construct path. */
export function stackReview(stack: HostnetStack): StackReview {
  const hosts = stack.node
    .findAll()
    .filter((c): c is Host => c instanceof Host)
    .sort((a, b) => compare(a.node.path, b.node.path));
  const idCount = new Map<string, number>();
  for (const h of hosts) idCount.set(h.node.id, (idCount.get(h.node.id) ?? 0) + 1);
  return {
    stack: stack.stackName,
    hosts: hosts.map((h) => {
      const rows = new Map(h.netObjects.map((o) => [reviewObject(o), o] as const));
      const ordered = orderObjects([...rows.keys()]);
      const rel = h.node.path.slice(stack.node.path.length + 1);
      return {
        name: h.node.id,
        dir: idCount.get(h.node.id) === 1 ? h.node.id : rel.replace(/\//g, "-"),
        path: h.node.path,
        address: h.target.address,
        port: h.target.port,
        ...hostHooks(h),
        objects: ordered,
        topology: hostTopology(
          stack.stackName,
          h,
          ordered.map((r) => rows.get(r)!),
        ),
      };
    }),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
