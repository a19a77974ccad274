import { Construct } from "constructs";
import { createHookResource, HookResource, HookTriggers, idReference } from "../src/plan/hook-resource";
import type { ObjectKind } from "../src/plan/kinds";
import { objectId, objectTag } from "../src/plan/names";
import { ledgerFile } from "../src/render/common";
import { createScript, destroyScript } from "../src/render/script";
import { Flow } from "../src/render/firewall";
import { Hooks, ObjectRef } from "../src/render/types";
import type { Host } from "./host";
import { HostnetStack } from "./hostnet-stack";
import { brand, hasBrand } from "./guard";
import { addProblems } from "./problems";
import { OnHost, otherHostProblems } from "./same-host";
import { renderProblems } from "../src/validate/shell";
import type { ObjectDiagram } from "../src/review/topology";
import type { SourceNatUse } from "../src/validate/topology";

/** What place checks need of a Namespace (avoids an import cycle). */
export interface NamespaceLike {
  readonly name: string;
}

/** A row of the review table: what the object is and where it lives. */
export interface ObjectSummary {
  readonly kind: ObjectKind;
  readonly name: string;
  /** "root" or "netns <name>". */
  readonly where: string;
  readonly addresses: readonly string[];
  readonly detail?: string;
}

const NET_OBJECT = Symbol.for("hostnet.NetObject");

/**
 * Base of every construct that becomes one object on one host with one Terraform
 * resource. Subclasses describe the object (`hooks`, `dependencies`); this class
 * renders the scripts at synth time (lazily, after all props and allocations are
 * known), wires dependencies as references and registers the object with its host.
 */
export abstract class NetObject extends Construct {
  /** True for a NetObject of any kind (by symbol, not instanceof). */
  static isNetObject(x: unknown): x is NetObject {
    return hasBrand(x, NET_OBJECT);
  }

  readonly host: Host;
  /** The Terraform resource that carries this object's hooks. */
  readonly resource: HookResource;

  protected constructor(scope: Construct, id: string, host: Host) {
    super(scope, id);
    brand(this, NET_OBJECT);
    this.host = host;
    const stack = HostnetStack.of(this);
    this.resource = createHookResource(this, "hook", {
      type: stack.resourceType,
      path: this.node.path,
      environment: host.hookEnvironment,
      triggers: () => this.triggers(),
      dependsOn: [host.resource],
      ledger: ledgerFile(this.ref),
    });
    host.register(this);
    addProblems(this, () => [
      ...this.validateObject(),
      ...otherHostProblems(this.host, this.constructor.name, this.references()),
      ...this.renderProblems(),
    ]);
  }

  /** Short kind name for comments and review output ("bridge", "veth", ...); a new kind is added to OBJECT_KINDS. */
  abstract get kind(): ObjectKind;
  /** The object's name on the host (interface, namespace, rule summary). */
  abstract get objectName(): string;
  /** Shell lines that create and destroy the object. Pure: called at synth. */
  abstract hooks(ref: ObjectRef): Hooks;
  /** Objects that must exist before this one (created first, destroyed after). */
  abstract dependencies(): NetObject[];
  /** Review row. */
  abstract summary(): ObjectSummary;

  /** Problems with the props, without the path prefix. */
  protected validateObject(): string[] {
    return [];
  }

  /**
   * The hostnet objects this one refers to, as [what refers, object]: each must
   * be on this object's host (one check for every construct, see same-host.ts).
   */
  protected references(): Array<readonly [string, OnHost | undefined]> {
    return [];
  }

  /** Namespaces this object creates, for per-host uniqueness checks. */
  namespaces(): string[] {
    return [];
  }

  /** Interfaces this object creates, for per-host uniqueness checks. */
  interfaces(): Array<{ name: string; namespace?: NamespaceLike }> {
    return [];
  }

  /** Addresses this object assigns, for per-host uniqueness checks. */
  assignedAddresses(): Array<{ cidr: string; iface: string; namespace?: NamespaceLike }> {
    return [];
  }

  /**
   * Routes this object adds, for the check that a next hop is on a connected
   * subnet. A route without `via` is a link route: its destination is connected.
   */
  routes(): Array<{ destination: string; via?: string; namespace?: NamespaceLike; onlink?: boolean }> {
    return [];
  }

