import { Construct, IConstruct } from "constructs";
import { HostnetError, isHostnetError } from "../src/errors";
import { createHookResource, HookResource } from "../src/plan/hook-resource";
import { checkHost } from "../src/render/check";
import { Flow, mergeFlows } from "../src/render/firewall";
import { renderHostDestroy, renderHostPreflight, renderHostSweep } from "../src/render/host";
import { commentSafe } from "../src/render/quote";
import { checkHostKey, checkPath, hostAddressProblem, portProblem, printable, userProblem } from "../src/validate/names";
import { PathProblem, Problem, problemText } from "../src/validate/problem";
import { addProblems } from "./problems";
import { SshTarget, sshEnvironment } from "../src/transport/ssh";
import { connectionOf, InventoryHost, readInventoryHost, toSshTarget } from "../src/transport/inventory";
import { DEFAULT_LOCK_LEASE, DEFAULT_LOCK_WAIT } from "../src/transport/hook-lock";
import { firewallProblems, HostnetStack } from "./hostnet-stack";
import type { FirewallChoice } from "../src/render/nft";
import type { NamespaceLike, NetObject } from "./net-object";
import { Subnet } from "./subnet";
import { checkHostFacts } from "../src/validate/topology";
import { renderProblems } from "../src/validate/shell";
import { isHost, markHost, scopeHost } from "./same-host";
import { ipForwarding, Sysctl } from "./sysctl";

export interface JumpHostProps {
  /** Address or DNS name of the jump host. */
  readonly address: string;
  /** @default 22 */
  readonly port?: number;
  /** @default the target's user */
  readonly user?: string;
}

export interface HostProps {
  /** Address or DNS name hostnet connects to over SSH. */
  readonly address: string;
  /** @default 22 */
  readonly port?: number;
  /** @default "root" */
  readonly user?: string;
  /** Path of the private key file. Only the path is stored, never the key. @default ssh's defaults and agent */
  readonly identityFile?: string;
  /** known_hosts file that holds the host's key. One of knownHostsFile or hostKey is required. */
  readonly knownHostsFile?: string;
  /** The host's public key ("ssh-ed25519 AAAA..."), pinned. */
  readonly hostKey?: string;
  /**
   * Accept whatever key the host presents. Only for throwaway hosts: anyone on
   * the path can impersonate the host.
   * @default false
   */
  readonly insecureIgnoreHostKey?: boolean;
  /** Reach the host through this jump host (same identity file; its key must be in knownHostsFile). */
  readonly jumpHost?: JumpHostProps;
  /**
   * The per-host hook lock: while one working copy of this stack (one state
   * file) runs hooks on the host, hooks from another copy wait. `false` turns it off.
   * @default { leaseSeconds: 30, waitSeconds: 600 }
   */
  readonly hookLock?: HookLockProps | false;
  /**
   * How NAT rules are written on this host: `"iptables"`, `"nftables"` (one
   * `table inet hostnet_<stack>`, each object's rules in its own chains, applied
   * with one `nft -f` per object), or `"auto"` (nftables where `nft` exists and
   * iptables is nf_tables-backed or absent, decided by the host's first hook at deploy).
   * @default the stack's firewall (HostnetStack props.firewall)
   */
  readonly firewall?: FirewallChoice;
}

export interface HookLockProps {
  /** A working copy keeps the host this long after its last hook there. @default 30 */
  readonly leaseSeconds?: number;
  /** A hook of another working copy waits this long, then fails naming the holder. @default 600 */
  readonly waitSeconds?: number;
}

/** One host of an inventory file (`hostnet lab up` writes one; src/transport/inventory.ts reads it). */
export type { InventoryHost } from "../src/transport/inventory";

/** Thrown by Host.of for a construct created outside any Host's scope. */
export class NotInHostError extends HostnetError {
  constructor(readonly path: string) {
    super(`${path} is not inside a Host's scope. Create it in a Host's scope, e.g. new Namespace(host, "web").`);
    this.name = "NotInHostError";
  }
}

/** What a stack author does about a missing or broken inventory file. */
const INVENTORY_FIX =
  'write it (the format is in hostnet\'s docs/hosts.md), or start local test hosts with "npx hostnet lab up" (as root), ' +
  "which writes .lab/<lab>/inventory.json, and pass that file";

/**
 * A Linux host hostnet configures over SSH. Network objects are created in its
 * scope (`new Namespace(host, "web")`). It also carries two hooks of its own
 * that run before every other hook on the host: a preflight (the needed
 * commands exist), then a sweep that removes objects which have left the stack.
 *
 * @example
 * ```ts
 * // By hand: address, user, key file and the host's pinned key.
 * const a = new Host(stack, "a", {
 *   address: "192.0.2.10",
 *   user: "root",
 *   identityFile: "/home/me/.ssh/id_ed25519",
 *   hostKey: "ssh-ed25519 AAAAC3Nza...", // or knownHostsFile: "/home/me/.ssh/known_hosts"
 *   jumpHost: { address: "bastion.example.net" },
 * });
 * // Or from an inventory file (see docs/hosts.md):
 * const b = Host.fromInventory(stack, "b", "inventory.json");
 * ```
 */
