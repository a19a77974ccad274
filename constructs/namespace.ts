import { Construct, IConstruct } from "constructs";
import { deriveName } from "../src/plan/names";
import { checkNamespace } from "../src/render/check";
import { renderNamespace } from "../src/render/namespace";
import { Hooks, NamespaceSpec } from "../src/render/types";
import { namespaceNameProblem } from "../src/validate/names";
import { problemText } from "../src/validate/problem";
import { NetObject, ObjectSummary } from "./net-object";
import { hostFor } from "./same-host";
import type { Host } from "./host";
import type { ObjectKind } from "../src/plan/kinds";
import { brand, hasBrand } from "./guard";
import type { ObjectDiagram } from "../src/review/topology";
import { refOf } from "./diagram";

export interface NamespaceProps {
  /** Name under /run/netns (what `ip netns exec NAME` takes). @default the construct id */
  readonly name?: string;
  /**
   * Stop processes still running inside the namespace when it is destroyed
   * (SIGTERM, then SIGKILL after a second). A process left inside keeps the
   * namespace, its links and addresses alive after `ip netns del`.
   * @default true
   */
  readonly killProcessesOnDestroy?: boolean;
}

const NAMESPACE = Symbol.for("hostnet.Namespace");

/**
 * A named network namespace on a host (`ip netns add`). Create it in a Host's scope.
 *
 * @example
 * ```ts
 * const web = new Namespace(host, "web"); // ip netns add web
 * ```
 */
export class Namespace extends NetObject {
  /** True for a Namespace (by symbol, not instanceof). */
  static isNamespace(x: unknown): x is Namespace {
    return hasBrand(x, NAMESPACE);
  }

  /** The nearest Namespace among `c` and its ancestors, or undefined: objects created in a Namespace's scope live in it. */
  static tryOf(c: IConstruct): Namespace | undefined {
    for (let s: IConstruct | undefined = c; s; s = s.node.scope) if (Namespace.isNamespace(s)) return s;
    return undefined;
  }

  readonly name: string;
  private readonly killProcesses: boolean;

  constructor(scope: Construct, id: string, props: NamespaceProps = {}) {
    super(scope, id, hostFor(scope, id, "Namespace"));
    brand(this, NAMESPACE);
    this.name = props.name ?? deriveName(id, this.node.path, 64);
    this.killProcesses = props.killProcessesOnDestroy ?? true;
  }

  get kind(): ObjectKind {
    return "netns";
  }

  diagram(): ObjectDiagram {
    return { groups: [{ ref: refOf(this), label: `netns ${this.name}` }] };
  }

  get objectName(): string {
    return this.name;
  }

  hooks(): Hooks {
    return renderNamespace(this.spec());
  }

  checks(): string[] {
    return checkNamespace(this.spec());
  }

  private spec(): NamespaceSpec {
    // IPv6 on lo only where an object puts an IPv6 address in here: IPv4-only namespaces render as they always did.
    const ipv6 = ipv6Places(this.host).has(this);
    return { name: this.name, killProcesses: this.killProcesses, ...(ipv6 ? { ipv6: true } : {}) };
  }

  dependencies(): NetObject[] {
    return [];
  }

  namespaces(): string[] {
    return [this.name];
  }

  summary(): ObjectSummary {
    return { kind: "netns", name: this.name, where: "host", addresses: [] };
  }

  protected validateObject(): string[] {
    const e = namespaceNameProblem(this.name);
    return e ? [problemText(e, "Set props.name or change the construct id.")] : [];
  }
}

// Per host: the namespaces some object puts an IPv6 address in. Built once per synth (objects are only
// ever added, so a changed count means it is stale): a scan per namespace would be O(n²) on big hosts.
const ipv6Index = new WeakMap<Host, { count: number; places: Set<unknown> }>();

function ipv6Places(host: Host): Set<unknown> {
  let index = ipv6Index.get(host);
  if (!index || index.count !== host.netObjects.length) {
    const places = new Set<unknown>();
    for (const o of host.netObjects) for (const a of o.assignedAddresses()) if (a.cidr.includes(":")) places.add(a.namespace);
    index = { count: host.netObjects.length, places };
    ipv6Index.set(host, index);
  }
  return index.places;
}
