/**
 * What the renderers take: plain, already-validated data. Constructs build these;
 * renderers turn them into shell. `netns` undefined means the host's root namespace.
 */

/** Identity of the object a hook manages: used for tags, comments and the on-host ledger. */
export interface ObjectRef {
  /** Stack name (validated, [A-Za-z0-9_-]). */
  readonly stack: string;
  /** Construct path, for comments and messages. */
  readonly path: string;
  /** Short stable id of the object within the stack (ledger file name). */
  readonly id: string;
  /** Tag stored on links and rules: "hostnet:<stack>:<path>", shell-safe. */
  readonly tag: string;
}

export interface NamespaceSpec {
  readonly name: string;
  /** SIGTERM then SIGKILL processes still inside the namespace at destroy. */
  readonly killProcesses: boolean;
  /** Something in it has an IPv6 address: turn IPv6 on for its loopback (::1). @default false */
  readonly ipv6?: boolean;
}

export interface BridgeSpec {
  readonly name: string;
  readonly netns?: string;
  readonly mtu: number;
  /** Addresses in CIDR form ("10.0.0.1/24"). */
  readonly addresses: readonly string[];
  /**
   * Leave the kernel's random MAC: a bridge given a MAC has no carrier while it has no ports, so
   * macvlan or ipvlan children of a port-less bridge would be down. @default false
   */
  readonly randomMac?: boolean;
}

export interface VethEndSpec {
  readonly name: string;
  readonly netns?: string;
  /** Bridge (in the same namespace) to enslave this end to. */
  readonly master?: string;
  /** Let the bridge send frames back out of this port (bridge_slave hairpin on). */
  readonly hairpin?: boolean;
  readonly addresses: readonly string[];
}

export interface VethSpec {
  readonly a: VethEndSpec;
  readonly b: VethEndSpec;
  readonly mtu: number;
}

export interface RouteSpec {
  readonly netns?: string;
  /** "default" or a CIDR. */
  readonly destination: string;
  /** 6 for an IPv6 route (`ip -6`: a default route and a listing need it); absent for IPv4. */
  readonly family?: 6;
  readonly via?: string;
  readonly dev?: string;
  readonly metric?: number;
}

export type Protocol = "tcp" | "udp";

export interface MasqueradeSpec {
  readonly type: "masquerade";
  /** Source subnet (CIDR). */
  readonly source: string;
  /** Leave traffic that goes back out of this interface (the subnet's own bridge) alone. */
  readonly notOutInterface?: string;
  /** Allow forwarding of this subnet's traffic in the FORWARD chain (needed where its policy is DROP). */
  readonly allowForward: boolean;
  /** Namespace whose netfilter tables get the rules; default the root namespace. */
  readonly netns?: string;
  /** 6: IPv6 addresses, the rules go through ip6tables (NAT66); absent: IPv4, iptables. */
  readonly family?: 6;
}

export interface SnatSpec {
  readonly type: "snat";
  readonly source: string;
  readonly toSource: string;
  readonly outInterface?: string;
  readonly allowForward: boolean;
  /** Namespace whose netfilter tables get the rules; default the root namespace. */
  readonly netns?: string;
  /** 6: IPv6 addresses, the rules go through ip6tables (NAT66); absent: IPv4, iptables. */
  readonly family?: 6;
}

export interface DnatSpec {
  readonly type: "dnat";
  readonly protocol: Protocol;
  readonly hostPort: number;
  /** Match only this destination address; default: any address local to the host. */
  readonly hostAddress?: string;
  readonly toAddress: string;
  readonly toPort: number;
  /** Also DNAT connections the host itself opens (OUTPUT chain). */
  readonly fromHost: boolean;
  readonly allowForward: boolean;
  /** Namespace whose netfilter tables get the rules; default the root namespace. */
  readonly netns?: string;
  /** 6: IPv6 addresses, the rules go through ip6tables (NAT66); absent: IPv4, iptables. */
  readonly family?: 6;
  /**
   * Subnet (CIDR) of the target's own L2 segment: connections from it to the
   * published port are masqueraded too, so the target answers through the
   * host instead of straight back over the bridge (hairpin NAT).
   */
  readonly hairpinSource?: string;
}

/** 1:1 NAT between an inside and an outside address (a "floating IP"). */
export interface StaticNatSpec {
  readonly type: "static";
  /** Inside (private) address. */
  readonly inside: string;
  /** Outside (public) address the inside address is known by. */
  readonly outside: string;
  /**
   * The subnet the inside address was allocated from: traffic to it stays untranslated (neighbours on the inside
   * address's own bridge see its real address, as with a masquerade's `! -o bridge`; with br_netfilter on, bridged
   * traffic passes POSTROUTING too). Absent: every connection the inside address opens is translated.
   */
  readonly insideSubnet?: string;
  readonly allowForward: boolean;
  /** Namespace whose netfilter tables get the rules; default the root namespace. */
  readonly netns?: string;
  /** 6: IPv6 addresses, the rules go through ip6tables (NAT66); absent: IPv4, iptables. */
  readonly family?: 6;
}

export type NatSpec = MasqueradeSpec | SnatSpec | DnatSpec | StaticNatSpec;

export interface SysctlSpec {
  readonly netns?: string;
  /** Dotted key, e.g. net.ipv4.ip_forward. */
  readonly key: string;
  readonly value: string;
}

/** A hook pair: shell lines to create and to destroy one object. */
export interface Hooks {
  readonly create: string[];
  readonly destroy: string[];
}

/** Which packets an htb class takes (u32 matches, all of them must hold). */
export interface HtbMatchSpec {
  /** Source address or network in CIDR form. */
  readonly src?: string;
  /** Destination address or network in CIDR form. */
  readonly dst?: string;
  /** TCP/UDP destination port. */
  readonly dport?: number;
}

export interface HtbClassSpec {
  /** Minor id, written in decimal digits; tc reads class ids as hex, so 10 is class <major>:10 as tc shows it. */
  readonly id: number;
  /** tc rate ("20mbit"). */
  readonly rate: string;
  readonly ceil: string;
  /** tc size ("15k"). */
  readonly burst?: string;
  /** Bytes a class may send per round when borrowing; set so tc does not warn. */
  readonly quantum: number;
  readonly match?: HtbMatchSpec;
}

export interface HtbSpec {
  readonly netns?: string;
  /** Interface whose egress is shaped. */
  readonly dev: string;
  /** Rate of the parent class every class borrows from. */
  readonly total: string;
  readonly totalQuantum: number;
  readonly classes: readonly HtbClassSpec[];
  /** Class for traffic no filter matches; undefined: such traffic is not shaped. */
  readonly defaultClass?: number;
}