export class Host extends Construct {
  /** True for a Host (by symbol, not instanceof: see constructs/guard.ts). */
  static isHost(x: unknown): x is Host {
    return isHost(x);
  }

  /** The Host a construct is created in (itself or its nearest Host ancestor); throws NotInHostError outside one. */
  static of(c: IConstruct): Host {
    const host = scopeHost(c);
    if (!host) throw new NotInHostError(c.node.path);
    return host;
  }

  /** The Host a construct is created in, or undefined outside one. */
  static tryOf(c: IConstruct): Host | undefined {
    return scopeHost(c);
  }

  /**
   * A host from an inventory file written by `hostnet lab up` (or one you write
   * in that format, jump host included); `props` adds to or overrides what the
   * inventory says. The same reader as `hostnet inspect` (src/transport/inventory.ts).
   */
  static fromInventory(scope: Construct, id: string, inventoryFile: string, hostName: string = id, props: Partial<HostProps> = {}): Host {
    let h: InventoryHost = {} as InventoryHost;
    // A missing or broken file is the stack's problem at synth, with the others (synthOrExit prints it, no stack trace).
    let unreadable: string | undefined;
    try {
      h = readInventoryHost(inventoryFile, hostName, { fix: INVENTORY_FIX });
    } catch (e) {
      if (!isHostnetError(e)) throw e;
      unreadable = e.message;
    }
    const host = new Host(scope, id, { ...(connectionOf(h) as HostProps), ...props });
    host.inventory = { file: inventoryFile, host: hostName, given: props, unreadable };
    return host;
  }

  readonly target: SshTarget;
  /**
   * The hook every object on this host waits for: the sweep, which itself
   * runs after the preflight (`preflight`).
   */
  readonly resource: HookResource;
  /** The host's first hook (preflight) and, on destroy, its last (the ledger directory's removal). */
  readonly preflight: HookResource;
  /** What every hook on this host gets in its environment: the SSH target and the hook lock. */
  readonly hookEnvironment: Record<string, string>;
  /** The firewall backend of this host's NAT rules (props.firewall, else the stack's). */
  readonly firewall: FirewallChoice;
  private readonly hookLock: { leaseSeconds: number; waitSeconds: number } | false;
  private readonly objects: NetObject[] = [];
  /** Where the props came from, when from an inventory: problems name the file. */
  private inventory?: { file: string; host: string; given: Partial<HostProps>; unreadable?: string };

  constructor(scope: Construct, id: string, props: HostProps) {
    super(scope, id);
    markHost(this);
    this.target = toSshTarget(props);
    const stack = HostnetStack.of(this);
    this.firewall = props.firewall ?? stack.firewall;
    this.hookLock =
      props.hookLock === false
        ? false
        : { leaseSeconds: props.hookLock?.leaseSeconds ?? DEFAULT_LOCK_LEASE, waitSeconds: props.hookLock?.waitSeconds ?? DEFAULT_LOCK_WAIT };
    this.hookEnvironment = {
      ...sshEnvironment(this.target),
      ...(this.hookLock
        ? { HN_STACK: stack.stackName, HN_LOCK_LEASE: String(this.hookLock.leaseSeconds), HN_LOCK_WAIT: String(this.hookLock.waitSeconds) }
        : {}),
      // Copies sharing one state (pgBackend) are one owner of the hook lock: Terraform's state lock serialises them already.
      ...(this.hookLock && stack.sharedStateId ? { HN_LOCK_OWNER: stack.sharedStateId } : {}),
    };
    // Every value in these scripts (names, ids, the stack name) is also checked by
    // the object it belongs to, which reports a value no shell can carry; here it
    // must only not throw, since cdktf resolves triggers before our validations run.
    const hook = (id: string, path: string, summary: string, scripts: () => { create: string; destroy: string }, dependsOn?: HookResource[]) =>
      createHookResource(this, id, {
        type: stack.resourceType,
        path,
        environment: this.hookEnvironment,
        dependsOn,
        triggers: () => ({
          address: this.target.address,
          port: String(this.target.port),
          ...renderProblems(scripts, { create: "", destroy: "" }).value,
          after: "",
          summary,
        }),
      });
    // Two hooks, so that adding an object replaces only the sweep (its keep
    // list changes) and not the preflight (keyed by commands and modules).
    this.preflight = hook("hostnet", this.node.path, `preflight of host ${this.node.id}`, () => ({
      create: this.createScript(),
      destroy: this.destroyScript(),
    }));
    this.resource = hook(
      "hostnet-sweep",
      `${this.node.path}/sweep`,
      `sweep of host ${this.node.id}`,
      () => ({ create: this.sweepScript(), destroy: `# hostnet: nothing to undo for the sweep of host ${commentSafe(this.node.id)}` }),
      [this.preflight],
    );
    addProblems(this, () => [...this.validate(), ...this.validateObjects()]);
    if (props.firewall !== undefined) addProblems(this, () => firewallProblems(String(props.firewall), "props.firewall"));
  }

