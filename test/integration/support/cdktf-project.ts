/**
 * A throwaway cdktf project directory for integration tests: its own cdktf.json
 * (pointing at a fixture app), its own cdktf.out and Terraform state, driven by
 * the real cdktf CLI and terraform binaries.
 */
import execa from "execa";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const BIN = path.join(ROOT, "node_modules", ".bin");

export interface RunOutput {
  readonly exitCode: number;
  readonly output: string;
}

export class CdktfProject {
  readonly dir: string;

  constructor(
    app: string,
    readonly stack: string,
    private readonly env: Record<string, string>,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), "hostnet-it-"));
    writeFileSync(
      path.join(this.dir, "cdktf.json"),
      JSON.stringify({
        language: "typescript",
        app: `${path.join(BIN, "ts-node")} --transpile-only ${path.join(ROOT, app)}`,
        terraformProviders: [],
        sendCrashReports: "false",
      }),
    );
  }

  /** Where cdktf writes the stack's Terraform JSON (and where terraform runs). */
  get stackDir(): string {
    return path.join(this.dir, "cdktf.out", "stacks", this.stack);
  }

  cdktf(...args: string[]): Promise<RunOutput> {
    return this.run(path.join(BIN, "cdktf"), args, this.dir);
  }

  /** The hostnet CLI (check, gc, plan) run in the project directory. */
  hostnet(...args: string[]): Promise<RunOutput> {
    return this.run(path.join(ROOT, "bin", "hostnet"), args, this.dir);
  }

  terraform(...args: string[]): Promise<RunOutput> {
    return this.run("terraform", args, this.stackDir);
  }

  deploy(...extra: string[]): Promise<RunOutput> {
    return this.cdktf("deploy", "--auto-approve", ...extra, this.stack);
  }

  /**
   * Deploy, letting Terraform wait up to `lockTimeout` (e.g. "300s") for a state
   * lock that another run holds instead of failing at once. cdktf deploy has no
   * flag for it, so it reaches `terraform apply` as TF_CLI_ARGS_apply.
   */
  deployWaitingForLock(lockTimeout: string, ...extra: string[]): Promise<RunOutput> {
    return this.run(path.join(BIN, "cdktf"), ["deploy", "--auto-approve", ...extra, this.stack], this.dir, {
      TF_CLI_ARGS_apply: `-lock-timeout=${lockTimeout}`,
    });
  }

  /** Change the environment the app sees from the next command on (e.g. to drop a construct). */
  setEnv(env: Record<string, string>): void {
    Object.assign(this.env, env);
  }

  destroy(): Promise<RunOutput> {
    return this.cdktf("destroy", "--auto-approve", this.stack);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async run(cmd: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<RunOutput> {
    const r = await execa(cmd, args, {
      cwd,
      reject: false,
      all: true,
      env: {
        ...this.env,
        ...extraEnv,
        CI: "true",
        CHECKPOINT_DISABLE: "1",
        FORCE_COLOR: "0",
        TF_CLI_CONFIG_FILE: path.join(ROOT, ".hostnet", "terraformrc"),
        TF_IN_AUTOMATION: "1",
      },
      timeout: 300_000,
    });
    return { exitCode: r.exitCode ?? -1, output: r.all ?? "" };
  }
}

/** Assert a command succeeded; on failure the message carries the last lines of its output. */
export function expectSuccess(r: RunOutput): void {
  if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}; last output:\n${r.output.split("\n").slice(-40).join("\n")}`);
}
