import { StaticNatSpec } from "../../src/render/types";
import { anyIpProblem } from "../../src/validate/address";
import { familyOf } from "../../src/ipam/ip";
import { nonNull } from "../../src/validate/problem";
import type { Namespace } from "../namespace";
import { Address } from "../subnet";
import { familyOf6, mixedFamilies, NatKind, NatPlaceProps, netnsOf } from "./kind";
import { addressFamily, canonicalText } from "../place";

export interface StaticNatProps extends NatPlaceProps {
  /** The inside (private) address: an Address, an IPv4 or an IPv6 address. */
  readonly inside: Address | string;
  /**
   * The outside address it is known by. Traffic for it must reach the rule's
   * namespace: assign it there, or route it there (a /32 route via the outside leg).
   */
  readonly outside: string;
}

/** 1:1 NAT: the outside address reaches the inside one, and the inside one leaves as the outside one. */
export class OneToOne implements NatKind {
  readonly type = "static";

  constructor(private readonly props: StaticNatProps) {}

  objectName(): string {
    return `1:1 ${this.inside()} <-> ${this.outside()}`;
  }

  spec(namespace?: Namespace): StaticNatSpec {
    const i = this.props.inside;
    const subnet = i instanceof Address && i.subnet ? { insideSubnet: canonicalText(i.subnet.cidr) } : {};
    return {
      type: "static",
      inside: this.inside(),
      outside: this.outside(),
      ...subnet,
      allowForward: true,
      ...netnsOf(namespace),
      ...familyOf6(this.family()),
    };
  }

  problems(): string[] {
    const outside = this.outside();
    const pi = anyIpProblem(this.inside(), "inside");
    const po = anyIpProblem(outside, "outside");
    return nonNull(
      pi,
      po,
      pi || po
        ? null
        : mixedFamilies(
            { prop: "inside", value: this.inside(), family: familyOf(this.inside()) },
            { prop: "outside", value: outside, family: familyOf(outside) },
          ),
      this.inside() === outside ? `inside and outside are both ${outside}; 1:1 NAT maps one address to another. Fix props.outside.` : null,
    );
  }

  publishedPorts(): [] {
    return [];
  }

  family(): 4 | 6 {
    const i = this.props.inside;
    return (i instanceof Address ? addressFamily(i) : familyOf(String(i))) ?? 4;
  }

  private inside(): string {
    const i = this.props.inside;
    return canonicalText(i instanceof Address ? i.ip : String(i));
  }

  private outside(): string {
    return canonicalText(String(this.props.outside));
  }
}
