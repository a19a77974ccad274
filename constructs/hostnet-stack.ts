import { App, PgBackend, PgBackendConfig, TerraformStack } from "cdktf";
import { nullProviderClass } from "../src/plan/null-provider";
import { Construct, IConstruct } from "constructs";
import { ResourceType, resolveHooksOnce } from "../src/plan/hook-resource";
import { ReviewSynthesizer } from "../src/review/synthesizer";
import { ManifestSynthesizer } from "../src/plan/manifest-synthesizer";
import { LockData, LockedSubnet, readLockFile } from "../src/ipam/lock";
import { defaultLockFile, LockSynthesizer } from "../src/ipam/lock-synthesizer";
import { defaultSchemaName, parsePgConnStr, stateIdentity } from "../src/ipam/pg-connection";
import type { PoolOwner, RecordedClaim } from "../src/ipam/shared-pool";
import { HostnetError } from "../src/errors";
import { brand, hasBrand } from "./guard";
import { buildManifest } from "./manifest";
import { buildReviewSource } from "./review-model";
import { PoolCommit } from "./pool-commit";
import { addProblems } from "./problems";
import { FIREWALL_CHOICES, FirewallChoice } from "../src/render/nft";

export interface HostnetStackProps {
  /**
   * Terraform resource that carries the hooks. `terraform_data` is built into
   * Terraform >= 1.4 and OpenTofu and needs no provider (works air-gapped);
   * `null_resource` needs the hashicorp/null provider from a registry.
   * @default "terraform_data"
   */
  readonly resourceType?: ResourceType;
  /**
   * The lock file that records IPAM allocations so addresses stay put when
   * endpoints are added, removed or reordered; `false` to record nothing.
   * @default "hostnet.lock.json" beside cdktf.json when the app runs in a cdktf project directory, else none
   */
  readonly lockFile?: string | false;
  /**
   * Keep the Terraform state in PostgreSQL (Terraform's built-in `pg` backend,
   * no provider download) so a team shares it, with locking. Each stack gets
   * its own schema (`schemaName`, default `hostnet_<stack name>`), so stacks
   * sharing one connStr never share a state; state written before hostnet
   * chose the schema is in `terraform_remote_state` (set that as schemaName
   * to keep it there). A password in connStr is refused: set PGPASSWORD (or a
   * ~/.pgpass) where synth and terraform run. `sslmode` is made explicit
   * (absent: `require`, `disable` for a unix socket) and is what the shared
   * address pool uses for the same string.
   * @default local state files beside the stack
   */
  readonly pgBackend?: PgBackendConfig;
  /**
   * The firewall backend of every Host in the stack that does not set its own
   * (`Host` props.firewall): `"iptables"` (rules through the iptables command),
   * `"nftables"` (one `table inet hostnet_<stack>` per host, written with `nft -f`),
   * or `"auto"` (decided on each host at deploy: nftables where `nft` exists and
   * iptables is nf_tables-backed or absent, else iptables).
   * @default the HOSTNET_FIREWALL environment variable at synth, else "iptables"
   */
  readonly firewall?: FirewallChoice;
}

const HOSTNET_STACK = Symbol.for("hostnet.HostnetStack");

/** Thrown by HostnetStack.of for a construct created outside any HostnetStack. */
export class NotInHostnetStackError extends HostnetError {
  constructor(readonly path: string) {
    super(`${path}: hostnet constructs must be created inside a HostnetStack. Replace "new TerraformStack(...)" with "new HostnetStack(...)".`);
    this.name = "NotInHostnetStackError";
  }
}

/** What the stack needs from a Subnet to record its allocations. */
export interface LockedSource {
  readonly node: { readonly path: string };
  /** The subnet's allocations, or undefined when it has nothing valid to record. */
  lockEntry(): LockedSubnet | undefined;
}

/**
 * A Terraform stack of host networks. Every hostnet construct lives inside one.
 *
 * @example
 * ```ts
 * const app = new App();
 * const stack = new HostnetStack(app, "edge"); // state: terraform.edge.tfstate
 * const host = Host.fromInventory(stack, "a", "inventory.json");
 * new Namespace(host, "web");
 * synthOrExit(app);
 * ```
 */
export class HostnetStack extends TerraformStack implements PoolOwner {
  /** True for a HostnetStack (by symbol, not instanceof). */
  static isHostnetStack(x: unknown): x is HostnetStack {
    return hasBrand(x, HOSTNET_STACK);
  }

  /** The HostnetStack a construct belongs to (itself, or its nearest such ancestor); throws NotInHostnetStackError outside one. */
  static of(c: IConstruct): HostnetStack {
    const stack = HostnetStack.tryOf(c);
    if (!stack) throw new NotInHostnetStackError(c.node.path);
    return stack;
  }

  /** The HostnetStack a construct belongs to, or undefined outside one. */
  static tryOf(c: IConstruct): HostnetStack | undefined {
    for (let s: IConstruct | undefined = c; s; s = s.node.scope) if (HostnetStack.isHostnetStack(s)) return s;
    return undefined;
  }

