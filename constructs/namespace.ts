import { Construct, IConstruct } from "constructs";
import { deriveName } from "../src/plan/names";
import { checkNamespace } from "../src/render/check";
import { renderNamespace } from "../src/render/namespace";
import { Hooks } from "../src/render/types";
import { namespaceNameProblem } from "../src/validate/names";
import { problemText } from "../src/validate/problem";
import { NetObject, ObjectSummary } from "./net-object";
import { hostFor } from "./same-host";
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
    return renderNamespace({ name: this.name, killProcesses: this.killProcesses });
  }

  checks(): string[] {
    return checkNamespace({ name: this.name, killProcesses: this.killProcesses });
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
