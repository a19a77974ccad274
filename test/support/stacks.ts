/** Building and synthesizing hostnet stacks in synth tests. */
import { App, Testing } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Host, HostnetStack, HostProps } from "../../constructs";
import { HostnetStackProps } from "../../constructs/hostnet-stack";
import { validateStack } from "../../constructs/synth";

export const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFLaLzjWwhzi4ie45/rm3ZfzUE67Q4iWjnkGxVtBj/Lw";

// One output directory per test file instead of one per app, removed when the file's tests end.
let outdir: string | undefined;
afterAll(() => {
  if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  outdir = undefined;
});

export function newStack(props?: HostnetStackProps): { app: App; stack: HostnetStack } {
  outdir ??= fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-synth-"));
  const app = Testing.app({ outdir });
  return { app, stack: new HostnetStack(app, "s", props) };
}

export function newHost(stack: HostnetStack, id = "a", props: Partial<HostProps> = {}): Host {
  return new Host(stack, id, { address: "198.18.0.10", hostKey: HOST_KEY, identityFile: "/k/id", ...props });
}

export interface SynthResource {
  depends_on?: string[];
  triggers_replace?: Record<string, string>;
  triggers?: Record<string, string>;
  provisioner: Array<{ "local-exec": { environment: Record<string, string>; when?: string } }>;
}

/** The synthesized JSON of a stack (no validation). */
export function synthJson(stack: HostnetStack): {
  resource: Record<string, Record<string, SynthResource>>;
  provider?: Record<string, unknown>;
  terraform?: any;
} {
  return JSON.parse(Testing.synth(stack));
}

/**
 * The validation problems of a stack, as `validateStack` returns them (and
 * `synthOrExit` prints them): each names its construct path, the bad value and
 * the fix. [] when the stack is valid, and then it has also synthesized.
 */
export function validationErrors(stack: HostnetStack): string[] {
  const problems = validateStack(stack);
  if (problems.length === 0) Testing.synth(stack, true);
  return problems;
}

/** The same problems; the name the older tests use. */
export function messages(stack: HostnetStack): string[] {
  return validationErrors(stack);
}

/** Resource name (within its type) of the hook whose construct path is `path`. */
export function resourceOf(json: ReturnType<typeof synthJson>, type: string, path: string): string {
  const found = Object.entries(json.resource[type] ?? {}).filter(([, r]) => r.provisioner[0]["local-exec"].environment.HN_PATH === path);
  if (found.length !== 1) throw new Error(`expected one ${type} for ${path}, found ${found.length}`);
  return found[0][0];
}
