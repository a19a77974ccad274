import { Construct } from "constructs";
import { anyIpProblem } from "../src/validate/address";
import { familyOf } from "../src/ipam/ip";
import { deriveName } from "../src/plan/names";
import { checkNamespace, checkRoute, checkVeth } from "../src/render/check";
import { ip } from "../src/render/common";
import { namespaceCreate, namespaceDestroy, namespaceSteps } from "../src/render/namespace";
import { renderRoute } from "../src/render/route";
import { Hooks, NamespaceSpec, ObjectRef, RouteSpec, VethSpec } from "../src/render/types";
import { renderVeth } from "../src/render/veth";
import { checkMtu, interfaceNameProblem, namespaceNameProblem } from "../src/validate/names";
import { problemText } from "../src/validate/problem";
import { Bridge } from "./bridge";
import { NamespaceLike, NetObject, ObjectSummary } from "./net-object";
import { AddressInput, addressCidr, addressFamily, addressIp, bridgeSubnetProblem, canonicalText, checkAddressesInput, placeName } from "./place";
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
   * address), `subnet.allocate(...)`, `subnet.address("...")`, "a.b.c.d/len" or
   * "fd00::2/64"; one per family for dual stack (`[lan, lan6]`).
   * @default none
   */
  readonly address?: Subnet | AddressInput | ReadonlyArray<Subnet | AddressInput>;
  /**
   * Next hop of the namespace's default route (`subnet.gateway`, "a.b.c.d" or "fd00::1"), one per
   * family for dual stack; false for no route.
   * @default the bridge's address of each family the endpoint has an address of; no route when the bridge has none
   */
  readonly gateway?: Address | string | false | ReadonlyArray<Address | string>;
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
  /** The first of its addresses. */
  readonly address?: AddressInput;
  /** Its addresses, at most one per family. */
  readonly addresses: readonly AddressInput[];
  /** Next hop of the default route (the first one), when there is one. */
  readonly gateway?: string;
  /** Next hops of the default routes, at most one per family. */
  readonly gateways: readonly string[];
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
    const given = props.address === undefined ? [] : Array.isArray(props.address) ? props.address : [props.address];
    this.addresses = (given as ReadonlyArray<Subnet | AddressInput>).map((a) => (Subnet.isSubnet(a) ? a.allocate(this) : a));
    this.address = this.addresses[0];
    // By default one route per family the endpoint has an address of, via the bridge's address of that family
    // (with no address at all, via the bridge's first, as before).
    const families = new Set(this.addresses.map(addressFamily));
    const gw: ReadonlyArray<Address | string> =
      props.gateway === false
        ? []
        : props.gateway === undefined
          ? props.bridge.addresses.filter((a, i) => (families.size ? families.has(addressFamily(a)) : i === 0))
          : Array.isArray(props.gateway)
            ? props.gateway
            : [props.gateway as Address | string];
    this.gateways = gw.map((g) => (g instanceof Address ? addressIp(g) : canonicalText(g.split("/")[0])));
    this.gateway = this.gateways[0];
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
    const label = [this.name, ...this.addresses.map(addressCidr)];
    return {
      groups: [{ ref: group, label: `netns ${this.namespaceName}` }],
      nodes: [{ ref: inside, label, shape: "interface", group, ...holding(this.address) }],
      edges: [{ from: refOf(this.bridge), to: inside, style: "cable", label: this.hostName }],
      subnets: subnetsOf(...this.addresses),
    };
  }

  get objectName(): string {
    return this.namespaceName;
  }

  /**
   * The lines of a Namespace, a VethPair and its Routes, with what one object
   * knows that three do not. Create: a namespace this run added holds only lo,
   * so the inner end and the default route are not looked up first, and lo is
   * brought up in the inner end's `ip -batch`. Destroy: the namespace is the
   * endpoint's own (create refuses one it did not make, see `hn_own`), and
   * `ip netns del` takes everything in it; the inner end is still deleted
   * first, whatever it carries, because deleting a veth is synchronous and the
   * end of a namespace is not: the host-side end would linger for a moment and
   * a create right after (a replacement) would find its name taken. Its routes
   * go with it.
   */
  hooks(ref: ObjectRef): Hooks {
    const ns = this.namespaceSpec();
    const veth = renderVeth(this.vethSpec(), ref, { aInNewNetns: true, aFirst: namespaceSteps(ns) });
    return {
      create: [
        ...namespaceCreate(ns, { markNew: true }),
        ...veth.create,
        ...this.routeSpecs().flatMap((r) => renderRoute(r, { inNewNetns: true }).create),
      ],
      destroy: namespaceDestroy(ns, [`${ip(this.namespaceName, "link", "del", "dev", this.name)} 2>/dev/null || true`]),
    };
  }

  checks(): string[] {
    return [...checkNamespace(this.namespaceSpec()), ...checkVeth(this.vethSpec(), this.ref.tag), ...this.routeSpecs().flatMap(checkRoute)];
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
    return this.gateways.map((via) => ({ destination: "default", via, namespace: this.namespace }));
  }

  interfaces(): Array<{ name: string; namespace?: NamespaceLike }> {
    return [
      { name: this.name, namespace: this.namespace },
      { name: this.hostName, namespace: this.bridge.namespace },
    ];
  }

  assignedAddresses(): Array<{ cidr: string; iface: string; namespace?: NamespaceLike }> {
    return this.addresses.map((a) => ({ cidr: addressCidr(a), iface: this.name, namespace: this.namespace }));
  }

  summary(): ObjectSummary {
    const routes = this.gateways.length ? this.gateways.map((g) => `default via ${g}`).join(", ") : "no default route";
    return {
      kind: "endpoint",
      name: this.namespaceName,
      where: `netns ${this.namespaceName} ~ ${placeName(this.bridge.namespace)}`,
      addresses: this.addresses.map(addressCidr),
      detail: `${this.name}@netns ${this.namespaceName} <-> ${this.hostName} (bridge ${this.bridge.name}), ${routes}, mtu ${this.mtu}`,
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
    errs.push(...checkAddressesInput(this.addresses, "address", "props.address"));
    // One L2 segment, one subnet per family (as for a VethPair end on a bridge).
    for (const a of this.addresses) {
      const seg = bridgeSubnetProblem(a, this.bridge, { what: "address", joins: "the endpoint joins", prop: "props.address" });
      if (seg) errs.push(seg);
    }
    const seen = new Set<number>();
    for (const g of this.gateways) {
      const p = anyIpProblem(g, "gateway");
      if (p) {
        errs.push(p);
        continue;
      }
      const f = familyOf(g)!;
      if (seen.has(f))
        errs.push(
          `gateway: ${this.gateways.join(" and ")} are both IPv${f}; a namespace has one default route per family. Keep one in props.gateway.`,
        );
      seen.add(f);
      if (this.addresses.length && !this.addresses.some((a) => addressFamily(a) === f))
        errs.push(`gateway ${g} is IPv${f} but the endpoint has no IPv${f} address to reach it from. Add one to props.address or drop the gateway.`);
    }
    return errs;
  }

  private namespaceSpec(): NamespaceSpec {
    const ipv6 = this.addresses.some((a) => addressFamily(a) === 6);
    return { name: this.namespaceName, killProcesses: this.killProcesses, ...(ipv6 ? { ipv6: true } : {}) };
  }

  private vethSpec(): VethSpec {
    return {
      a: { name: this.name, netns: this.namespaceName, addresses: this.addresses.map(addressCidr) },
      b: { name: this.hostName, netns: this.bridge.namespace?.name, master: this.bridge.name, addresses: [] },
      mtu: this.mtu,
    };
  }

  private routeSpecs(): RouteSpec[] {
    return this.gateways.map((via) => ({
      netns: this.namespaceName,
      destination: "default",
      via,
      ...(familyOf(via) === 6 ? { family: 6 as const } : {}),
    }));
  }
}
