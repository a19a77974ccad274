import { HostnetError } from "../errors";
import { DEFAULT_LAB } from "../transport/inventory";
import { canonicalIp } from "../ipam/ip";

/** Lab name used when none is given (defined beside the default inventory path). */
export { DEFAULT_LAB };
/** Number of hosts a lab gets when none is given. */
export const DEFAULT_HOSTS = 2;
/** Hosts are named a..z. */
export const MAX_HOSTS = 26;
/** First host gets 198.18.N.10, the next .11, and so on. */
export const FIRST_HOST_OCTET = 10;
/** Interface name of the test host's end of its veth. */
export const HOST_IFACE = "eth0";

// Lab names end up in interface names: "hl-<lab>-<host>" must fit IFNAMSIZ
// (16 bytes including the NUL), so a lab name is at most 8 characters.
const LAB_NAME = /^[a-z][a-z0-9]{0,7}$/;

/** Names and addresses of one test host, derived from the lab name and its position. */
export interface HostLayout {
  /** Host name: "a", "b", ... */
  readonly name: string;
  /** Network namespace in the root namespace: `hnlab-<lab>-<host>`. */
  readonly netns: string;
  /** Root-side end of the host's veth: `hl-<lab>-<host>`. */
  readonly rootVeth: string;
  /** IPv4 address of the host's eth0: 198.18.N.(10+i). */
  readonly address: string;
  /** IPv6 address of the host's eth0 beside it: fd00:198:18:N::(10+i), the numbers written as in the IPv4 address. */
  readonly address6: string;
  /** UTS hostname inside the host: `<lab>-<host>`. */
  readonly hostname: string;
}

/** Everything about a lab that follows from its name, host count and index. */
export interface LabLayout {
  readonly lab: string;
  /** Third octet N of 198.18.N.0/24. */
  readonly index: number;
  /** Bridge in the root namespace: `hlbr-<lab>`. */
  readonly bridge: string;
  /** Bridge address: 198.18.N.1. */
  readonly gateway: string;
  /** Prefix length of the lab subnet. */
  readonly prefixLength: number;
  /** 198.18.N.0/24. */
  readonly subnet: string;
  /** IPv6 bridge address: fd00:198:18:N::1 (a unique local address, RFC 4193). */
  readonly gateway6: string;
  /** fd00:198:18:N::/64 (prefix length 64). */
  readonly subnet6: string;
  readonly hosts: readonly HostLayout[];
}

/** Returns the problem with a lab name, or undefined when it is valid. */
export function labNameProblem(name: string): string | undefined {
  if (LAB_NAME.test(name)) return undefined;
  return `lab name "${name}" is invalid: use 1-8 characters, a lowercase letter first, then lowercase letters or digits (e.g. "lab", "t1").`;
}

/** Throws a HostnetError when the lab name is invalid. */
export function assertLabName(name: string): void {
  const problem = labNameProblem(name);
  if (problem) throw new HostnetError(problem);
}

/** Host names for a lab of `count` hosts: a, b, c, ... */
export function hostNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) {
    throw new HostnetError(`host count ${count} is invalid: a lab has 1 to ${MAX_HOSTS} hosts (--hosts N).`);
  }
  return Array.from({ length: count }, (_, i) => String.fromCharCode(97 + i));
}

/**
 * Stable index in 1..250 for a lab name (FNV-1a, 32 bit). Index 0 is kept
 * for the default lab so that its addresses are easy to remember.
 */
export function hashIndex(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % 250) + 1;
}

/** Third octet of the lab subnet: the explicit index, 0 for "lab", else the name's hash. */
export function subnetIndex(name: string, index?: number): number {
  if (index !== undefined) {
    if (!Number.isInteger(index) || index < 0 || index > 255) {
      throw new HostnetError(`subnet index ${index} is invalid: use 0 to 255 (--index N gives 198.18.N.0/24).`);
    }
    return index;
  }
  return name === DEFAULT_LAB ? 0 : hashIndex(name);
}

/** Root namespace name of a host's network namespace. */
export function netnsName(lab: string, host: string): string {
  return `hnlab-${lab}-${host}`;
}

/** Root-side veth name of a host. */
export function rootVethName(lab: string, host: string): string {
  return `hl-${lab}-${host}`;
}

/** Bridge name of a lab. */
export function bridgeName(lab: string): string {
  return `hlbr-${lab}`;
}

/** Host name encoded in a netns name of this lab, or undefined when the name is not one of the lab's. */
export function hostFromNetns(lab: string, netns: string): string | undefined {
  const m = new RegExp(`^hnlab-${lab}-([a-z])$`).exec(netns);
  return m ? m[1] : undefined;
}

/** Host name encoded in a root veth name of this lab, or undefined. */
export function hostFromRootVeth(lab: string, link: string): string | undefined {
  const m = new RegExp(`^hl-${lab}-([a-z])$`).exec(link);
  return m ? m[1] : undefined;
}

/**
 * An address in a lab's IPv6 subnet fd00:198:18:N::/64, in canonical form:
 * N's and the host part's decimal digits read as hex (index 221, host 10 give
 * fd00:198:18:221::10), so the IPv6 addresses read like the IPv4 ones beside
 * them (index 0 compresses: fd00:198:18::10). Unique local (fd00::/8): never
 * routed beyond this machine.
 */
export function labAddress6(index: number, host: number | ""): string {
  return canonicalIp(`fd00:198:18:${index}::${host}`);
}

/** Layout of one host of a lab. */
export function hostLayout(lab: string, index: number, host: string): HostLayout {
  const i = host.charCodeAt(0) - 97;
  return {
    name: host,
    netns: netnsName(lab, host),
    rootVeth: rootVethName(lab, host),
    address: `198.18.${index}.${FIRST_HOST_OCTET + i}`,
    address6: labAddress6(index, FIRST_HOST_OCTET + i),
    hostname: `${lab}-${host}`,
  };
}

/** Derives every name and address of a lab; throws a HostnetError on invalid input. */
export function labLayout(opts: { name?: string; hosts?: number; index?: number }): LabLayout {
  const lab = opts.name ?? DEFAULT_LAB;
  assertLabName(lab);
  const names = hostNames(opts.hosts ?? DEFAULT_HOSTS);
  const index = subnetIndex(lab, opts.index);
  return {
    lab,
    index,
    bridge: bridgeName(lab),
    gateway: `198.18.${index}.1`,
    prefixLength: 24,
    subnet: `198.18.${index}.0/24`,
    gateway6: labAddress6(index, 1),
    subnet6: `${labAddress6(index, "")}/64`,
    hosts: names.map((h) => hostLayout(lab, index, h)),
  };
}

/** True when an IPv4 address lies in 198.18.N.0/24. */
export function inLabSubnet(address: string, index: number): boolean {
  return address.startsWith(`198.18.${index}.`);
}
