import { Construct } from "constructs";
import { parseAnyAddress, parseAnyPrefix } from "../src/validate/address";
import { Family, familyOf, formatIp } from "../src/ipam/ip";
import { deriveName } from "../src/plan/names";
import { checkVxlan } from "../src/render/check";
import { Hooks, ObjectRef } from "../src/render/types";
import { renderVxlan, VxlanSpec } from "../src/render/vxlan";
import { checkMtu, checkPort, interfaceNameProblem, notListProblem, printable } from "../src/validate/names";
import { problemText } from "../src/validate/problem";
import { Bridge } from "./bridge";
import { NetObject, ObjectSummary } from "./net-object";
import { hostFor, OnHost } from "./same-host";
import { AddressInput, addressCidr, checkAddressInput } from "./place";
import type { ObjectKind } from "../src/plan/kinds";
import type { ObjectDiagram } from "../src/review/topology";
import { holding, refOf, subnetsOf } from "./diagram";

/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers. */
export const VXLAN_OVERHEAD = 50;
/** The same over an IPv6 underlay: the outer IPv6 header is 40 bytes. */
export const VXLAN6_OVERHEAD = 70;
/** The IANA port for VXLAN. */
export const VXLAN_PORT = 4789;

export interface VxlanProps {
  /** VXLAN network identifier, 1-16777215. Every end of one overlay uses the same. */
  readonly vni: number;
  /** Interface name, 1-15 bytes. @default the construct id, shortened with a hash when too long */
  readonly name?: string;
  /** UDP destination port; every end of one overlay uses the same. @default 4789 */
  readonly port?: number;
  /** Underlay address (IPv4 or IPv6) this end sends from and receives on. @default the host's SSH address */
  readonly local?: string;
  /** Underlay device in the root namespace the encapsulated packets leave through. @default "eth0" */
  readonly parent?: string;
  /** MTU of the parent device. @default 1500 */
  readonly parentMtu?: number;
  /** MTU of the VXLAN device; at most parentMtu − 50 (the outer headers), − 70 over an IPv6 underlay. @default parentMtu − 50 (− 70) */
  readonly mtu?: number;
  /**
   * Underlay addresses of the other ends, of local's family. Other Vxlan objects are better added with `addPeer` or
   * `Vxlan.mesh`. @default none
   */
  readonly peers?: readonly string[];
  /** Bridge in the host's root namespace to enslave the device to (an L2 overlay). @default none */
  readonly bridge?: Bridge;
  /** Address of the device itself (flannel gives flannel.1 one). @default none */
  readonly address?: AddressInput;
  /** More addresses of the device, e.g. an IPv6 one beside `address` (dual stack inside the overlay). @default none */
  readonly addresses?: readonly AddressInput[];
}

/**
 * A VXLAN device in a host's root namespace (`ip link add type vxlan ... nolearning`)
 * with unicast flooding: one all-zeros fdb entry per peer, so ARP and other
 * broadcasts reach every other end without multicast in the underlay.
 *
 * @example
 * ```ts
 * // One L2 segment across hosts a and b: a bridge on each, joined by VXLAN.
 * const overlay = new Subnet(stack, "overlay", { cidr: "10.66.0.0/24" }); // at stack scope: shared by both hosts
 * const vx = [a, b].map((h) => new Vxlan(h, "vx", { vni: 42, parent: "eth0", bridge: new Bridge(h, "br-ov") }));
 * Vxlan.mesh(vx); // each floods to the others' underlay addresses
 * // flannel.1 style, dual stack inside, over an IPv6 underlay:
 * new Vxlan(a, "vx6", { vni: 43, local: "fd00:18::a", peers: ["fd00:18::b"], addresses: ["10.67.0.1/24", "fd00:67::1/64"] });
 * ```
 */
export class Vxlan extends NetObject {
  /** Make every Vxlan a peer of every other one (a full mesh of one overlay). */
  static mesh(vxlans: readonly Vxlan[]): void {
    for (const v of vxlans) for (const w of vxlans) if (v !== w) v.addPeer(w);
  }

  readonly name: string;
  readonly vni: number;
  readonly port: number;
  readonly local: string;
  readonly parent: string;
  readonly parentMtu: number;
  readonly mtu: number;
  readonly bridge?: Bridge;
  readonly address?: AddressInput;
  /** Every address of the device: `address`, then `addresses`. */
  readonly addresses: readonly AddressInput[];
  private readonly peerList: Array<Vxlan | string>;
  /** Problems with list props that are no lists. */
  private readonly notLists: string[];

