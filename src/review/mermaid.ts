/**
 * The topology of a stack as a Mermaid flowchart (GitHub renders it in
 * PLAN.md): a box per host, a box per namespace inside it, nodes for bridges,
 * interfaces, tunnels, subnets and NAT rules. Lines come out in review order, so
 * adding an object adds its lines and moves none.
 */
import type { EdgeStyle, HostTopology, NodeShape, TopologyNode } from "./topology";

/** Text inside a quoted Mermaid label: quotes and markup become entity codes. */
export function mermaidText(s: string): string {
  return s.replace(/#/g, "#35;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

const SHAPES: Record<NodeShape, [string, string]> = {
  interface: ["[", "]"],
  bridge: ["[[", "]]"],
  subnet: ["([", "])"],
  nat: ["{{", "}}"],
  tunnel: ["[/", "/]"],
};

const ARROWS: Record<EdgeStyle, string> = {
  cable: "---",
  member: "-.-",
  nat: "-->",
  tunnel: "===",
  stacked: "-.->",
};

function node(n: TopologyNode, indent: string): string {
  const [open, close] = SHAPES[n.shape];
  return `${indent}${n.id}${open}"${n.label.map(mermaidText).join("<br/>")}"${close}`;
}

/** A flowchart of every host; an empty string when there is no host. */
export function renderMermaid(hosts: readonly HostTopology[]): string {
  if (hosts.length === 0) return "";
  const lines = ["flowchart LR"];
  for (const h of hosts) {
    lines.push(`  subgraph ${h.id}["${mermaidText(h.label)}"]`);
    // Each group's nodes in their order, found in one pass (a filter per group was quadratic: 10,000 namespaces took 1.1 s).
    const members = new Map<string, TopologyNode[]>(h.groups.map((g) => [g.id, []]));
    const loose: TopologyNode[] = [];
    for (const n of h.nodes) ((n.group !== undefined && members.get(n.group)) || loose).push(n);
    for (const g of h.groups) {
      lines.push(`    subgraph ${g.id}["${mermaidText(g.label)}"]`);
      for (const n of members.get(g.id)!) lines.push(node(n, "      "));
      lines.push("    end");
    }
    for (const n of loose) lines.push(node(n, "    "));
    lines.push("  end");
  }
  for (const h of hosts) {
    for (const e of h.edges) lines.push(`  ${e.from} ${ARROWS[e.style]}${e.label ? `|"${mermaidText(e.label)}"|` : ""} ${e.to}`);
  }
  return lines.join("\n");
}