  /** Host ports this object publishes, for per-host uniqueness checks. */
  publishedPorts(): Array<{ protocol: string; port: number; hostAddress?: string }> {
    return [];
  }

  /** Source NAT rules this object puts in POSTROUTING, for the per-host check of their order (src/validate/topology.ts). */
  sourceNats(): Array<Omit<SourceNatUse, "place" | "path"> & { namespace?: NamespaceLike }> {
    return [];
  }

  /**
   * The drift probe for `hostnet check`, declared by every kind: read-only shell
   * lines (src/render/check.ts) that print one line per way the live object
   * differs from the plan and nothing when it matches, or `notChecked(reason)`
   * for a kind that cannot be probed; check then names the object and the reason.
   */
  abstract checks(): Probe;

  /**
   * Traffic this object sends through the host's root namespace (forwarded, not
   * bridged), for the firewall preflight and check (src/render/firewall.ts).
   */
  forwardedFlows(): Flow[] {
    return [];
  }

  /** Commands the host needs for this object's hooks. */
  requiredCommands(): string[] {
    return ["ip"];
  }

  /**
   * Kernel modules this object needs, for the host's preflight (src/render/preflight.ts
   * probes each one; a module without a probe there is checked by modprobe alone).
   */
  requiredModules(): string[] {
    return [];
  }

  /**
   * What this object adds to its host's review diagram, as plain data
   * (src/review/topology.ts): nodes, edges, namespace groups, subnets. Nothing
   * by default: routes and sysctls are in the review table only.
   */
  diagram(): ObjectDiagram {
    return {};
  }

  get ref(): ObjectRef {
    if (!this.cachedRef) {
      const stack = HostnetStack.of(this).stackName;
      this.cachedRef = { stack, path: this.node.path, id: objectId(this.node.path), tag: objectTag(stack, this.node.path) };
    }
    return this.cachedRef;
  }

  /** The create script exactly as it runs on the host. */
  createScript(): string {
    return this.scripts().create;
  }

  destroyScript(): string {
    return this.scripts().destroy;
  }

  // Rendered once, on first use (at synth, when every prop is known): the
  // resource's triggers and the review both read them.
  private cachedRef?: ObjectRef;
  private cachedScripts?: { create: string; destroy: string; problems: string[] };

  // A value no shell can carry (a NUL byte, a line equal to the ledger heredoc's
  // marker) is a validation problem, not an exception: the triggers are also
  // resolved by cdktf's own checks, before this object's validation runs.
  private scripts(): { create: string; destroy: string; problems: string[] } {
    if (!this.cachedScripts) {
      const ref = this.ref;
      const header = { kind: this.kind, name: this.objectName };
      const render = () => {
        const hooks = this.hooks(ref);
        return { create: createScript(hooks, ref, header), destroy: destroyScript(hooks, ref, header) };
      };
      let r: { value: { create: string; destroy: string }; problems: string[] };
      try {
        r = renderProblems(render, { create: "", destroy: "" });
      } catch (e) {
        // A prop of the wrong type (a number for a name, from JavaScript or parsed config) can break rendering
        // before it is checked; the object's own checks name it, so nothing is rendered and they are reported.
        if (this.validateObject().length === 0) throw e;
        r = { value: { create: "", destroy: "" }, problems: [] };
      }
      this.cachedScripts = { ...r.value, problems: r.problems };
    }
    return this.cachedScripts;
  }

  private renderProblems(): string[] {
    return this.scripts().problems;
  }

  private triggers(): HookTriggers {
    const deps = uniq(this.dependencies()).filter((d) => d !== this);
    return {
      address: this.host.target.address,
      port: String(this.host.target.port),
      create: this.createScript(),
      destroy: this.destroyScript(),
      summary: `${this.kind} ${this.objectName} on host ${this.host.node.id}`,
      // References, not just ordering: when an object underneath is replaced, this one is too.
      after: deps.map((d) => idReference(this, d.resource)).join(" "),
    };
  }
}

/** A kind that has no drift probe says so, with the reason `hostnet check` prints. */
export interface NotChecked {
  readonly notChecked: string;
}

/** What `NetObject.checks()` declares: probe lines, or why there are none. */
export type Probe = string[] | NotChecked;

export function notChecked(reason: string): NotChecked {
  return { notChecked: reason };
}

export function uniq<T>(items: T[]): T[] {
  return [...new Set(items)];
}
