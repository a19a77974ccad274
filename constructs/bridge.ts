import { Construct } from "constructs";
import { formatAnyCidr, parseAnyCidr } from "../src/ipam/ip";
import { deriveName } from "../src/plan/names";
import { renderBridge } from "../src/render/bridge";
import { checkBridge } from "../src/render/check";
import { Flow } from "../src/render/firewall";
import { BridgeSpec, Hooks, ObjectRef } from "../src/render/types";
import { checkMtu, interfaceNameProblem } from "../src/validate/names";
import { problemText } from "../src/validate/problem";
import { Namespace } from "./namespace";
import { NetObject, ObjectSummary } from "./net-object";
import { hostFor, OnHost } from "./same-host";
import { AddressesInput, AddressInput, addressCidr, addressList, checkAddressesInput, placeName } from "./place";
import type { ObjectKind } from "../src/plan/kinds";
import { brand, hasBrand } from "./guard";
import type { ObjectDiagram } from "../src/review/topology";
import { holding, inGroup, refOf, subnetsOf } from "./diagram";

export interface BridgeProps {
  /** Interface name, 1-15 bytes. @default the construct id, shortened with a hash when too long */
  readonly name?: string;
  /** @default 1500 */
  readonly mtu?: number;
  /**
   * Address of the bridge itself, usually the subnet's gateway (`subnet.gateway`); one per family
   * for dual stack (`[lan.gateway, lan6.gateway]` or `["10.88.0.1/24", "fd00:88::1/64"]`).
   * @default none
   */
  readonly address?: AddressesInput;
  /** Namespace the bridge lives in. @default the namespace whose scope it is created in, else the host's root namespace */
  readonly namespace?: Namespace;
}

const BRIDGE = Symbol.for("hostnet.Bridge");

/**
 * A Linux bridge (`ip link add type bridge`) on a host or in a namespace.
 *
 * @example
 * ```ts
 * const lan = new Subnet(host, "lan", { cidr: "10.88.0.0/24" });
 * const br = new Bridge(host, "br-lan", { address: lan.gateway, mtu: 1500 });
 * ```
 */
export class Bridge extends NetObject {
  /** True for a Bridge (by symbol, not instanceof). */
  static isBridge(x: unknown): x is Bridge {
    return hasBrand(x, BRIDGE);
  }

  readonly name: string;
  readonly mtu: number;
  readonly namespace?: Namespace;
  /** The first of its addresses. */
  readonly address?: AddressInput;
  /** Its addresses, at most one per family. */
  readonly addresses: readonly AddressInput[];

  constructor(scope: Construct, id: string, props: BridgeProps = {}) {
    const ns = props.namespace ?? Namespace.tryOf(scope);
    super(scope, id, hostFor(scope, id, "Bridge", [ns]));
    brand(this, BRIDGE);
    this.namespace = ns;
    this.name = props.name ?? deriveName(id, this.node.path, 15);
    this.mtu = props.mtu ?? 1500;
    this.addresses = addressList(props.address);
    this.address = this.addresses[0];
  }

  get kind(): ObjectKind {
    return "bridge";
  }

  requiredModules(): string[] {
    return ["bridge"];
  }

  diagram(): ObjectDiagram {
    const label = [`bridge ${this.name}`, ...this.addresses.map(addressCidr)];
    return {
      nodes: [{ ref: refOf(this), label, shape: "bridge", ...inGroup(this.namespace), ...holding(this.address) }],
      subnets: subnetsOf(...this.addresses),
    };
  }

  get objectName(): string {
    return this.name;
  }

  hooks(ref: ObjectRef): Hooks {
    return renderBridge(this.spec(), ref);
  }

  checks(): string[] {
    return checkBridge(this.spec(), this.ref.tag);
  }

  /** A bridge with an address in the root namespace is the gateway of its subnet: what leaves the subnet is forwarded. */
  forwardedFlows(): Flow[] {
    if (this.namespace) return [];
    return this.addresses.flatMap((a): Flow[] => {
      const cidr = formatAnyCidr(parseAnyCidr(addressCidr(a), false));
      return [
        { dir: "from", cidr, own: false },
        { dir: "to", cidr, own: false },
      ];
    });
  }

  private spec(): BridgeSpec {
    // A parent of macvlan/ipvlan children keeps the kernel's MAC: with one of its own a bridge has
    // no carrier while no port is enslaved, and its children would stay down.
    const parent = this.host.netObjects.some((o) => (o as { parentBridge?: unknown }).parentBridge === this);
    return {
      name: this.name,
      netns: this.namespace?.name,
      mtu: this.mtu,
      addresses: this.addresses.map(addressCidr),
      ...(parent ? { randomMac: true } : {}),
    };
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    return [["props.namespace", this.namespace]];
  }

  dependencies(): NetObject[] {
    return this.namespace ? [this.namespace] : [];
  }

  interfaces(): Array<{ name: string; namespace?: Namespace }> {
    return [{ name: this.name, namespace: this.namespace }];
  }

  assignedAddresses(): Array<{ cidr: string; iface: string; namespace?: Namespace }> {
    return this.addresses.map((a) => ({ cidr: addressCidr(a), iface: this.name, namespace: this.namespace }));
  }

  summary(): ObjectSummary {
    return {
      kind: "bridge",
      name: this.name,
      where: placeName(this.namespace),
      addresses: this.addresses.map(addressCidr),
      detail: `mtu ${this.mtu}`,
    };
  }

  protected validateObject(): string[] {
    const errs: string[] = [];
    const n = interfaceNameProblem(this.name);
    if (n) errs.push(problemText(n, "Set props.name or shorten the construct id."));
    const m = checkMtu(this.mtu);
    if (m) errs.push(`${m} Fix props.mtu.`);
    errs.push(...checkAddressesInput(this.addresses, "address", "props.address"));
    return errs;
  }
}
