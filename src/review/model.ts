/**
 * What a review shows, as plain data: per host, every object with its row, its
 * dependencies and the exact create and destroy scripts Terraform runs, in
 * creation order, plus the host's own hook and its topology. The constructs hand
 * a ReviewSource over at synth (constructs/review-model.ts walks the tree);
 * stackReview orders it, and the renderers next to this file turn it into files.
 */
import { orderObjects } from "./order";
import { DiagramSubnet, HostTopology, hostTopology, ObjectDiagram } from "./topology";
import { compareText } from "../text";

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

/** An object as the constructs hand it over: its review row plus its part of the diagram. */
export interface ReviewSourceObject extends ReviewObject {
  readonly diagram: ObjectDiagram;
}

/** A host as the constructs hand it over. */
export interface ReviewSourceHost {
  /** Construct id. */
  readonly name: string;
  readonly path: string;
  readonly address: string;
  readonly port: number;
  readonly preflight: string;
  readonly teardown: string;
  /** In any order: stackReview puts them in creation order. */
  readonly objects: readonly ReviewSourceObject[];
  /** Subnets declared in the host's scope, for the diagram. */
  readonly subnets: readonly DiagramSubnet[];
}

/** What the constructs of a stack hand to the review, as HostnetStack hands buildManifest to the manifest. */
export interface ReviewSource {
  readonly stack: string;
  /** Construct path of the stack: a host's folder is its path below it when two hosts share an id. */
  readonly stackPath: string;
  readonly hosts: readonly ReviewSourceHost[];
}

/** The review of a stack: hosts by construct path, objects in creation order, each host's topology. */
export function stackReview(src: ReviewSource): StackReview {
  const hosts = [...src.hosts].sort((a, b) => compareText(a.path, b.path));
  const idCount = new Map<string, number>();
  for (const h of hosts) idCount.set(h.name, (idCount.get(h.name) ?? 0) + 1);
  return {
    stack: src.stack,
    hosts: hosts.map((h) => {
      const ordered = orderObjects(h.objects);
      const rel = h.path.slice(src.stackPath.length + 1);
      return {
        name: h.name,
        dir: idCount.get(h.name) === 1 ? h.name : rel.replace(/\//g, "-"),
        path: h.path,
        address: h.address,
        port: h.port,
        preflight: h.preflight,
        teardown: h.teardown,
        objects: ordered.map(({ diagram: _d, ...row }) => row),
        topology: hostTopology(
          src.stack,
          { id: h.name, path: h.path, address: h.address, subnets: h.subnets },
          ordered.map((o) => o.diagram),
        ),
      };
    }),
  };
}
