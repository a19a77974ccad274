import { SnatSpec } from "../../src/render/types";
import { anyCidrProblem, anyIpProblem } from "../../src/validate/address";
import { familyOf } from "../../src/ipam/ip";
import { checkInterfaceName } from "../../src/validate/names";
import { nonNull } from "../../src/validate/problem";
import type { Namespace } from "../namespace";
import { Address, Subnet } from "../subnet";
import { familyOf6, mixedFamilies, NatKind, NatPlaceProps, netnsOf } from "./kind";
import { addressFamily, canonicalText } from "../place";

export interface SnatProps extends NatPlaceProps {
  /** Source subnet or address (CIDR), IPv4 or IPv6 (NAT66 through ip6tables). */
  readonly source: Subnet | Address | string;
  /** Address to rewrite the source to, of the source's family. */
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
    return {
      type: "snat",
      source: this.source(),
      toSource: canonicalText(p.toSource),
      outInterface: p.outInterface,
      allowForward: true,
      ...netnsOf(namespace),
      ...familyOf6(this.family()),
    };
  }

  problems(): string[] {
    const p = this.props;
    const out = p.outInterface !== undefined ? checkInterfaceName(p.outInterface) : null;
    // A single address is a /32 network, so the source may carry host bits.
    const source = anyCidrProblem(this.source(), "source", false);
    const to = anyIpProblem(p.toSource, "toSource");
    return nonNull(
      source,
      to,
      source || to
        ? null
        : mixedFamilies(
            { prop: "source", value: this.source(), family: familyOf(this.source()) },
            { prop: "toSource", value: p.toSource, family: familyOf(p.toSource) },
          ),
      out && `outInterface: ${out}`,
    );
  }

  publishedPorts(): [] {
    return [];
  }

  family(): 4 | 6 {
    const s = this.props.source;
    return (s instanceof Subnet || s instanceof Address ? addressFamily(s) : familyOf(String(s))) ?? 4;
  }

  private source(): string {
    const s = this.props.source;
    if (s instanceof Subnet) return canonicalText(s.cidr);
    if (s instanceof Address) return canonicalText(`${s.ip}/${this.family() === 6 ? 128 : 32}`);
    return canonicalText(String(s));
  }
}