  /** The host's own first hook: the preflight. */
  createScript(): string {
    const uniqSorted = (xs: string[]) => [...new Set(xs)].sort();
    return renderHostPreflight({
      stack: HostnetStack.of(this).stackName,
      host: this.node.id,
      // sha256sum: a destroy checks the host's ledger copy of its script against the hash in state (src/transport/ssh.ts).
      commands: uniqSorted([...this.objects.flatMap((o) => o.requiredCommands()), ...(this.objects.length > 0 ? ["sha256sum"] : [])]),
      modules: uniqSorted(this.objects.flatMap((o) => o.requiredModules())),
      bridges: uniqSorted(
        this.objects.filter((o) => o.kind === "bridge" && !(o as NetObject & { namespace?: unknown }).namespace).map((o) => o.objectName),
      ),
      flows: this.forwardedFlows(),
      firewall: this.firewallInUse(),
    });
  }

  /** The host's second hook: the sweep of objects that left the stack. */
  sweepScript(): string {
    return renderHostSweep({ stack: HostnetStack.of(this).stackName, host: this.node.id, keep: this.objects.map((o) => o.ref.id) });
  }

  /** The firewall backend, when an object on this host writes firewall rules (NatRule). */
  private firewallInUse(): FirewallChoice | undefined {
    const rules = this.objects.some((o) => (o as NetObject & { usesFirewall?: () => boolean }).usesFirewall?.());
    return rules ? this.firewall : undefined;
  }

  /**
   * What the stack forwards through this host's root namespace, for the firewall
   * checks: its IPv4 flows when the stack turns net.ipv4.ip_forward on there, its
   * IPv6 flows when it turns net.ipv6.conf.all.forwarding on (a family the host
   * does not forward is not checked: its firewall cannot drop what never passes).
   */
  forwardedFlows(): Flow[] {
    const on = (key: string) => this.objects.some((o) => o instanceof Sysctl && !o.namespace && o.key === key && o.value === "1");
    const v4 = on("net.ipv4.ip_forward");
    const v6 = on("net.ipv6.conf.all.forwarding");
    if (!v4 && !v6) return [];
    return mergeFlows(this.objects.flatMap((o) => o.forwardedFlows()).filter((f) => (f.cidr.includes(":") ? v6 : v4)));
  }

  /** Host-wide drift probe for `hostnet check`: tools present, firewall lets the stack's traffic through. */
  checks(): string[] {
    const firewall = this.firewallInUse();
    return checkHost({
      iptables: this.objects.some((o) => o.requiredCommands().includes("iptables")),
      flows: this.forwardedFlows(),
      ...(firewall ? { backend: { firewall, stack: HostnetStack.of(this).stackName } } : {}),
    });
  }

  /** The host's last hook: removes the stack's (empty) ledger directory. */
  destroyScript(): string {
    return renderHostDestroy({ stack: HostnetStack.of(this).stackName, host: this.node.id, firewall: this.firewallInUse() });
  }

  /** Every object on this host, in creation order. */
  get netObjects(): readonly NetObject[] {
    return this.objects;
  }

  /** Subnets declared in this host's scope. */
  subnets(): Subnet[] {
    return this.node.findAll().filter(Subnet.isSubnet);
  }

  /** @internal called by NetObject */
  register(o: NetObject): void {
    this.objects.push(o);
  }

  /** net.ipv4.ip_forward=1 in the root namespace, restored on destroy; one per host. */
  enableForwarding(): Sysctl {
    return ipForwarding(this);
  }

