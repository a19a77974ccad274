/**
 * The scripts of a stack's hooks as Terraform gets them: Terraform's values hold
 * only their sha256 (HookState in src/plan/hook-resource.ts), the text is in the
 * files beside cdk.tf.json. One full synthesis (validations skipped, like
 * Testing.synth) into a temporary folder, read back.
 */
import { TerraformStack } from "cdktf";
import { Manifest } from "cdktf/lib/manifest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SCRIPTS_DIR } from "../../src/plan/hook-resource";

export interface HookScripts {
  /** Resource type and name in cdk.tf.json. */
  readonly type: string;
  readonly name: string;
  /** The create script exactly as the hook sends it (without the file's last newline). */
  readonly create: string;
  /** The destroy script: from the file named by destroy_sha256, or the text the state keeps. */
  readonly destroy: string;
  /** What Terraform stores: triggers_replace (terraform_data) or triggers (null_resource). */
  readonly state: Record<string, string>;
  /** The synthesized cdk.tf.json. */
  readonly json: any;
}

const unescape = (s: string) => s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");

/**
 * What one synthesis writes for the stack: cdk.tf.json (parsed) and every other
 * file of its folder by relative path (the scripts, the transport), review folder excluded.
 */
export function synthFiles(stack: TerraformStack): { json: any; files: Record<string, string> } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-scripts-"));
  try {
    const manifest = new Manifest("stubbed", outdir, false);
    stack.synthesizer.synthesize({ outdir, manifest, skipValidation: true });
    // Without cdktf's "//" metadata, as Testing.synth gives it.
    const json = JSON.parse(fs.readFileSync(path.join(outdir, manifest.forStack(stack).synthesizedStackPath), "utf8"), (k, v) =>
      k === "//" ? undefined : v,
    );
    const root = path.join(outdir, manifest.forStack(stack).workingDirectory);
    const files: Record<string, string> = {};
    const walk = (rel: string) => {
      for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (r !== "review") walk(r);
        } else if (r !== "cdk.tf.json") files[r] = fs.readFileSync(path.join(root, r), "utf8");
      }
    };
    walk("");
    return { json, files };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Every hook of the stack by construct path (HN_PATH). */
export function synthScripts(stack: TerraformStack): Map<string, HookScripts> {
  const { json, files } = synthFiles(stack);
  const read = (sha: string) => {
    const text = files[`${SCRIPTS_DIR}/${sha}.sh`];
    if (text === undefined) throw new Error(`no ${SCRIPTS_DIR}/${sha}.sh beside cdk.tf.json`);
    if (!text.endsWith("\n")) throw new Error(`${SCRIPTS_DIR}/${sha}.sh does not end with a newline`);
    return text.slice(0, -1);
  };
  const out = new Map<string, HookScripts>();
  for (const type of ["terraform_data", "null_resource"]) {
    for (const [name, r] of Object.entries<any>(json.resource?.[type] ?? {})) {
      const state: Record<string, string> | undefined = r.triggers_replace ?? r.triggers;
      const p: string | undefined = r.provisioner?.[0]?.["local-exec"]?.environment?.HN_PATH;
      if (!state?.create_sha256 || p === undefined) continue;
      const destroy = state.destroy_sha256 ? read(state.destroy_sha256) : unescape(state.destroy);
      out.set(p, { type, name, create: read(state.create_sha256), destroy, state, json });
    }
  }
  return out;
}

/** The hook of one construct path; throws when the stack has none. */
export function scriptsOf(stack: TerraformStack, constructPath: string): HookScripts {
  const found = synthScripts(stack).get(constructPath);
  if (!found) throw new Error(`no hook for ${constructPath}`);
  return found;
}
