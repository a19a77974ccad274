import { SnatSpec } from "../../src/render/types";
import { cidrProblem, ipProblem } from "../../src/validate/address";
import { checkInterfaceName } from "../../src/validate/names";
import { nonNull } from "../../src/validate/problem";
import type { Namespace } from "../namespace";
import { Address, Subnet } from "../subnet";
import { NatKind, NatPlaceProps, netnsOf } from "./kind";

export interface SnatProps extends NatPlaceProps {
  /** Source subnet or address (CIDR). */
  readonly source: Subnet | Address | string;
  /** Address to rewrite the source to. */
  readonly toSource: string;
  /** Only for traffic leaving through this interface. @default any */
  readonly outInterface?: string;
}

/** Source NAT to a fixed address. */
export class Snat implements NatKind {
  readonly type = "snat";

  constructor(private readonly props: SnatProps) {}

  objectName(): string {
    return `snat ${this.source()} -> ${this.props.toSource}`;
  }

  spec(namespace?: Namespace): SnatSpec {
    const p = this.props;
    return { type: "snat", source: this.source(), toSource: p.toSource, outInterface: p.outInterface, allowForward: true, ...netnsOf(namespace) };
  }

  problems(): string[] {
    const p = this.props;
    const out = p.outInterface !== undefined ? checkInterfaceName(p.outInterface) : null;
    // A single address is a /32 network, so the source may carry host bits.
    return nonNull(cidrProblem(this.source(), "source", false), ipProblem(p.toSource, "toSource"), out && `outInterface: ${out}`);
  }

  publishedPorts(): [] {
    return [];
  }

  private source(): string {
    const s = this.props.source;
    if (s instanceof Subnet) return s.cidr;
    if (s instanceof Address) return `${s.ip}/32`;
    return String(s);
  }
}
