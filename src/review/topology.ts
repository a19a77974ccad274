/**
 * The topology of a host as a small graph, for the review diagram: namespaces
 * as groups; bridges, veth ends, subnets and NAT rules as nodes; veth cables,
 * subnet membership and NAT targets as edges. Built from the constructs at
 * synth; mermaid.ts prints it. Routes and sysctls are in the table, not here.
 */
import type { IConstruct } from "constructs";
import { Bridge } from "../../constructs/bridge";
import { Host } from "../../constructs/host";
import { Namespace } from "../../constructs/namespace";
import { NatRule } from "../../constructs/nat-rule";
import { AddressInput, addressCidr } from "../../constructs/place";
import { Address, Subnet } from "../../constructs/subnet";
import { VethPair } from "../../constructs/veth-pair";
import { shortHash } from "../plan/names";
import type { NatSpec } from "../render/types";

export type NodeShape = "interface" | "bridge" | "subnet" | "nat";

export interface TopologyNode {
  /** Diagram id: stable for a construct path. */
  readonly id: string;
  /** Label lines. */
  readonly label: readonly string[];
  readonly shape: NodeShape;
  /** Id of the namespace group it sits in; undefined for the host's root namespace. */
  readonly group?: string;
}

export interface TopologyGroup {
  readonly id: string;
  readonly label: string;
}

/** "cable": a veth pair; "member": an address in a subnet; "nat": what a NAT rule rewrites or forwards to. */
export type EdgeStyle = "cable" | "member" | "nat";

export interface TopologyEdge {
  readonly from: string;
  readonly to: string;
  readonly style: EdgeStyle;
  readonly label?: string;
}

export interface HostTopology {
  readonly id: string;
  readonly label: string;
  readonly groups: readonly TopologyGroup[];
  readonly nodes: readonly TopologyNode[];
  readonly edges: readonly TopologyEdge[];
}

/**
 * A diagram id for a construct path (plus a suffix for parts such as a veth
 * end): readable, and unique through a short hash of the whole key, so it does
 * not depend on what else is in the stack.
 */
export function diagramId(stack: string, path: string, suffix = ""): string {
  const rel = path.startsWith(`${stack}/`) ? path.slice(stack.length + 1) : path;
  const readable = `${rel}${suffix ? `_${suffix}` : ""}`.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  return `n_${readable}_${shortHash(`${path}#${suffix}`, 4)}`;
}

/** Holder of an address on the diagram: a node id and the address. */
interface Holder {
  readonly id: string;
  readonly ip: string;
  readonly bridge: boolean;
}

function ipOf(a: AddressInput): string {
  return a instanceof Address ? a.ip : a.split("/")[0];
}

/** The graph of one host. `objects` in review order, so nodes and edges come out in that order. */
export function hostTopology(stack: string, host: Host, objects: readonly IConstruct[]): HostTopology {
  const id = (c: IConstruct, suffix = "") => diagramId(stack, c.node.path, suffix);
  const groups: TopologyGroup[] = [];
  const nodes: TopologyNode[] = [];
  const edges: TopologyEdge[] = [];
  const holders: Holder[] = [];
  const groupOf = (ns?: Namespace) => (ns ? id(ns) : undefined);
  const hold = (nodeId: string, a: AddressInput | undefined, bridge: boolean) => {
    if (a !== undefined) holders.push({ id: nodeId, ip: ipOf(a), bridge });
  };

  for (const o of objects) {
    if (o instanceof Namespace) groups.push({ id: id(o), label: `netns ${o.name}` });
    if (o instanceof Bridge) {
      nodes.push({
        id: id(o),
        label: [`bridge ${o.name}`, ...(o.address ? [addressCidr(o.address)] : [])],
        shape: "bridge",
        group: groupOf(o.namespace),
      });
      hold(id(o), o.address, true);
    }
    if (o instanceof VethPair) {
      // An end on a bridge is drawn as the bridge; a free end is an interface node.
      const ends = (["a", "b"] as const).map((side) => {
        const e = o[side];
        if (e.bridge) return { node: id(e.bridge), port: e.name };
        const nodeId = id(o, side);
        nodes.push({ id: nodeId, label: [e.name, ...(e.address ? [addressCidr(e.address)] : [])], shape: "interface", group: groupOf(e.namespace) });
        hold(nodeId, e.address, false);
        return { node: nodeId, port: undefined };
      });
      const ports = ends.map((e) => e.port).filter((p): p is string => p !== undefined);
      edges.push({ from: ends[0].node, to: ends[1].node, style: "cable", label: ports.length ? ports.join(" ~ ") : "veth" });
    }
  }

  // Subnets: those declared under the host and those its addresses come from.
  const subnets = new Map<string, Subnet>();
  for (const c of host.node.findAll()) if (c instanceof Subnet) subnets.set(c.node.path, c);
  for (const o of objects) {
    const inputs = o instanceof Bridge ? [o.address] : o instanceof VethPair ? [o.a.address, o.b.address] : [];
    for (const a of inputs) if (a instanceof Address && a.subnet) subnets.set(a.subnet.node.path, a.subnet);
  }
  const subnetNode = new Map<Subnet, string>();
  for (const s of [...subnets.values()].sort((x, y) => compare(x.node.path, y.node.path))) {
    // Host-specific id: a subnet shared by two hosts is drawn once in each.
    const sid = diagramId(stack, s.node.path, host.node.id);
    subnetNode.set(s, sid);
    nodes.push({ id: sid, label: [`subnet ${s.node.id}`, s.cidr], shape: "subnet" });
    // A subnet "lives" on its bridge; without one, on each interface in it.
    const inside = holders.filter((h) => s.contains(h.ip));
    const members = inside.some((h) => h.bridge) ? inside.filter((h) => h.bridge) : inside;
    for (const m of members) edges.push({ from: sid, to: m.id, style: "member" });
  }

  for (const o of objects) {
    if (!(o instanceof NatRule)) continue;
    const spec = o.spec();
    nodes.push({ id: id(o), label: [o.kind, natLabel(spec) ?? o.objectName], shape: "nat" });
    if (spec.type === "masquerade" || spec.type === "snat") {
      const subnet = [...subnetNode.keys()].find((s) => s.cidr === spec.source);
      if (subnet) edges.push({ from: subnetNode.get(subnet)!, to: id(o), style: "nat" });
    } else if (spec.type === "dnat") {
      const target = holders.find((h) => h.ip === spec.toAddress);
      if (target) edges.push({ from: id(o), to: target.id, style: "nat" });
    }
  }

  return { id: diagramId(stack, host.node.path), label: `host ${host.node.id} (${host.target.address})`, groups, nodes, edges };
}

/** The second label line of a NAT node; undefined for kinds drawn by their object name. */
function natLabel(spec: NatSpec): string | undefined {
  switch (spec.type) {
    case "masquerade":
      return `${spec.source}${spec.notOutInterface ? ` out not ${spec.notOutInterface}` : ""}`;
    case "snat":
      return `${spec.source} to ${spec.toSource}${spec.outInterface ? ` out ${spec.outInterface}` : ""}`;
    case "dnat":
      return `${spec.protocol}/${spec.hostPort}${spec.hostAddress ? ` on ${spec.hostAddress}` : ""} to ${spec.toAddress}:${spec.toPort}`;
    default:
      return undefined;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
