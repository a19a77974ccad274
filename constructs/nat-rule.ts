import { Construct } from "constructs";
import { natRules, renderNat } from "../src/render/nat";
import { Hooks, NatSpec, ObjectRef, Protocol } from "../src/render/types";
import { AddressError, parseCidr4, parseIp4 } from "../src/ipam/ipv4";
import { checkInterfaceName, checkPort } from "../src/validate/names";
import { Bridge } from "./bridge";
import { Host } from "./host";
import { findAncestor, NetObject, ObjectSummary } from "./net-object";
import { Address, Subnet } from "./subnet";

export interface MasqueradeProps {
  /** Source subnet whose outbound traffic is rewritten to the outgoing interface's address. */
  readonly subnet: Subnet | string;
  /** The subnet's own bridge: traffic that leaves through it stays unrewritten (Docker's `! -o docker0`). */
  readonly bridge?: Bridge;
}

export interface SnatProps {
  /** Source subnet or address (CIDR). */
  readonly source: Subnet | Address | string;
  /** Address to rewrite the source to. */
  readonly toSource: string;
  /** Only for traffic leaving through this interface. @default any */
  readonly outInterface?: string;
}

export interface PortForwardProps {
  /** Port on the host that clients connect to. */
  readonly hostPort: number;
  /** Where the service listens: usually a namespace's address. */
  readonly to: Address | string;
  /** Port of the service. @default hostPort */
  readonly port?: number;
  /** @default "tcp" */
  readonly protocol?: Protocol;
  /** Only forward connections to this host address. @default any address of the host */
  readonly hostAddress?: string;
}

export type NatRuleProps =
  | ({ readonly type: "masquerade" } & MasqueradeProps)
  | ({ readonly type: "snat" } & SnatProps)
  | ({ readonly type: "dnat" } & PortForwardProps);

/**
 * iptables NAT on a host: outbound masquerade or SNAT for a subnet, or a DNAT
 * port forward from a host port to a service (which also works for connections
 * the host opens itself). Turns on net.ipv4.ip_forward for the host, and adds
 * FORWARD accepts so it also works where that chain's policy is DROP.
 */
export class NatRule extends NetObject {
  /** Outbound masquerade for a subnet. */
  static masquerade(scope: Construct, id: string, props: MasqueradeProps): NatRule {
    return new NatRule(scope, id, { type: "masquerade", ...props });
  }

  /** Source NAT to a fixed address. */
  static snat(scope: Construct, id: string, props: SnatProps): NatRule {
    return new NatRule(scope, id, { type: "snat", ...props });
  }

  /** Publish a service: host port -> address:port (DNAT). */
  static portForward(scope: Construct, id: string, props: PortForwardProps): NatRule {
    return new NatRule(scope, id, { type: "dnat", ...props });
  }

  readonly props: NatRuleProps;
  private readonly forwarding: NetObject;

  constructor(scope: Construct, id: string, props: NatRuleProps) {
    const host = findAncestor(scope, Host);
    if (!host) throw new Error(`${scope.node.path}/${id}: a NatRule must be created inside a Host's scope.`);
    super(scope, id, host);
    this.props = props;
    this.forwarding = host.enableForwarding();
  }

  get kind(): string {
    return this.props.type;
  }

  get objectName(): string {
    const p = this.props;
    switch (p.type) {
      case "masquerade":
        return `masquerade ${this.source()}`;
      case "snat":
        return `snat ${this.source()} -> ${p.toSource}`;
      case "dnat":
        return `${p.protocol ?? "tcp"}/${p.hostPort} -> ${this.target()}:${p.port ?? p.hostPort}`;
    }
  }

  spec(): NatSpec {
    const p = this.props;
    switch (p.type) {
      case "masquerade":
        return { type: "masquerade", source: this.source(), notOutInterface: p.bridge?.name, allowForward: true };
      case "snat":
        return { type: "snat", source: this.source(), toSource: p.toSource, outInterface: p.outInterface, allowForward: true };
      case "dnat":
        return { type: "dnat", protocol: p.protocol ?? "tcp", hostPort: p.hostPort, hostAddress: p.hostAddress, toAddress: this.target(), toPort: p.port ?? p.hostPort, fromHost: true, allowForward: true };
    }
  }

  hooks(ref: ObjectRef): Hooks {
    return renderNat(this.spec(), ref);
  }

  dependencies(): NetObject[] {
    return [this.forwarding];
  }

  publishedPorts(): Array<{ protocol: string; port: number; hostAddress?: string }> {
    const p = this.props;
    return p.type === "dnat" ? [{ protocol: p.protocol ?? "tcp", port: p.hostPort, hostAddress: p.hostAddress }] : [];
  }

  requiredCommands(): string[] {
    return ["iptables"];
  }

  summary(): ObjectSummary {
    return { kind: this.props.type, name: this.objectName, where: "root", addresses: [], detail: natRules(this.spec()).map((r) => `${r.table} ${r.chain}`).join(", ") };
  }

  protected validateObject(): string[] {
    const p = this.props;
    const errs: string[] = [];
    const ip = (v: string, what: string) => {
      try {
        parseIp4(v);
      } catch (e) {
        if (!(e instanceof AddressError)) throw e;
        errs.push(`${what}: ${e.message}`);
      }
    };
    if (p.type === "masquerade" || p.type === "snat") {
      try {
        parseCidr4(this.source(), p.type === "masquerade");
      } catch (e) {
        if (!(e instanceof AddressError)) throw e;
        errs.push(`source: ${e.message}`);
      }
    }
    if (p.type === "masquerade" && p.bridge && p.bridge.host !== this.host) errs.push(`bridge ${p.bridge.node.path} is on another host.`);
    if (p.type === "snat") {
      ip(p.toSource, "toSource");
      if (p.outInterface !== undefined) {
        const e = checkInterfaceName(p.outInterface);
        if (e) errs.push(`outInterface: ${e}`);
      }
    }
    if (p.type === "dnat") {
      for (const [v, what] of [[p.hostPort, "hostPort"], [p.port ?? p.hostPort, "port"]] as const) {
        const e = checkPort(v, what);
        if (e) errs.push(`${e} Fix props.${what}.`);
      }
      if (!["tcp", "udp"].includes(p.protocol ?? "tcp")) errs.push(`protocol "${JSON.stringify(String(p.protocol)).slice(1, -1)}" is not supported; use "tcp" or "udp".`);
      ip(this.target(), "to");
      if (p.hostAddress !== undefined) ip(p.hostAddress, "hostAddress");
    }
    return errs;
  }

  private source(): string {
    const p = this.props;
    const s = p.type === "masquerade" ? p.subnet : p.type === "snat" ? p.source : undefined;
    if (s instanceof Subnet) return s.cidr;
    if (s instanceof Address) return `${s.ip}/32`;
    return String(s);
  }

  private target(): string {
    const p = this.props;
    if (p.type !== "dnat") return "";
    return p.to instanceof Address ? p.to.ip : String(p.to);
  }
}