  private validate(): string[] {
    // Nothing else about the host can be judged without its inventory entry.
    if (this.inventory?.unreadable !== undefined) return [this.inventory.unreadable];
    const t = this.target;
    // The check's own advice, then the prop to fix.
    const fix = (p: Problem | null, prop: string) => (p ? `${problemText(p)} Fix props.${prop}.` : null);
    const inv = this.inventory;
    // An inventory without the address (and props without one): say which file lacks it.
    const noAddress =
      inv && t.address === undefined
        ? `inventory ${inv.file} has no "address" for host "${inv.host}". Add it there, or pass props.address to Host.fromInventory.`
        : null;
    const errs = [
      noAddress ?? fix(hostAddressProblem(t.address), "address"),
      fix(portProblem(t.port, "SSH port"), "port"),
      fix(userProblem(t.user), "user"),
      this.sameMachine(),
    ];
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(this.node.id)) {
      errs.push(
        `host id "${printable(this.node.id)}" is used in scripts and file names; use 1-63 letters, digits, "_", "." or "-". Change the construct id.`,
      );
    }
    if (t.identityFile !== undefined) errs.push(checkPath(t.identityFile, "identity file path"));
    if (t.knownHostsFile !== undefined) errs.push(checkPath(t.knownHostsFile, "known_hosts path"));
    if (t.hostKey !== undefined) errs.push(checkHostKey(t.hostKey));
    if (!t.insecureIgnoreHostKey && !t.knownHostsFile && !t.hostKey) {
      if (inv && inv.given.hostKey === undefined && inv.given.knownHostsFile === undefined)
        errs.push(
          `inventory ${inv.file} has neither "knownHostsFile" nor "hostKey" for host "${inv.host}". Add one there, or pass props.hostKey or props.knownHostsFile to Host.fromInventory.`,
        );
      else
        errs.push(
          `no pinned host key for ${t.address}. Set props.hostKey ("ssh-ed25519 AAAA...") or props.knownHostsFile, or set insecureIgnoreHostKey: true to accept any key.`,
        );
    }
    if (this.hookLock) {
      const { leaseSeconds: l, waitSeconds: w } = this.hookLock;
      if (!Number.isInteger(l) || l < 1 || l > 86400)
        errs.push(`hookLock.leaseSeconds ${l} must be a whole number of seconds from 1 to 86400. Fix props.hookLock.leaseSeconds.`);
      if (!Number.isInteger(w) || w < 0 || w > 86400)
        errs.push(`hookLock.waitSeconds ${w} must be a whole number of seconds from 0 to 86400. Fix props.hookLock.waitSeconds.`);
    }
    if (t.jump) {
      errs.push(
        fix(hostAddressProblem(t.jump.address), "jumpHost.address"),
        fix(portProblem(t.jump.port, "jump host port"), "jumpHost.port"),
        fix(userProblem(t.jump.user), "jumpHost.user"),
      );
      if (!t.insecureIgnoreHostKey && !t.knownHostsFile)
        errs.push(`a jump host needs props.knownHostsFile holding both the jump host's and the target's keys.`);
    }
    return errs.filter((e): e is string => e !== null);
  }

  /**
   * Two Hosts for one machine (same address and port) in one stack share the
   * stack's ledger there, and each one's sweep removes the other's objects.
   * Reported by the later one, naming the earlier.
   */
  private sameMachine(): string | null {
    const key = (h: Host) => `${String(h.target.address).toLowerCase()}|${h.target.port}`;
    const first = HostnetStack.of(this)
      .node.findAll()
      .find((c): c is Host => isHost(c) && key(c) === key(this));
    if (!first || first === this) return null;
    return (
      `address ${this.target.address} ` +
      `port ${this.target.port} is also ` +
      `host ${first.node.path} in this stack; two Hosts for one machine would remove each other's objects (each one's sweep deletes what it ` +
      `did not create there). Create all objects of that machine under one Host (${first.node.path}).`
    );
  }

  /** Clashes between the objects of this host (names, addresses, subnets, published ports). */
  private validateObjects(): PathProblem[] {
    const place = (ns?: NamespaceLike) => (ns ? `netns ${ns.name}` : "root");
    const objs = this.objects;
    return checkHostFacts({
      namespaces: objs.flatMap((o) => o.namespaces().map((name) => ({ name, place: "host", path: o.node.path }))),
      interfaces: objs.flatMap((o) => o.interfaces().map((i) => ({ name: i.name, place: place(i.namespace), path: o.node.path }))),
      addresses: objs.flatMap((o) =>
        o.assignedAddresses().map((a) => ({ cidr: a.cidr, iface: a.iface, place: place(a.namespace), path: o.node.path })),
      ),
      subnets: this.subnets().map((s) => ({ cidr: s.cidr, path: s.node.path })),
      publishes: objs.flatMap((o) => o.publishedPorts().map((p) => ({ ...p, path: o.node.path }))),
      sourceNats: objs.flatMap((o) => o.sourceNats().map((n) => ({ ...n, place: place(n.namespace), path: o.node.path }))),
      routes: objs.flatMap((o) =>
        o.routes().map((r) => ({ destination: r.destination, via: r.via, onlink: r.onlink, place: place(r.namespace), path: o.node.path })),
      ),
    });
  }
}