  readonly resourceType: ResourceType;
  /** The firewall backend of Hosts that do not choose one (props.firewall). */
  readonly firewall: FirewallChoice;
  /** The stack name used in tags and the host ledger. */
  readonly stackName: string;
  /** Absolute path of the lock file, when allocations are recorded. */
  readonly lockFile?: string;
  /**
   * Who the Terraform state is when working copies share it (pgBackend): a
   * hash of server, port, database and schema. Hooks use it as the hook
   * lock's owner, so copies sharing one state (serialised by Terraform's state
   * lock already) never wait for each other's lease.
   */
  readonly sharedStateId?: string;
  private lock?: { data?: LockData; error?: string };
  private poolCommit?: PoolCommit;
  private readonly lockSources: LockedSource[] = [];

  constructor(scope: Construct, id: string, props: HostnetStackProps = {}) {
    super(scope, id);
    brand(this, HOSTNET_STACK);
    this.resourceType = props.resourceType ?? "terraform_data";
    this.stackName = id;
    this.firewall = props.firewall ?? ((process.env.HOSTNET_FIREWALL || "iptables") as FirewallChoice);
    addProblems(this, () =>
      firewallProblems(this.firewall, props.firewall === undefined ? "the HOSTNET_FIREWALL environment variable" : "props.firewall"),
    );
    if (this.resourceType === "null_resource") new (nullProviderClass())(this, "null");
    if (props.pgBackend) {
      const pg = props.pgBackend;
      const schemaName = pg.schemaName ?? defaultSchemaName(id);
      const { connection, problem } = parsePgConnStr(pg.connStr);
      // An unusable string is never written anywhere, even with validation skipped.
      new PgBackend(this, { ...pg, connStr: connection?.connStr ?? "invalid: see the synth error", schemaName });
      if (problem) addProblems(this, () => [`pgBackend ${problem}`]);
      else this.sharedStateId = stateIdentity(connection!.target, schemaName);
    }
    // Every synth also writes review/ (per-host up.sh, down.sh, PLAN.md) beside cdk.tf.json.
    this.synthesizer = new ReviewSynthesizer(this.synthesizer, this, () => buildReviewSource(this));
    // ... and hostnet.json, what `hostnet check` and `hostnet gc` read.
    this.synthesizer = new ManifestSynthesizer(this.synthesizer, this, () => buildManifest(this));
    this.lockFile = defaultLockFile(props.lockFile, App.of(this).outdir);
    // ... and records IPAM allocations in hostnet.lock.json (after validation passed).
    if (this.lockFile) {
      const file = this.lockFile;
      this.synthesizer = new LockSynthesizer(this.synthesizer, this.node.path, file, () => {
        if (this.loadLock().error) throw new HostnetError(this.loadLock().error!);
        const out: Record<string, LockedSubnet> = {};
        for (const s of this.lockSources) {
          const e = s.lockEntry();
          if (e && Object.keys(e.addresses).length > 0) out[s.node.path] = e;
        }
        return out;
      });
    }
    addProblems(this, () => (this.loadLock().error ? [this.loadLock().error!] : []));
    addProblems(this, () =>
      /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(id)
        ? []
        : [`stack name "${JSON.stringify(id).slice(1, -1)}" is used in tags and on-host paths; use 1-63 letters, digits, "_" or "-".`],
    );
  }

  /** The stack's Terraform JSON, the same as cdktf's; hostnet's own resources are resolved once rather than twice, for a faster synth. */
  toTerraform(): any {
    return resolveHooksOnce(this, () => super.toTerraform());
  }

  /** @internal called by SharedAddressPool.claim with `owner: stack`: the stack's deploy frees what it no longer claims. */
  recordPoolClaim(claim: RecordedClaim): void {
    this.poolCommit ??= new PoolCommit(this, this.stackName);
    this.poolCommit.add(claim);
  }

  /** @internal called by Subnet: its recorded allocations, read from the lock file once per synth. */
  lockedSubnet(source: LockedSource): LockedSubnet | undefined {
    if (!this.lockSources.includes(source)) this.lockSources.push(source);
    return this.loadLock().data?.subnets[source.node.path];
  }

  private loadLock(): { data?: LockData; error?: string } {
    if (!this.lockFile) return {};
    if (!this.lock) {
      try {
        this.lock = { data: readLockFile(this.lockFile) };
      } catch (e) {
        this.lock = { error: (e as Error).message };
      }
    }
    return this.lock;
  }
}

/** A firewall choice that is not one of the three, named with where it came from. */
export function firewallProblems(value: string, where: string): string[] {
  return (FIREWALL_CHOICES as readonly string[]).includes(value)
    ? []
    : [`firewall "${JSON.stringify(value).slice(1, -1)}" is not a firewall backend; use "iptables", "nftables" or "auto". Fix ${where}.`];
}