  constructor(scope: Construct, id: string, props: VxlanProps) {
    const host = hostFor(scope, id, "Vxlan");
    super(scope, id, host);
    this.name = props.name ?? deriveName(id, this.node.path, 15);
    this.vni = props.vni;
    this.port = props.port ?? VXLAN_PORT;
    this.local = props.local ?? host.target.address;
    this.parent = props.parent ?? "eth0";
    this.parentMtu = props.parentMtu ?? 1500;
    this.mtu = props.mtu ?? this.parentMtu - this.overhead;
    this.bridge = props.bridge;
    this.address = props.address;
    // A value that is no list (from JavaScript or parsed config) is held back for validateObject to name.
    const more = Array.isArray(props.addresses) ? props.addresses : [];
    this.addresses = [...(props.address !== undefined ? [props.address] : []), ...more];
    this.peerList = Array.isArray(props.peers) ? [...props.peers] : [];
    this.notLists = [
      notListProblem(props.addresses, "addresses", "Give props.addresses a list of addresses, or use props.address for one."),
      notListProblem(props.peers, "peers", "Give props.peers a list of Vxlan objects or underlay addresses."),
    ].filter((p): p is string => p !== null);
  }

  /** Flood to another end: a Vxlan on another host (its `local`) or an underlay address. */
  addPeer(peer: Vxlan | string): void {
    this.peerList.push(peer);
  }

  /** Underlay addresses of the other ends, in the order they were given. */
  get peers(): string[] {
    return this.peerList.map((p) => (p instanceof Vxlan ? p.local : p));
  }

  /** The underlay family: that of `local` (IPv4 when it is no address; validation says so). */
  get underlayFamily(): Family {
    return familyOf(this.local) === 6 ? 6 : 4;
  }

  /** Bytes of outer headers: 50 over IPv4, 70 over IPv6. */
  get overhead(): number {
    return this.underlayFamily === 6 ? VXLAN6_OVERHEAD : VXLAN_OVERHEAD;
  }

  get kind(): ObjectKind {
    return "vxlan";
  }

  requiredModules(): string[] {
    return ["vxlan"];
  }

  // A port of its bridge; a tunnel to each peer that is a Vxlan of this stack, drawn once per pair (from the smaller path).
  diagram(): ObjectDiagram {
    const ref = refOf(this);
    const label = [`vxlan ${this.name}`, `vni ${this.vni}`, ...this.addresses.map(addressCidr)];
    const peers = this.peerList.filter((p): p is Vxlan => p instanceof Vxlan && p.ref.stack === this.ref.stack && this.node.path < p.node.path);
    return {
      nodes: [{ ref, label, shape: "tunnel", ...holding(this.addresses[0]), ips: this.addresses.map((a) => addressCidr(a).split("/")[0]) }],
      edges: [
        ...(this.bridge ? [{ from: refOf(this.bridge), to: ref, style: "member" as const }] : []),
        ...peers.map((p) => ({ from: ref, to: refOf(p), style: "tunnel" as const, label: `vni ${this.vni}` })),
      ],
      subnets: subnetsOf(...this.addresses),
    };
  }

  get objectName(): string {
    return this.name;
  }

  spec(): VxlanSpec {
    return {
      name: this.name,
      vni: this.vni,
      port: this.port,
      local: canonical(this.local),
      parent: this.parent,
      mtu: this.mtu,
      peers: this.peers.map(canonical),
      master: this.bridge?.name,
      addresses: this.addresses.map((a) => canonicalCidr(addressCidr(a))),
    };
  }

  hooks(ref: ObjectRef): Hooks {
    return renderVxlan(this.spec(), ref);
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    return [["props.bridge", this.bridge]];
  }

  checks(): string[] {
    return checkVxlan(this.spec(), this.ref.tag);
  }

  dependencies(): NetObject[] {
    return this.bridge ? [this.bridge] : [];
  }

  interfaces(): Array<{ name: string }> {
    return [{ name: this.name }];
  }

  assignedAddresses(): Array<{ cidr: string; iface: string }> {
    return this.addresses.map((a) => ({ cidr: addressCidr(a), iface: this.name }));
  }

  requiredCommands(): string[] {
    return ["ip", "bridge"];
  }

  summary(): ObjectSummary {
    const peers = this.peers;
    return {
      kind: "vxlan",
      name: this.name,
      where: "root",
      addresses: this.addresses.map(addressCidr),
      detail:
        `vni ${this.vni}, ` +
        `udp/${this.port}, ` +
        `local ${this.local} ` +
        `dev ${this.parent}, mtu ${this.mtu}, peers ${peers.length ? peers.join(" ") : "none"}${this.bridge ? `, bridge ${this.bridge.name}` : ""}`,
    };
  }

