/**
 * The topology of a host as a small graph, for the review diagram. Each object
 * declares its own part as plain data (NetObject.diagram(): namespaces as
 * groups; bridges, interfaces and NAT rules as nodes; cables and NAT targets as
 * edges); this file joins the parts of one host, adds the subnets and their
 * members, and mermaid.ts prints the result. Routes and sysctls are in the
 * table, not here.
 */
import { cidrContains, parseAnyCidr, parseAnyIp } from "../ipam/ip";
import { shortHash } from "../plan/names";
import type { NatSpec } from "../render/types";
import { compareText } from "../text";

export type NodeShape = "interface" | "bridge" | "subnet" | "nat" | "tunnel";

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

/**
 * "cable": a veth pair; "member": an address in a subnet, or a port of a bridge;
 * "nat": what a NAT rule rewrites or forwards to; "tunnel": a VXLAN between hosts;
 * "stacked": a macvlan or ipvlan on its parent.
 */
export type EdgeStyle = "cable" | "member" | "nat" | "tunnel" | "stacked";

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

/** A node (or a namespace group) by the construct path that declares it, plus a part name when it declares several. */
export interface DiagramRef {
  readonly path: string;
  readonly part?: string;
}

/**
 * One end of an edge: a node by its ref, the node of the subnet with this CIDR
 * on the host, or the node holding this address. An edge whose subnet or
 * address end is not on the host's diagram is left out.
 */
export type DiagramEnd = DiagramRef | { readonly subnet: string } | { readonly holding: string };

export interface DiagramNode {
  readonly ref: DiagramRef;
  readonly label: readonly string[];
  readonly shape: NodeShape;
  /** The namespace group it sits in; absent for the host's root namespace. */
  readonly group?: DiagramRef;
  /** The address it holds (no prefix), for subnet membership and edges to an address. */
  readonly ip?: string;
  /** More addresses it holds (dual stack: the IPv6 one beside `ip`), for the subnets it is drawn in. */
  readonly ips?: readonly string[];
  /** Drawn after the subnets, as a rule that points at them is. */
  readonly late?: boolean;
}

export interface DiagramEdge {
  readonly from: DiagramEnd;
  readonly to: DiagramEnd;
  readonly style: EdgeStyle;
  readonly label?: string;
  /** Drawn after the subnets' member edges. */
  readonly late?: boolean;
}

/** A subnet drawn on a host, with an edge to each node that holds one of its addresses. */
export interface DiagramSubnet {
  readonly path: string;
  /** Construct id, the label's first line. */
  readonly name: string;
  readonly cidr: string;
}

/** What one object adds to its host's diagram (NetObject.diagram()); plain data. */
export interface ObjectDiagram {
  /** Namespace boxes it creates. */
  readonly groups?: ReadonlyArray<{ readonly ref: DiagramRef; readonly label: string }>;
  readonly nodes?: readonly DiagramNode[];
  readonly edges?: readonly DiagramEdge[];
  /** Subnets its addresses come from: drawn on this host even when declared elsewhere. */
  readonly subnets?: readonly DiagramSubnet[];
}

/** What the diagram needs of a host. */
export interface DiagramHost {
  readonly id: string;
  readonly path: string;
  readonly address: string;
  /** Subnets declared in the host's scope. */
  readonly subnets: readonly DiagramSubnet[];
}

/**
 * The graph of one host. `objects` in review order, so nodes and edges come out
 * in that order: groups and nodes, then the subnets (by path) and their member
 * edges, then the late nodes and edges (rules that point at subnets and addresses).
 */
export function hostTopology(stack: string, host: DiagramHost, objects: readonly ObjectDiagram[]): HostTopology {
  const id = (r: DiagramRef) => diagramId(stack, r.path, r.part);
  const groups: TopologyGroup[] = objects.flatMap((o) => (o.groups ?? []).map((g) => ({ id: id(g.ref), label: g.label })));
  const declared = objects.flatMap((o) => o.nodes ?? []);
  const nodes: TopologyNode[] = [];
  const seen = new Set<string>();
  const draw = (n: DiagramNode) => {
    const nid = id(n.ref);
    // Two objects may declare one node (two macvlans on one host interface): drawn once.
    if (seen.has(nid)) return;
    seen.add(nid);
    nodes.push({ id: nid, label: n.label, shape: n.shape, ...(n.group ? { group: id(n.group) } : {}) });
  };
  const holders = declared.flatMap((n) =>
    [...new Set([...(n.ip !== undefined ? [n.ip] : []), ...(n.ips ?? [])])].map((ip) => ({ id: id(n.ref), ip, bridge: n.shape === "bridge" })),
  );

  // Subnets: those declared under the host and those its objects' addresses come from.
  const subnets = new Map<string, DiagramSubnet>();
  for (const s of [...host.subnets, ...objects.flatMap((o) => o.subnets ?? [])]) if (!subnets.has(s.path)) subnets.set(s.path, s);
  const subnetNodes: TopologyNode[] = [];
  const memberEdges: TopologyEdge[] = [];
  const subnetId = new Map<string, string>();
  for (const s of [...subnets.values()].sort((x, y) => compareText(x.path, y.path))) {
    // Host-specific id: a subnet shared by two hosts is drawn once in each.
    const sid = diagramId(stack, s.path, host.id);
    if (!subnetId.has(s.cidr)) subnetId.set(s.cidr, sid);
    subnetNodes.push({ id: sid, label: [`subnet ${s.name}`, s.cidr], shape: "subnet" });
    // A subnet "lives" on its bridge; without one, on each interface in it.
    const inside = holders.filter((h) => inSubnet(s.cidr, h.ip));
    const members = inside.some((h) => h.bridge) ? inside.filter((h) => h.bridge) : inside;
    for (const m of members) memberEdges.push({ from: sid, to: m.id, style: "member" });
  }

  const end = (e: DiagramEnd): string | undefined =>
    "subnet" in e ? subnetId.get(e.subnet) : "holding" in e ? holders.find((h) => h.ip === e.holding)?.id : id(e);
  const edgesOf = (late: boolean) =>
    objects
      .flatMap((o) => o.edges ?? [])
      .filter((e) => (e.late ?? false) === late)
      .flatMap((e) => {
        const [from, to] = [end(e.from), end(e.to)];
        return from && to ? [{ from, to, style: e.style, ...(e.label !== undefined ? { label: e.label } : {}) }] : [];
      });

  for (const n of declared.filter((x) => !x.late)) draw(n);
  nodes.push(...subnetNodes);
  for (const n of declared.filter((x) => x.late)) draw(n);
  const edges = [...edgesOf(false), ...memberEdges, ...edgesOf(true)];
  return { id: diagramId(stack, host.path), label: `host ${host.id} (${host.address})`, groups, nodes, edges };
}

function inSubnet(cidr: string, ip: string): boolean {
  try {
    return cidrContains(parseAnyCidr(cidr, false), parseAnyIp(ip));
  } catch {
    return false;
  }
}

/** The second label line of a NAT node; undefined for kinds drawn by their object name. */
export function natLabel(spec: NatSpec): string | undefined {
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
