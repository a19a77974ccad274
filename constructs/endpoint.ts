import { Construct } from "constructs";
import { ipProblem } from "../src/validate/address";
import { deriveName } from "../src/plan/names";
import { checkNamespace, checkRoute, checkVeth } from "../src/render/check";
import { renderNamespace } from "../src/render/namespace";
import { renderRoute } from "../src/render/route";
import { Hooks, NamespaceSpec, ObjectRef, RouteSpec, VethSpec } from "../src/render/types";
import { renderVeth } from "../src/render/veth";
import { checkMtu, interfaceNameProblem, namespaceNameProblem } from "../src/validate/names";
import { nonNull, problemText } from "../src/validate/problem";
import { Bridge } from "./bridge";
import { NamespaceLike, NetObject, ObjectSummary } from "./net-object";
import { AddressInput, addressCidr, bridgeSubnetProblem, checkAddressInput, placeName } from "./place";
import { hostFor, OnHost } from "./same-host";
import { Address, Subnet } from "./subnet";
import type { ObjectKind } from "../src/plan/kinds";
import type { ObjectDiagram } from "../src/review/topology";
import { holding, refOf, subnetsOf } from "./diagram";

export interface EndpointProps {
  /** Bridge the endpoint plugs into: the host-side end of its veth joins it. */
  readonly bridge: Bridge;
  /**
   * Address of the interface inside the namespace: a Subnet (its next free
   * address), `subnet.allocate(...)`, `subnet.address("...")` or "a.b.c.d/len".
   * @default none
   */
  readonly address?: Subnet | AddressInput;
  /**
   * Next hop of the namespace's default route (`subnet.gateway` or "a.b.c.d"); false for no route.
   * @default the bridge's address; no route when the bridge has none
   */
  readonly gateway?: Address | string | false;
  /** Name of the namespace under /run/netns. @default the construct id */
  readonly namespaceName?: string;
  /** Interface name inside the namespace, 1-15 bytes. @default "eth0" */
  readonly name?: string;
  /** Name of the host-side veth end, 1-15 bytes. @default "ve-" plus the construct id */
  readonly hostName?: string;
  /** MTU of both veth ends. @default 1500 */
  readonly mtu?: number;
  /** Stop processes still inside the namespace when it is destroyed. @default true */
  readonly killProcessesOnDestroy?: boolean;
}

/**
 * A container-style endpoint as one object: a namespace, a veth pair from it
 * into a bridge, an address on the inner end and a default route via the
 * bridge. The same shell lines as a Namespace, a VethPair and a Route (its
 * hooks are their renderers' lines, concatenated), carried by one Terraform
 * resource and one SSH hook instead of three: use it when a host has many
 * endpoints. It is created after its bridge and destroyed before it.
 *
 * @example
 * ```ts
 * const lan = new Subnet(host, "lan", { cidr: "10.88.0.0/24" });
 * const br = new Bridge(host, "br-lan", { address: lan.gateway });
 * for (let i = 0; i < 100; i++) new Endpoint(host, `ep${i}`, { bridge: br, address: lan }); // one resource each
 * ```
 */
export class Endpoint extends NetObject {
  readonly bridge: Bridge;
  readonly namespaceName: string;
  readonly name: string;
  readonly hostName: string;
  readonly mtu: number;
  readonly address?: AddressInput;
  /** Next hop of the default route (dotted quad), when there is one. */
  readonly gateway?: string;
  /** The endpoint's namespace, as place checks and routes see it. */
  readonly namespace: NamespaceLike;
  private readonly killProcesses: boolean;

  constructor(scope: Construct, id: string, props: EndpointProps) {
    super(scope, id, hostFor(scope, id, "Endpoint", [props.bridge]));
    this.bridge = props.bridge;
    this.namespaceName = props.namespaceName ?? deriveName(id, this.node.path, 64);
    this.namespace = { name: this.namespaceName };
    this.name = props.name ?? "eth0";
    this.hostName = props.hostName ?? deriveName(id, this.node.path, 15, "ve-");
    this.mtu = props.mtu ?? 1500;
    this.killProcesses = props.killProcessesOnDestroy ?? true;
    this.address = Subnet.isSubnet(props.address) ? props.address.allocate(this) : props.address;
    const gw = props.gateway === undefined ? props.bridge.address : props.gateway;
    this.gateway = gw === false || gw === undefined ? undefined : gw instanceof Address ? gw.ip : gw.split("/")[0];
  }

  get kind(): ObjectKind {
    return "endpoint";
  }

  // A veth pair underneath.
  requiredModules(): string[] {
    return ["veth"];
  }

