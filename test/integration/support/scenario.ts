/**
 * One scenario example on its own lab: lab up, snapshot every host, deploy the
 * example's main.ts with the real cdktf CLI; at the end destroy (when a test
 * stopped before a clean destroy), lab down. Each scenario test file gets its own lab name
 * and subnet index so scenarios never share hosts.
 */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../../src/lab";
import { CdktfProject, RunOutput } from "./cdktf-project";
import { Probes } from "./traffic";

export interface ScenarioOptions {
  /** Lab name (at most 8 characters). */
  readonly lab: string;
  /** Third octet of the lab subnet 198.18.N.0/24. */
  readonly index: number;
  readonly hosts: number;
  /** Example folder under examples/. */
  readonly example: string;
  /** Stack name the example's main.ts uses. */
  readonly stack: string;
}

/** A Scenario whose lab comes up in beforeAll and goes down in afterAll (probes stopped first). */
export function useScenario(opts: ScenarioOptions): Scenario {
  const s = new Scenario(opts);
  beforeAll(() => s.up(), 120_000);
  afterAll(() => s.down(), 300_000);
  return s;
}

export class Scenario {
  inv!: Inventory;
  project!: CdktfProject;
  /** Processes the tests start on the hosts; stopped by down(). */
  readonly probes = new Probes(() => this.inv);
  /** Host name -> snapshot taken before the first deploy. */
  readonly before = new Map<string, string>();
  private readonly labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
  // False after a deploy until a destroy succeeds: then down() has nothing to destroy.
  private clean = true;

  constructor(readonly opts: ScenarioOptions) {}

  get hostNames(): string[] {
    return Object.keys(this.inv.hosts).sort();
  }

  /** Lab up and before-snapshots. For beforeAll. */
  async up(): Promise<void> {
    this.inv = await labUp({ name: this.opts.lab, hosts: this.opts.hosts, index: this.opts.index, dir: this.labDir });
    for (const h of this.hostNames) this.before.set(h, await hostSnapshot(this.inv, h));
    this.project = new CdktfProject(`examples/${this.opts.example}/main.ts`, this.opts.stack, {
      HOSTNET_INVENTORY: path.join(this.labDir, this.opts.lab, "inventory.json"),
    });
  }

  /**
   * Switch to another example on the same lab (a file with several scenarios on one lab):
   * the current one must have been destroyed. Its cdktf project directory is removed.
   */
  useExample(example: string, stack: string): void {
    if (!this.clean) throw new Error(`destroy ${this.project.stack} before switching to ${stack}`);
    this.project.remove();
    this.project = new CdktfProject(`examples/${example}/main.ts`, stack, {
      HOSTNET_INVENTORY: path.join(this.labDir, this.opts.lab, "inventory.json"),
    });
  }

  /** Stop the probes, destroy whatever is left, lab down. For afterAll: runs even when a test failed. */
  async down(): Promise<void> {
    try {
      if (this.inv) await this.probes.stopAll();
      if (this.project) {
        if (!this.clean) await this.project.destroy();
        this.project.remove();
      }
    } finally {
      await labDown({ name: this.opts.lab, dir: this.labDir });
      rmSync(this.labDir, { recursive: true, force: true });
    }
  }

  deploy(): Promise<RunOutput> {
    this.clean = false;
    return this.project.deploy();
  }

  async destroy(): Promise<RunOutput> {
    const r = await this.project.destroy();
    this.clean = r.exitCode === 0;
    return r;
  }

  /** Host name -> snapshot now. */
  async snapshots(): Promise<Map<string, string>> {
    const now = new Map<string, string>();
    for (const h of this.hostNames) now.set(h, await hostSnapshot(this.inv, h));
    return now;
  }

  /** Run a script on a host; stdout, or throw with stderr when it fails. */
  async sh(host: string, script: string): Promise<string> {
    const r = await hostExec(this.inv, host, script);
    if (r.exitCode !== 0) throw new Error(`on host ${host}: ${script}\nexit ${r.exitCode}: ${r.stderr}`);
    return r.stdout;
  }

  address(host: string): string {
    return this.inv.hosts[host].address;
  }
}
