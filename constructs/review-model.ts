/**
 * The walk of the construct tree that feeds the review (src/review): every Host
 * of a stack with its objects' rows, scripts and diagram parts, as plain data.
 * Lives beside constructs/manifest.ts for the same reason: src/ never imports a
 * construct, and this file needs the classes as types only (hosts are found by
 * their symbol guard): HostnetStack imports it, and a value import of a
 * construct here would close an import cycle.
 */
import { ReviewSource, ReviewSourceHost, ReviewSourceObject, StackReview, stackReview } from "../src/review/model";
import type { Host } from "./host";
import type { HostnetStack } from "./hostnet-stack";
import type { NetObject } from "./net-object";
import { isHost } from "./same-host";

/** What the review needs of a stack (HostnetStack hands it to the ReviewSynthesizer). */
export function buildReviewSource(stack: HostnetStack): ReviewSource {
  return {
    stack: stack.stackName,
    stackPath: stack.node.path,
    hosts: stack.node
      .findAll()
      .filter((c): c is Host => isHost(c))
      .map(reviewHost),
  };
}

/** The review of a stack, as written to review/ at synth. */
export function buildReview(stack: HostnetStack): StackReview {
  return stackReview(buildReviewSource(stack));
}

/** The host's hooks, exactly as its resource carries them (constructs/host.ts). */
export function hostHooks(host: Host): { preflight: string; teardown: string } {
  return { preflight: [host.createScript(), host.sweepScript()].join("\n"), teardown: host.destroyScript() };
}

function reviewHost(h: Host): ReviewSourceHost {
  return {
    name: h.node.id,
    path: h.node.path,
    address: h.target.address,
    port: h.target.port,
    ...hostHooks(h),
    objects: h.netObjects.map(reviewObject),
    subnets: h.subnets().map((s) => ({ path: s.node.path, name: s.node.id, cidr: s.cidr })),
  };
}

function reviewObject(o: NetObject): ReviewSourceObject {
  const s = o.summary();
  return {
    path: o.node.path,
    kind: s.kind,
    name: s.name,
    where: s.where,
    addresses: [...s.addresses],
    ...(s.detail !== undefined ? { detail: s.detail } : {}),
    dependsOn: [...new Set(o.dependencies())]
      .filter((d) => d !== o)
      .map((d) => d.node.path)
      .sort(),
    create: o.createScript(),
    destroy: o.destroyScript(),
    diagram: o.diagram(),
  };
}
