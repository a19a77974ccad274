import { DnatSpec, Protocol } from "../../src/render/types";
import { anyIpProblem } from "../../src/validate/address";
import { familyOf } from "../../src/ipam/ip";
import { portProblem, printable } from "../../src/validate/names";
import { nonNull, problemText } from "../../src/validate/problem";
import type { Namespace } from "../namespace";
import { Address } from "../subnet";
import { familyOf6, mixedFamilies, NatKind, NatPlaceProps, netnsOf } from "./kind";
import { addressFamily, canonicalText } from "../place";

export interface PortForwardProps extends NatPlaceProps {
  /** Port on the host that clients connect to. */
  readonly hostPort: number;
  /** Where the service listens: usually a namespace's address. An IPv6 one is published through ip6tables (NAT66). */
  readonly to: Address | string;
  /** Port of the service. @default hostPort */
  readonly port?: number;
  /** @default "tcp" */
  readonly protocol?: Protocol;
  /** Only forward connections to this host address (of the target's family). @default any address of the host */
  readonly hostAddress?: string;
  /**
   * Also masquerade connections to the published port that come from the target's
   * own subnet (a neighbour on the same bridge, or the target itself), so their
   * answers come back through the host. Needs `to` to be an Address from a Subnet.
   * @default false
   */
  readonly hairpin?: boolean;
}

/** Publish a service: host port -> address:port (DNAT), also for connections the host opens itself. */
export class PortForward implements NatKind {
  readonly type = "dnat";

  constructor(private readonly props: PortForwardProps) {}

  objectName(): string {
    const p = this.props;
    const t = this.family() === 6 ? `[${this.target()}]` : this.target();
    return `${this.protocol()}/${p.hostPort} -> ${t}:${this.port()}`;
  }

  spec(namespace?: Namespace): DnatSpec {
    const p = this.props;
    const hairpin = p.hairpin && p.to instanceof Address && p.to.subnet ? { hairpinSource: canonicalText(p.to.subnet.cidr) } : {};
    return {
      type: "dnat",
      protocol: this.protocol(),
      hostPort: p.hostPort,
      hostAddress: p.hostAddress === undefined ? undefined : canonicalText(p.hostAddress),
      toAddress: this.target(),
      toPort: this.port(),
      fromHost: true,
      allowForward: true,
      ...netnsOf(namespace),
      ...hairpin,
      ...familyOf6(this.family()),
    };
  }

  problems(): string[] {
    const p = this.props;
    const port = (v: number, prop: string) => {
      const e = portProblem(v, prop);
      return e && problemText(e, `Fix props.${prop}.`);
    };
    return nonNull(
      port(p.hostPort, "hostPort"),
      port(this.port(), "port"),
      ["tcp", "udp"].includes(this.protocol()) ? null : `protocol "${printable(String(p.protocol))}" is not supported; use "tcp" or "udp".`,
      anyIpProblem(this.target(), "to"),
      p.hostAddress !== undefined ? anyIpProblem(p.hostAddress, "hostAddress") : null,
      p.hostAddress !== undefined
        ? mixedFamilies(
            { prop: "to", value: this.target(), family: familyOf(this.target()) },
            { prop: "hostAddress", value: p.hostAddress, family: familyOf(p.hostAddress) },
          )
        : null,
      p.hairpin && !(p.to instanceof Address && p.to.subnet)
        ? `hairpin needs the target's subnet, but "to" is a plain address (${this.target()}). Pass an Address from a Subnet (subnet.allocate(...)) or drop props.hairpin.`
        : null,
    );
  }

  publishedPorts(): Array<{ protocol: string; port: number; hostAddress?: string; family?: 6 }> {
    const p = this.props;
    return [{ protocol: this.protocol(), port: p.hostPort, hostAddress: p.hostAddress, ...familyOf6(this.family()) }];
  }

  private protocol(): Protocol {
    return this.props.protocol ?? "tcp";
  }

  private port(): number {
    return this.props.port ?? this.props.hostPort;
  }

  family(): 4 | 6 {
    const to = this.props.to;
    return (to instanceof Address ? addressFamily(to) : familyOf(String(to))) ?? 4;
  }

  private target(): string {
    const to = this.props.to;
    return canonicalText(to instanceof Address ? to.ip : String(to));
  }
}
