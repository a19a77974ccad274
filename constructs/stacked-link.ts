import { Construct } from "constructs";
import { deriveName } from "../src/plan/names";
import { checkMtu, interfaceNameProblem, printable, shownValue } from "../src/validate/names";
import { problemText } from "../src/validate/problem";
import { Bridge } from "./bridge";
import { Namespace } from "./namespace";
import { NetObject, ObjectSummary } from "./net-object";
import { hostFor, OnHost } from "./same-host";
import { AddressesInput, AddressInput, addressCidr, addressList, checkAddressesInput, placeName } from "./place";
import { renderStackedLink, StackedLinkSpec } from "../src/render/stacked-link";
import { checkStackedLink } from "../src/render/check";
import { Hooks, ObjectRef } from "../src/render/types";
import type { ObjectKind } from "../src/plan/kinds";
import type { ObjectDiagram } from "../src/review/topology";
import { holding, inGroup, refOf, subnetsOf } from "./diagram";

/** Props shared by links stacked on a parent device (Macvlan, Ipvlan). */
export interface StackedLinkProps {
  /** Parent device: a Bridge on the same host, or the name of an interface in the host's root namespace (e.g. "eth0"). */
  readonly parent: Bridge | string;
  /** Namespace the link lives in. @default the namespace whose scope it is created in, else the parent's namespace */
  readonly namespace?: Namespace;
  /** Interface name, 1-15 bytes. @default "eth0" inside a namespace, else a prefix plus the construct id */
  readonly name?: string;
  /**
   * Address of the link: `subnet.allocate(...)`, `subnet.address("...")`, "a.b.c.d/len" or "fd00::2/64";
   * or one per family for a dual-stack link (`[lan.allocate(ns), lan6.allocate(ns)]`). @default none
   */
  readonly address?: AddressesInput;
  /** MTU of the parent when it is given by name (a Bridge parent has its own). @default 1500 */
  readonly parentMtu?: number;
  /** MTU of the link; at most the parent's. @default the parent's MTU */
  readonly mtu?: number;
}

/** What sets one kind of stacked link apart: its link type, modes and naming. */
export interface StackedLinkType<M extends string> {
  readonly type: StackedLinkSpec["type"];
  /** Class name, for error messages. */
  readonly label: string;
  /** Prefix of derived interface names. */
  readonly prefix: string;
  readonly modes: readonly M[];
  readonly defaultMode: M;
}

/**
 * Base of macvlan and ipvlan children: created on the parent's host from the
 * parent's namespace, placed into their own namespace, addressed. Deleting the
 * parent deletes them.
 */
export abstract class StackedLink<M extends string = string> extends NetObject {
  readonly mode: M;
  readonly name: string;
  readonly namespace?: Namespace;
  /** Name of the parent device. */
  readonly parentName: string;
  /** The parent, when it is a Bridge. */
  readonly parentBridge?: Bridge;
  /** props.parent as given, for its check. */
  private readonly parentGiven: unknown;
  readonly parentMtu: number;
  readonly mtu: number;
  /** The first of its addresses. */
  readonly address?: AddressInput;
  /** Its addresses, at most one per family. */
  readonly addresses: readonly AddressInput[];

  protected constructor(
    scope: Construct,
    id: string,
    props: StackedLinkProps & { readonly mode?: M },
    private readonly linkType: StackedLinkType<M>,
  ) {
    const { label: type, prefix } = linkType;
    const ns = props.namespace ?? Namespace.tryOf(scope);
    const parentBridge = Bridge.isBridge(props.parent) ? props.parent : undefined;
    super(scope, id, hostFor(scope, id, type, [parentBridge, ns]));
    this.parentBridge = parentBridge;
    this.parentName = parentBridge ? parentBridge.name : String(props.parent);
    this.parentGiven = props.parent;
    // No namespace given: the link stays beside its parent.
    this.namespace = ns ?? parentBridge?.namespace;
    this.parentMtu = parentBridge ? parentBridge.mtu : (props.parentMtu ?? 1500);
    this.mtu = props.mtu ?? this.parentMtu;
    this.addresses = addressList(props.address);
    this.address = this.addresses[0];
    this.mode = props.mode ?? linkType.defaultMode;
    this.name = props.name ?? (this.namespace && this.namespace !== parentBridge?.namespace ? "eth0" : deriveName(id, this.node.path, 15, prefix));
  }