  // Its own namespace as a box, the interface inside it, cabled to the bridge (labelled with the host-side port).
  diagram(): ObjectDiagram {
    const group = refOf(this, "netns");
    const inside = refOf(this, "if");
    const label = [this.name, ...(this.address !== undefined ? [addressCidr(this.address)] : [])];
    return {
      groups: [{ ref: group, label: `netns ${this.namespaceName}` }],
      nodes: [{ ref: inside, label, shape: "interface", group, ...holding(this.address) }],
      edges: [{ from: refOf(this.bridge), to: inside, style: "cable", label: this.hostName }],
      subnets: subnetsOf(this.address),
    };
  }

  get objectName(): string {
    return this.namespaceName;
  }

  hooks(ref: ObjectRef): Hooks {
    const parts = [renderNamespace(this.namespaceSpec()), renderVeth(this.vethSpec(), ref), ...(this.gateway ? [renderRoute(this.routeSpec())] : [])];
    // Created in order, destroyed in reverse, exactly as the three objects would be.
    return { create: parts.flatMap((p) => p.create), destroy: [...parts].reverse().flatMap((p) => p.destroy) };
  }

  checks(): string[] {
    return [
      ...checkNamespace(this.namespaceSpec()),
      ...checkVeth(this.vethSpec(), this.ref.tag),
      ...(this.gateway ? checkRoute(this.routeSpec()) : []),
    ];
  }

  dependencies(): NetObject[] {
    return [this.bridge];
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    return [["props.bridge", this.bridge]];
  }

  namespaces(): string[] {
    return [this.namespaceName];
  }

  routes(): Array<{ destination: string; via?: string; namespace?: NamespaceLike }> {
    return this.gateway !== undefined ? [{ destination: "default", via: this.gateway, namespace: this.namespace }] : [];
  }

  interfaces(): Array<{ name: string; namespace?: NamespaceLike }> {
    return [
      { name: this.name, namespace: this.namespace },
      { name: this.hostName, namespace: this.bridge.namespace },
    ];
  }

  assignedAddresses(): Array<{ cidr: string; iface: string; namespace?: NamespaceLike }> {
    return this.address !== undefined ? [{ cidr: addressCidr(this.address), iface: this.name, namespace: this.namespace }] : [];
  }

  summary(): ObjectSummary {
    return {
      kind: "endpoint",
      name: this.namespaceName,
      where: `netns ${this.namespaceName} ~ ${placeName(this.bridge.namespace)}`,
      addresses: this.address !== undefined ? [addressCidr(this.address)] : [],
      detail: `${this.name}@netns ${this.namespaceName} <-> ${this.hostName} (bridge ${this.bridge.name}), ${this.gateway ? `default via ${this.gateway}` : "no default route"}, mtu ${this.mtu}`,
    };
  }

  protected validateObject(): string[] {
    const errs: string[] = [];
    const ns = namespaceNameProblem(this.namespaceName);
    if (ns) errs.push(problemText(ns, "Set props.namespaceName or change the construct id."));
    for (const [what, name, prop] of [
      ["interface", this.name, "name"],
      ["host-side interface", this.hostName, "hostName"],
    ] as const) {
      const n = interfaceNameProblem(name);
      if (n) errs.push(`${what}: ${problemText(n, `Set props.${prop}.`)}`);
    }
    const m = checkMtu(this.mtu);
    if (m) errs.push(`${m} Fix props.mtu.`);
    if (this.bridge.mtu < this.mtu)
      errs.push(
        `MTU ${this.mtu} is larger than bridge ${this.bridge.name}'s MTU ${this.bridge.mtu}; the bridge would lower it. Set props.mtu to at most ${this.bridge.mtu}.`,
      );
    if (this.address !== undefined) errs.push(...checkAddressInput(this.address, "address"));
    // One L2 segment, one subnet (as for a VethPair end on a bridge).
    const seg =
      this.address !== undefined
        ? bridgeSubnetProblem(this.address, this.bridge, { what: "address", joins: "the endpoint joins", prop: "props.address" })
        : null;
    if (seg) errs.push(seg);
    if (this.gateway !== undefined) errs.push(...nonNull(ipProblem(this.gateway, "gateway")));
    return errs;
  }

  private namespaceSpec(): NamespaceSpec {
    return { name: this.namespaceName, killProcesses: this.killProcesses };
  }

  private vethSpec(): VethSpec {
    return {
      a: { name: this.name, netns: this.namespaceName, addresses: this.address !== undefined ? [addressCidr(this.address)] : [] },
      b: { name: this.hostName, netns: this.bridge.namespace?.name, master: this.bridge.name, addresses: [] },
      mtu: this.mtu,
    };
  }

  private routeSpec(): RouteSpec {
    return { netns: this.namespaceName, destination: "default", via: this.gateway };
  }
}
