import { MasqueradeSpec } from "../../src/render/types";
import { anyCidrProblem } from "../../src/validate/address";
import { nonNull } from "../../src/validate/problem";
import type { Bridge } from "../bridge";
import type { Namespace } from "../namespace";
import { addressFamily, canonicalText, placeName } from "../place";
import { Subnet } from "../subnet";
import { familyOf6, NatKind, NatPlaceProps, netnsOf } from "./kind";

export interface MasqueradeProps extends NatPlaceProps {
  /** Source subnet whose outbound traffic is rewritten to the outgoing interface's address; an IPv6 one goes through ip6tables (NAT66). */
  readonly subnet: Subnet | string;
  /** The subnet's own bridge: traffic that leaves through it stays unrewritten (Docker's `! -o docker0`). */
  readonly bridge?: Bridge;
}

/** Outbound masquerade for a subnet. */
export class Masquerade implements NatKind {
  readonly type = "masquerade";
  readonly bridge?: Bridge;

  constructor(private readonly props: MasqueradeProps) {
    this.bridge = props.bridge;
  }

  objectName(): string {
    return `masquerade ${this.source()}`;
  }

  spec(namespace?: Namespace): MasqueradeSpec {
    return {
      type: "masquerade",
      source: this.source(),
      notOutInterface: this.bridge?.name,
      allowForward: true,
      ...netnsOf(namespace),
      ...familyOf6(this.family()),
    };
  }

  problems(namespace?: Namespace): string[] {
    const errs = nonNull(anyCidrProblem(this.source(), "source"));
    const br = this.bridge;
    if (br && br.namespace !== namespace) {
      errs.push(
        `bridge ${br.name} is in ${placeName(br.namespace)} but the rule is in ${placeName(namespace)}; create the rule where the bridge is (props.namespace).`,
      );
    }
    return errs;
  }

  publishedPorts(): [] {
    return [];
  }

  family(): 4 | 6 {
    return addressFamily(this.source()) ?? 4;
  }

  private source(): string {
    const s = this.props.subnet;
    return canonicalText(s instanceof Subnet ? s.cidr : String(s));
  }
}
