import { TerraformResource } from "cdktf";
import { sshEnvironment } from "../src/transport/ssh";
import { HostManifest, StackManifest } from "../src/plan/manifest";
import type { Host } from "./host";
import { isHost } from "./same-host";
import type { Probe } from "./net-object";
import type { HostnetStack } from "./hostnet-stack";

/** What `hostnet check` and `hostnet gc` need to know about a synthesized stack. */
export function buildManifest(stack: HostnetStack): StackManifest {
  const hosts: HostManifest[] = stack.node
    .findAll()
    .filter((c): c is Host => isHost(c))
    .map((h) => ({
      name: h.node.id,
      path: h.node.path,
      address: h.target.address,
      port: h.target.port,
      environment: sshEnvironment(h.target),
      resource: address(h.preflight as unknown as TerraformResource),
      sweep: address(h.resource as unknown as TerraformResource),
      checks: h.checks(),
      objects: h.netObjects.map((o) => ({
        path: o.node.path,
        id: o.ref.id,
        tag: o.ref.tag,
        kind: o.kind,
        name: o.objectName,
        resource: address(o.resource as unknown as TerraformResource),
        ...probeManifest(o.checks()),
      })),
    }));
  return { version: 1, stack: stack.stackName, resourceType: stack.resourceType, hosts };
}

function probeManifest(p: Probe): { checks: string[] } | { notChecked: string } {
  return Array.isArray(p) ? { checks: p } : { notChecked: p.notChecked };
}

function address(r: TerraformResource): string {
  return `${r.terraformResourceType}.${r.friendlyUniqueId}`;
}
