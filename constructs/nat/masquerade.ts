import { MasqueradeSpec } from "../../src/render/types";
import { cidrProblem } from "../../src/validate/address";
import { nonNull } from "../../src/validate/problem";
import type { Bridge } from "../bridge";
import type { Namespace } from "../namespace";
import { placeName } from "../place";
import { Subnet } from "../subnet";
import { NatKind, NatPlaceProps, netnsOf } from "./kind";

export interface MasqueradeProps extends NatPlaceProps {
  /** Source subnet whose outbound traffic is rewritten to the outgoing interface's address. */
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
    return { type: "masquerade", source: this.source(), notOutInterface: this.bridge?.name, allowForward: true, ...netnsOf(namespace) };
  }

  problems(namespace?: Namespace): string[] {
    const errs = nonNull(cidrProblem(this.source(), "source"));
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

  private source(): string {
    const s = this.props.subnet;
    return s instanceof Subnet ? s.cidr : String(s);
  }
}