  /** Namespace of the parent device (undefined: the root namespace). */
  get parentNamespace(): Namespace | undefined {
    return this.parentBridge?.namespace;
  }

  get objectName(): string {
    return this.name;
  }

  get kind(): ObjectKind {
    return this.linkType.type;
  }

  // The macvlan or ipvlan driver.
  requiredModules(): string[] {
    return [this.linkType.type];
  }

  // On a bridge: an edge from the bridge. On a host interface: a node for that interface (one per host, shared by its children).
  diagram(): ObjectDiagram {
    const ref = refOf(this);
    const parent = this.parentBridge ? refOf(this.parentBridge) : refOf(this.host, `if ${this.parentName}`);
    const label = [`${this.kind} ${this.name}`, ...this.addresses.map(addressCidr)];
    return {
      nodes: [
        ...(this.parentBridge ? [] : [{ ref: parent, label: [this.parentName], shape: "interface" as const }]),
        { ref, label, shape: "interface", ...inGroup(this.namespace), ...holding(this.address) },
      ],
      edges: [{ from: parent, to: ref, style: "stacked", label: this.mode }],
      subnets: subnetsOf(...this.addresses),
    };
  }

  spec(): StackedLinkSpec {
    return {
      type: this.linkType.type,
      mode: this.mode,
      name: this.name,
      netns: this.namespace?.name,
      parent: this.parentName,
      parentNetns: this.parentNamespace?.name,
      mtu: this.mtu,
      addresses: this.addresses.map(addressCidr),
    };
  }

  hooks(ref: ObjectRef): Hooks {
    return renderStackedLink(this.spec(), ref);
  }

  checks(): string[] {
    return checkStackedLink(this.spec(), this.ref.tag);
  }

  dependencies(): NetObject[] {
    return [this.namespace, this.parentBridge].filter((o): o is Namespace | Bridge => o !== undefined);
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    return [
      ["props.parent", this.parentBridge],
      ["props.namespace", this.namespace],
    ];
  }

  interfaces(): Array<{ name: string; namespace?: Namespace }> {
    return [{ name: this.name, namespace: this.namespace }];
  }

  assignedAddresses(): Array<{ cidr: string; iface: string; namespace?: Namespace }> {
    return this.addresses.map((a) => ({ cidr: addressCidr(a), iface: this.name, namespace: this.namespace }));
  }

  summary(): ObjectSummary {
    return {
      kind: this.kind,
      name: this.name,
      where: placeName(this.namespace),
      addresses: this.addresses.map(addressCidr),
      detail: `on ${this.parentName}@${placeName(this.parentNamespace)}, mode ${this.mode}, mtu ${this.mtu}`,
    };
  }

  protected validateObject(): string[] {
    const errs: string[] = [];
    const n = interfaceNameProblem(this.name);
    if (n) errs.push(problemText(n, "Set props.name or shorten the construct id."));
    if (!this.parentBridge && typeof this.parentGiven !== "string") {
      errs.push(
        `parent: ${shownValue(this.parentGiven)} is neither a Bridge nor an interface name. Give props.parent a Bridge or a name such as "eth0".`,
      );
    } else if (!this.parentBridge) {
      const p = interfaceNameProblem(this.parentName);
      if (p) errs.push(`parent: ${problemText(p, "Fix props.parent.")}`);
    }
    const pm = checkMtu(this.parentMtu);
    if (pm) errs.push(`parent ${pm} Fix props.parentMtu.`);
    const m = checkMtu(this.mtu);
    if (m) errs.push(`${m} Fix props.mtu.`);
    else if (!pm && this.mtu > this.parentMtu) {
      errs.push(
        `MTU ${this.mtu} is larger than the MTU ${this.parentMtu} of parent ${printable(this.parentName)}; the child cannot exceed its parent. Set props.mtu to at most ${this.parentMtu}.`,
      );
    }
    errs.push(...checkAddressesInput(this.addresses, "address", "props.address"));
    const { type, modes } = this.linkType;
    if (!modes.includes(this.mode)) {
      errs.push(
        `mode "${printable(String(this.mode))}" is not ${/^[aeiou]/.test(type) ? "an" : "a"} ${type} mode. Use ${modes.length === 2 ? modes.join(" or ") : modes.join(", ")}.`,
      );
    }
    return errs;
  }
}
