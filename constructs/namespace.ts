import { Construct } from "constructs";
import { deriveName } from "../src/plan/names";
import { checkNamespace } from "../src/render/check";
import { renderNamespace } from "../src/render/namespace";
import { Hooks } from "../src/render/types";
import { namespaceNameProblem } from "../src/validate/names";
import { problemText } from "../src/validate/problem";
import { NetObject, ObjectSummary } from "./net-object";
import { hostFor } from "./same-host";

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

/**
 * A named network namespace on a host (`ip netns add`). Create it in a Host's scope.
 *
 * @example
 * ```ts
 * const web = new Namespace(host, "web"); // ip netns add web
 * ```
 */
export class Namespace extends NetObject {
  readonly name: string;
  private readonly killProcesses: boolean;

  constructor(scope: Construct, id: string, props: NamespaceProps = {}) {
    super(scope, id, hostFor(scope, id, "Namespace"));
    this.name = props.name ?? deriveName(id, this.node.path, 64);
    this.killProcesses = props.killProcessesOnDestroy ?? true;
  }

  get kind(): string {
    return "netns";
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