  protected validateObject(): string[] {
    const errs: string[] = [...this.notLists];
    const n = interfaceNameProblem(this.name);
    if (n) errs.push(problemText(n, "Set props.name or shorten the construct id."));
    if (!Number.isInteger(this.vni) || this.vni < 1 || this.vni > 16777215) {
      errs.push(
        `VNI ${printable(String(this.vni))} is out of range; a VXLAN network identifier is 24 bits. Set props.vni to a whole number from 1 to 16777215.`,
      );
    }
    const p = checkPort(this.port, "UDP port");
    if (p) errs.push(`${p} Fix props.port.`);
    const localOk = isIp(this.local);
    if (!localOk)
      errs.push(`local address "${printable(this.local)}" is not an IPv4 or IPv6 address. Set props.local to this host's underlay address.`);
    const d = interfaceNameProblem(this.parent);
    if (d) errs.push(`parent: ${problemText(d, "Fix props.parent.")}`);
    const pm = checkMtu(this.parentMtu);
    if (pm) errs.push(`parent ${pm} Fix props.parentMtu.`);
    const m = checkMtu(this.mtu);
    if (m) errs.push(`${m} Fix props.mtu.`);
    else if (!pm && this.mtu > this.parentMtu - this.overhead) {
      errs.push(
        `MTU ${this.mtu} does not fit the parent: VXLAN ` +
          `adds ${this.overhead} bytes of headers${this.underlayFamily === 6 ? " over IPv6" : ""} ` +
          `and ${this.parent} has MTU ${this.parentMtu}. Set props.mtu to at most ${this.parentMtu - this.overhead} (or leave it unset).`,
      );
    }
    const seen = new Set<string>();
    for (const peer of this.peerList) {
      const addr = peer instanceof Vxlan ? peer.local : peer;
      const what = peer instanceof Vxlan ? `peer ${peer.node.path} (${printable(addr)})` : `peer "${printable(String(addr))}"`;
      if (peer instanceof Vxlan) {
        if (peer === this) errs.push(`${what} is this device itself. Remove it from the peers.`);
        else if (peer.host === this.host) errs.push(`${what} is on this host; VXLAN peers are other hosts. Remove it from the peers.`);
        if (peer.vni !== this.vni) errs.push(`${what} has VNI ${peer.vni}, this device ${this.vni}; the ends of one overlay must use the same VNI.`);
        if (peer.port !== this.port)
          errs.push(`${what} uses UDP port ${peer.port}, this device ${this.port}; the ends of one overlay must use the same port.`);
      } else if (!isIp(addr)) {
        errs.push(`${what} is not an IPv4 or IPv6 address. Give the underlay address of the other host.`);
        continue;
      }
      if (localOk && isIp(addr) && familyOf(addr) !== this.underlayFamily) {
        errs.push(
          `${what} is IPv${familyOf(addr)} but local address ${printable(this.local)} is IPv${this.underlayFamily}; ` +
            `the ends of one overlay share an underlay family. Give the peer's IPv${this.underlayFamily} underlay address.`,
        );
        continue;
      }
      const key = canonical(addr);
      if (localOk && key === canonical(this.local) && peer !== this)
        errs.push(`${what} is this device's own local address. Remove it from the peers.`);
      if (seen.has(key)) errs.push(`${what} is listed twice. Remove one.`);
      seen.add(key);
    }
    if (this.bridge) {
      const b = this.bridge;
      if (b.namespace)
        errs.push(
          `bridge ${b.name} is in netns ${b.namespace.name}, but the VXLAN device lives in the root namespace with its parent. Use a bridge in the root namespace.`,
        );
      if (!m && b.mtu > this.mtu) {
        errs.push(
          `bridge ${b.name} has ` +
            `MTU ${b.mtu}, larger than the VXLAN ` +
            `MTU ${this.mtu}: frames in between would be dropped at the VXLAN port. Set the bridge's mtu (and the veths on it) to at ` +
            `most ${this.mtu}.`,
        );
      }
    }
    this.addresses.forEach((a, i) => {
      const what = this.address !== undefined && i === 0 ? "address" : `addresses[${this.address !== undefined ? i - 1 : i}]`;
      const text = addressCidr(a);
      if (typeof a !== "string" || !text.includes(":")) {
        errs.push(...checkAddressInput(a, what));
        return;
      }
      const r = parseAnyPrefix(text, false);
      if (r.problem !== undefined) errs.push(`${what}: ${r.problem}`);
    });
    const byFamily = new Map<Family, string>();
    for (const a of this.addresses) {
      const text = addressCidr(a);
      const f = familyOf(text);
      if (f === undefined) continue;
      const first = byFamily.get(f);
      if (first !== undefined) errs.push(`has two IPv${f} addresses, ${first} and ${text}; give the device one address per family. Remove one.`);
      else byFamily.set(f, text);
    }
    return errs;
  }
}

function isIp(s: string): boolean {
  return parseAnyAddress(s).problem === undefined;
}

/** RFC 5952 form of a valid address (so "FD00::0001" and "fd00::1" are one peer); the text as given otherwise. */
function canonical(text: string): string {
  const a = parseAnyAddress(text).value;
  return a ? formatIp(a.family, a.value) : text;
}

function canonicalCidr(text: string): string {
  const c = parseAnyPrefix(text, false).value;
  return c ? `${formatIp(c.family, c.address)}/${c.prefix}` : text;
}
