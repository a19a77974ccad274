/**
 * When a stack's shared-pool addresses are freed: never at synth (a copy that
 * only plans must not free an address its deployed endpoint still uses), but
 * by two resources the stack gets once it claims with `owner: stack`:
 *
 * - `hostnet-pool-commit` depends on every other resource of the stack and is
 *   replaced whenever the stack's set of claimed addresses changes. Its create
 *   provisioner runs only when the apply got that far, i.e. every hook
 *   (including the host hook's sweep that removes objects which left the
 *   stack) succeeded; it then makes the pool hold exactly that set for the
 *   stack, freeing the rest. The set itself is written beside cdk.tf.json
 *   (hostnet-pool.json; 1,000 holders would be 60 KB of state), and its hash is
 *   the trigger.
 * - `hostnet-pool-release` changes only when the pool moves; every root hook
 *   depends on it, so it is destroyed last, and its destroy provisioner frees
 *   all of the stack's addresses (`cdktf destroy`).
 *
 * Both run bin/hostnet-pool-commit.js with the pool's connection without a
 * password (it reads PGPASSWORD or ~/.pgpass).
 */
import { Aspects, ISynthesisSession, Lazy, LocalExecProvisioner, TerraformResource, TerraformStack } from "cdktf";
import { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
import { Construct } from "constructs";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { tfEscape } from "../src/plan/hook-resource";
import { PgTarget } from "../src/ipam/pg-connection";
import type { RecordedClaim } from "../src/ipam/shared-pool";
import { ConstructError, HostnetError } from "../src/errors";

/** File beside cdk.tf.json that holds the stack's claimed set. */
export const POOL_FILE = "hostnet-pool.json";

/** A bare terraform_data whose triggers are computed at synth. */
class TerraformData extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly produce: () => Record<string, string>,
    provisioners: LocalExecProvisioner[],
  ) {
    super(scope, id, { terraformResourceType: "terraform_data", terraformGeneratorMetadata: { providerName: "terraform" }, provisioners });
  }

  protected synthesizeAttributes(): { [name: string]: any } {
    return { triggers_replace: this.produce() };
  }

  protected synthesizeHclAttributes(): { [name: string]: any } {
    return { triggers_replace: { value: this.produce(), isBlock: false, type: "map", storageClassType: "stringMap" } };
  }
}

function script(): string {
  for (const dir of [path.resolve(__dirname, "..", "bin"), path.resolve(__dirname, "..", "..", "bin")]) {
    const f = path.join(dir, "hostnet-pool-commit.js");
    if (fs.existsSync(f)) return f;
  }
  throw new HostnetError("hostnet: bin/hostnet-pool-commit.js is missing from the hostnet package; reinstall it.", 1);
}

export class PoolCommit extends Construct {
  private readonly claims = new Map<string, { pool: string; cidr: string; holder: string; ip: string }>();
  private where?: { target: PgTarget; table: string };
  private readonly commit: TerraformResource;
  private readonly release: TerraformResource;

  constructor(
    private readonly stack: TerraformStack,
    private readonly owner: string,
  ) {
    super(stack, "hostnet-pool");
    const env = (op: string): Record<string, string> => ({
      HN_NODE: process.execPath,
      HN_POOL_SCRIPT: script(),
      HN_POOL_OWNER: "${self.triggers_replace.owner}",
      HN_POOL_TABLE: "${self.triggers_replace.table}",
      HN_POOL_TARGET: "${self.triggers_replace.target}",
      // Who connects and how (user, TLS) is the current configuration's, not the
      // state's: a destroy after the server turned SSL off, or from another
      // engineer's copy, must connect as configured now, and changing these
      // must not replace the resource (its destroy would free every address).
      HN_POOL_CONN: Lazy.stringValue({ produce: () => tfEscape(JSON.stringify(this.connection())) }),
      ...(op === "commit" ? { HN_POOL_SET: "${self.triggers_replace.set}", HN_POOL_FILE: `\${path.module}/${POOL_FILE}` } : {}),
    });
    const run = (op: string): LocalExecProvisioner => ({
      type: "local-exec",
      interpreter: ["/bin/sh", "-c"],
      command: `exec "$HN_NODE" "$HN_POOL_SCRIPT" ${op}`,
      environment: env(op),
      ...(op === "release-all" ? { when: "destroy" as const } : {}),
    });
    const place = () => {
      const t = this.where!.target;
      return { owner: this.owner, table: this.where!.table, target: tfEscape(JSON.stringify({ host: t.host, port: t.port, database: t.database })) };
    };
    this.release = new TerraformData(this, "release", place, [run("release-all")]);
    this.commit = new TerraformData(this, "commit", () => ({ ...place(), set: this.hash() }), [run("commit")]);
    // Before every synth (cdktf's and Testing.synth alike), when all the stack's resources exist.
    Aspects.of(this).add({ visit: (node) => void (node === this && this.wire()) });
    addCustomSynthesis(this, {
      onSynthesize: (session: ISynthesisSession) => {
        const dir = path.join(session.outdir, session.manifest.forStack(this.stack).workingDirectory);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, POOL_FILE), this.fileText());
      },
    });
  }

  /** The connection settings that are not where the pool is: user, TLS, application name. */
  private connection(): Partial<PgTarget> {
    if (!this.where) return {};
    const { host: _h, port: _p, database: _d, ...rest } = this.where.target;
    return rest;
  }

  /** A claim made for the stack; every claim of one synth adds to the set. */
  add(c: RecordedClaim): void {
    const where = { target: c.target, table: c.table };
    if (this.where && JSON.stringify(this.where) !== JSON.stringify(where)) {
      throw new ConstructError(
        `claims from two shared pool tables or servers (${JSON.stringify(this.where)} and ${JSON.stringify(where)}); a stack's claims must all come from one, so its deploy can free them.`,
        this.stack,
      );
    }
    this.where = where;
    for (const [holder, ip] of c.addresses) this.claims.set(`${c.pool}\0${holder}`, { pool: c.pool, cidr: c.cidr, holder, ip });
  }

  /**
   * Run before synth: the commit comes after every other resource, and the
   * release before every root (so it is destroyed after all of them).
   */
  wire(): void {
    const mine = new Set<unknown>([this.commit, this.release]);
    const all = this.stack.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource && !mine.has(c));
    const address = (r: TerraformResource) => `${r.terraformResourceType}.${r.friendlyUniqueId}`;
    for (const r of all) if (!r.dependsOn || r.dependsOn.length === 0) r.dependsOn = [address(this.release)];
    this.commit.dependsOn = all.map(address).sort();
  }

  private fileText(): string {
    const claims = [...this.claims.values()].sort((a, b) => (a.pool === b.pool ? (a.holder < b.holder ? -1 : 1) : a.pool < b.pool ? -1 : 1));
    return JSON.stringify({ owner: this.owner, claims }, null, 1) + "\n";
  }

  private hash(): string {
    return createHash("sha256").update(this.fileText()).digest("hex").slice(0, 16);
  }
}
