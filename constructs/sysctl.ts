import { Construct } from "constructs";
import { checkSysctl } from "../src/render/check";
import { renderSysctl } from "../src/render/sysctl";
import { Hooks, ObjectRef } from "../src/render/types";
import { printable, shownValue } from "../src/validate/names";
import { Namespace } from "./namespace";
import { NetObject, ObjectSummary } from "./net-object";
import { hostFor, OnHost } from "./same-host";
import { placeName } from "./place";
import type { ObjectKind } from "../src/plan/kinds";
import type { Host } from "./host";

export interface SysctlProps {
  /** Dotted key under /proc/sys, e.g. "net.ipv4.ip_forward". */
  readonly key: string;
  readonly value: string;
  /** Namespace to set it in (net.* keys are per namespace). @default the host's root namespace */
  readonly namespace?: Namespace;
}

/**
 * A kernel setting on a host or in a namespace; destroy restores the value it had before.
 *
 * @example
 * ```ts
 * new Sysctl(host, "forward", { key: "net.ipv4.ip_forward", value: "1" });
 * new Sysctl(router, "router-forward", { key: "net.ipv4.ip_forward", value: "1", namespace: router });
 * ```
 */
export class Sysctl extends NetObject {
  readonly key: string;
  readonly value: string;
  readonly namespace?: Namespace;

  constructor(scope: Construct, id: string, props: SysctlProps) {
    const ns = props.namespace ?? Namespace.tryOf(scope);
    super(scope, id, hostFor(scope, id, "Sysctl", [ns]));
    this.key = props.key;
    this.value = props.value;
    this.namespace = ns;
  }

  get kind(): ObjectKind {
    return "sysctl";
  }

  get objectName(): string {
    return `${this.key}=${this.value}`;
  }

  hooks(ref: ObjectRef): Hooks {
    return renderSysctl({ key: this.key, value: this.value, netns: this.namespace?.name }, ref);
  }

  checks(): string[] {
    return checkSysctl({ key: this.key, value: this.value, netns: this.namespace?.name });
  }

  protected references(): Array<readonly [string, OnHost | undefined]> {
    return [["props.namespace", this.namespace]];
  }

  dependencies(): NetObject[] {
    return this.namespace ? [this.namespace] : [];
  }

  requiredCommands(): string[] {
    return ["ip", "sysctl"];
  }

  summary(): ObjectSummary {
    return { kind: "sysctl", name: this.objectName, where: placeName(this.namespace), addresses: [] };
  }

  protected validateObject(): string[] {
    const errs: string[] = [];
    if (!/^[a-z0-9_]+(\.[a-z0-9_-]+)+$/.test(this.key))
      errs.push(`sysctl key "${printable(String(this.key))}" is not a dotted sysctl name like net.ipv4.ip_forward. Fix props.key.`);
    if (typeof this.value !== "string" && typeof this.value !== "number")
      errs.push(`sysctl value ${shownValue(this.value)} is not text. Give props.value as a string, e.g. "1".`);
    else if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(String(this.value)))
      errs.push(`sysctl value "${printable(String(this.value))}" may hold only letters, digits and "_.:-". Fix props.value.`);
    return errs;
  }
}

/**
 * Forwarding on where `scope` routes: net.ipv4.ip_forward=1 (family 4) or
 * net.ipv6.conf.all.forwarding=1 (family 6) in the host's root namespace (a
 * Host) or a namespace, restored on destroy. One per place and family: the
 * Sysctl with id "ip-forward" ("ip6-forward") in that scope, made when there is
 * none yet (declare it yourself first to make it visible in your code).
 * Host.enableForwarding() and a NatRule in a namespace both come here.
 *
 * IPv6 forwarding=1 turns a place into a router: the kernel then ignores router
 * advertisements on its interfaces (accept_ra=1 acts only on hosts), so a host
 * that takes its own IPv6 address or default route from RAs needs accept_ra=2
 * on that interface. hostnet leaves accept_ra alone.
 */
export function ipForwarding(scope: Host | Namespace, family: 4 | 6 = 4): Sysctl {
  const id = family === 6 ? "ip6-forward" : "ip-forward";
  const existing = scope.node.tryFindChild(id);
  if (existing instanceof Sysctl) return existing;
  return new Sysctl(scope, id, family === 6 ? { key: "net.ipv6.conf.all.forwarding", value: "1" } : { key: "net.ipv4.ip_forward", value: "1" });
}
