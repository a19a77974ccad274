import { StaticNatSpec } from "../../src/render/types";
import { ipProblem } from "../../src/validate/address";
import { nonNull } from "../../src/validate/problem";
import type { Namespace } from "../namespace";
import { Address } from "../subnet";
import { NatKind, NatPlaceProps, netnsOf } from "./kind";

export interface StaticNatProps extends NatPlaceProps {
  /** The inside (private) address: an Address or a dotted quad. */
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
    return `1:1 ${this.inside()} <-> ${this.props.outside}`;
  }

  spec(namespace?: Namespace): StaticNatSpec {
    return { type: "static", inside: this.inside(), outside: this.props.outside, allowForward: true, ...netnsOf(namespace) };
  }

  problems(): string[] {
    const { outside } = this.props;
    return nonNull(
      ipProblem(this.inside(), "inside"),
      ipProblem(outside, "outside"),
      this.inside() === outside ? `inside and outside are both ${outside}; 1:1 NAT maps one address to another. Fix props.outside.` : null,
    );
  }

  publishedPorts(): [] {
    return [];
  }

  private inside(): string {
    const i = this.props.inside;
    return i instanceof Address ? i.ip : String(i);
  }
}
