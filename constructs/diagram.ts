/**
 * Small helpers for the constructs' own `diagram()` (NetObject): the plain
 * data of src/review/topology.ts, built from construct references.
 */
import type { IConstruct } from "constructs";
import type { DiagramRef, DiagramSubnet } from "../src/review/topology";
import { AddressInput } from "./place";
import { Address } from "./subnet";

/** The diagram ref of a construct, or of one of its parts. */
export function refOf(c: IConstruct, part?: string): DiagramRef {
  return part === undefined ? { path: c.node.path } : { path: c.node.path, part };
}

/** `{ group }` for a node inside this namespace; `{}` in the root namespace. */
export function inGroup(ns: IConstruct | undefined): { group?: DiagramRef } {
  return ns ? { group: refOf(ns) } : {};
}

/** `{ ip }` of an address a node holds; `{}` without one. */
export function holding(a: AddressInput | undefined): { ip?: string } {
  return a === undefined ? {} : { ip: a instanceof Address ? a.ip : a.split("/")[0] };
}

/** The subnets these addresses were allocated from. */
export function subnetsOf(...inputs: ReadonlyArray<AddressInput | undefined>): DiagramSubnet[] {
  return inputs.flatMap((a) => (a instanceof Address && a.subnet ? [{ path: a.subnet.node.path, name: a.subnet.node.id, cidr: a.subnet.cidr }] : []));
}
