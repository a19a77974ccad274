/**
 * The Terraform resource that carries one object's hooks. Two flavours with the
 * same hooks: `terraform_data` (built in, no provider, the default) and
 * `null_resource` (@cdktf/provider-null). The scripts' hashes (HookState), the
 * target address and the ids of the objects this one sits on are
 * replace-triggers: change any and Terraform destroys the old object and
 * creates the new one, hooks included. The scripts themselves are files beside
 * cdk.tf.json (ScriptFiles).
 */
import { nullResourceClass } from "./null-provider";
import {
  dependable,
  IResolvable,
  IResolveContext,
  IStackSynthesizer,
  ISynthesisSession,
  ITerraformDependable,
  Lazy,
  LocalExecProvisioner,
  TerraformResource,
  TerraformStack,
  Token,
} from "cdktf";
// Not re-exported by cdktf's index; TerraformAsset writes its files through it (cdktf is pinned).
import { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
// The merge cdktf itself applies to a resource's overrides (objects merged, arrays concatenated, undefined deletes).
import { deepMerge } from "cdktf/lib/util";
import * as fs from "fs";
import * as path from "path";
import { Construct } from "constructs";
import { HOOK_COMMAND, SCRIPTS_DIR } from "../transport/ssh";
import { ScriptDirWrite } from "./script-dir";
import { commentSafe } from "../render/quote";
import { ConstructError } from "../errors";
import { createHash } from "crypto";

export type ResourceType = "terraform_data" | "null_resource";

/**
 * `terraform_data` without cdktf's DataResource, which adds a validation to each
 * resource that spawns `terraform version` (1,000 resources: ~46 s of synth).
 * Its triggers are a plain value computed once, at the first synth pass: cdktf
 * resolves every element more than once, and each token it would otherwise
 * need records a full stack trace when created (~0.3-0.7 ms under ts-node),
 * which dominated synth of large stacks.
 */
class TerraformDataHook extends TerraformResource {
  private value?: Record<string, string>;

  constructor(
    scope: Construct,
    id: string,
    private readonly produce: () => Record<string, string>,
    meta: { provisioners: LocalExecProvisioner[] },
  ) {
    super(scope, id, {
      terraformResourceType: "terraform_data",
      terraformGeneratorMetadata: { providerName: "terraform" },
      provisioners: meta.provisioners,
    });
  }

  get id(): string {
    return this.getStringAttribute("id");
  }

  private triggers(): Record<string, string> {
    this.value ??= this.produce();
    return this.value;
  }

  protected synthesizeAttributes(): { [name: string]: any } {
    return { triggers_replace: this.triggers() };
  }

  /**
   * cdktf resolves every element three times: once with `preparing` set, only
   * to find cross-stack references, then once on its own and once more as part
   * of the whole stack (TerraformStack.toTerraform). A hook whose references
   * are all plain text (same stack, see idReference) and that nobody
   * customised has nothing to find, so it answers the preparing pass with an
   * empty fragment (10,000 endpoints: ~4 s less synth); inside
   * resolveHooksOnce it answers the other two with a placeholder and is
   * resolved once, after them.
   */
  toTerraform(): any {
    const full = () => super.toTerraform();
    const plain = () =>
      !Token.isUnresolved(this.triggers().after) &&
      (this.dependsOn ?? []).every((d) => !Token.isUnresolved(d)) &&
      Object.keys(this.rawOverrides).length === 0 &&
      [this.count, this.forEach, this.provider, this.lifecycle, this.connection].every((x) => x === undefined);
    const fragment: IResolvable = {
      creationStack: [],
      resolve: (context: IResolveContext) => {
        if (!plain()) return full();
        if (context.preparing) return {};
        const later = deferred.get(this.cdktfStack);
        if (!later) return full();
        const f = full();
        // moved or import blocks: resolved as cdktf does.
        if (Object.keys(f).some((k) => k !== "resource" && f[k] !== undefined)) return f;
        const [[type, byId]] = Object.entries(f.resource as Record<string, Record<string, unknown>>);
        const [[id, body]] = Object.entries(byId);
        // What cdktf does with a token's value (DefaultTokenResolver.resolveToken), once, here; a body without
        // tokens (every hook hostnet makes) resolves to a copy of itself, made without cdktf's walk.
        later.push({ type, id, body: withoutTokens(body) ?? context.resolve(body) });
        return { resource: { [type]: { [id]: {} } } };
      },
      toString: () => Token.asString(fragment),
    };
    return fragment;
  }

  protected synthesizeHclAttributes(): { [name: string]: any } {
    return { triggers_replace: { value: this.triggers(), isBlock: false, type: "map", storageClassType: "stringMap" } };
  }
}

const NOT_PLAIN = Symbol("not plain");
/**
 * Strings cdktf's resolve may change: a token's marker (string, list, map), or a number token written out (a
 * double of about -1.9e+289; JavaScript writes every large exponent as "e+" and digits).
 */
const MAY_HOLD_TOKEN = /TfToken\[|e\+\d/;

/**
 * What cdktf's resolve returns for a value that holds no token, or undefined when it may hold one: a copy of
 * plain objects, arrays, strings, booleans and nulls, with undefined left out, as resolve leaves it out. A
 * string without a token marker resolves to itself (its `${` and `}` are joined back as they were); numbers
 * (a number token is a number), other objects (Lazy, Intrinsic, any class) and token-like strings are left to
 * cdktf. A hook's body is ~60 values, and cdktf's walk (a context per key and value) was a third of a
 * 10,000-endpoint synth.
 */
export function withoutTokens(value: unknown): unknown {
  const copy = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (MAY_HOLD_TOKEN.test(v) || v === Token.STRING_MAP_TOKEN_VALUE || v === Token.ANY_MAP_TOKEN_VALUE) throw NOT_PLAIN;
      return v;
    }
    if (v === null || typeof v === "boolean") return v;
    if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(copy);
    if (typeof v === "object" && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue;
        if (MAY_HOLD_TOKEN.test(k)) throw NOT_PLAIN;
        out[k] = copy(x);
      }
      return out;
    }
    throw NOT_PLAIN;
  };
  try {
    return copy(value);
  } catch (e) {
    if (e === NOT_PLAIN) return undefined;
    throw e;
  }
}

/** Stacks inside resolveHooksOnce, with the resolved bodies of the hooks that answered with a placeholder. */
const deferred = new WeakMap<TerraformStack, Array<{ type: string; id: string; body: unknown }>>();

/**
 * The stack's Terraform JSON (`whole`: TerraformStack.toTerraform) with each
 * plain hook resolved once rather than twice: cdktf resolves every element,
 * then the merged whole again, and resolving (a context per key and value)
 * was a third of a 1,000-endpoint synth. Inside `whole` a plain hook resolves
 * its body as cdktf would and answers with an empty placeholder at its place;
 * here the body takes the placeholder's place, with whatever the stack's own
 * overrides put into it merged over the body, as cdktf merges them.
 */
export function resolveHooksOnce(stack: TerraformStack, whole: () => any): any {
  const later: Array<{ type: string; id: string; body: unknown }> = [];
  deferred.set(stack, later);
  let tf: any;
  try {
    tf = whole();
  } finally {
    deferred.delete(stack);
  }
  for (const { type, id, body: resolved } of later) {
    const byId = tf.resource?.[type];
    const placeholder = byId?.[id];
    // An override that removed the resource removed its placeholder: nothing to put back.
    if (placeholder === null || typeof placeholder !== "object") continue;
    byId[id] = Object.keys(placeholder).length === 0 ? resolved : deepMerge(resolved, placeholder);
  }
  return tf;
}

/** What a hook is made of; createHookResource decides what of it Terraform stores (see HookState). */
export interface HookTriggers {
  readonly address: string;
  readonly port: string;
  /** Create script, literal. */
  readonly create: string;
  /** Destroy script, literal. */
  readonly destroy: string;
  /** Space-separated ids of the resources this one sits on: Terraform references (`idReference`), not literal. */
  readonly after: string;
  /** One line for `terraform plan` and the state: what the hook is about ("veth web-veth on host a"). */
  readonly summary?: string;
}

/**
 * What Terraform stores of a hook (triggers_replace, or null_resource's
 * triggers); every field forces replacement when it changes. The scripts are
 * not values here: Terraform decodes, diffs and rewrites every value of every
 * resource on each walk and after each resource it applies, and the scripts
 * were 3.3 KB per endpoint of the 4.8 KB of state per resource (100 endpoints
 * up+down: +2.9 s, against 1.5 s for the bare resources). They are written
 * beside cdk.tf.json as SCRIPTS_DIR/<sha256>.sh (content-addressed, so the PR
 * shows every command) and the state keeps their sha256:
 * - create_sha256: the create provisioner reads SCRIPTS_DIR/<create_sha256>.sh
 *   with file(); the transport checks the text against the hash before sending.
 * - destroy_sha256 (hooks with a ledger entry, every NetObject): the destroy runs
 *   the copy that the create stored in the host's ledger, checked against this
 *   hash; the local file of that hash, if present, is the fallback (see
 *   DESTROY_RUNNER in src/transport/ssh.ts for the order and why).
 * - destroy (hooks without a ledger entry: the host's own, a few lines): the text.
 */
export type HookState = Record<string, string>;

/**
 * The largest script file a hook can carry: Terraform passes it to the hook's
 * shell as the environment value HN_SCRIPT, and Linux refuses to start a
 * process with one argument or environment string over 32 pages (131,072
 * bytes, "HN_SCRIPT=" and the terminating NUL included): spawn E2BIG.
 */
export const MAX_SCRIPT_BYTES = 131_072 - "HN_SCRIPT=".length - 1;

/** Folder beside cdk.tf.json holding every hook's scripts, named by their sha256. */
export { SCRIPTS_DIR };

/** A script's file content (the text and a newline, as the ledger's heredoc stores it) and its name. */
export function scriptFile(text: string): { sha256: string; content: string } {
  const content = text + "\n";
  return { sha256: createHash("sha256").update(content).digest("hex"), content };
}

/**
 * Terraform reads every JSON string as a template: a literal "\${" or "%{" in a
 * script must be doubled, or Terraform would try to interpolate it.
 */
export function tfEscape(text: string): string {
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/** A one-line summary Terraform and a terminal show as is: no control characters, no template sequence, bounded. */
function summaryLine(text: string): string {
  const one = commentSafe(text).slice(0, 200);
  return tfEscape(one);
}

export interface HookResourceOptions {
  readonly type: ResourceType;
  /** Replace-triggers, computed at synth. */
  readonly triggers: () => HookTriggers;
  /** Literal environment for the transport (user, key path, known_hosts, ...). */
  readonly environment: Record<string, string>;
  /** Construct path, for failure messages. */
  readonly path: string;
  /** Ordering only (no replacement): the host's preflight hook. */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The host's ledger entry (/run/hostnet/<stack>/<id>.down) where the create
   * script stores the destroy script: then the state keeps only its hash and the
   * destroy runs that entry. Without it the destroy script is kept in the state.
   */
  readonly ledger?: string;
}

export interface HookResource extends ITerraformDependable {
  readonly id: string;
}

/**
 * "${terraform_data.<logical id>.id}": a Terraform reference to a hook resource's
 * id, as plain text rather than a cdktf token (see TerraformDataHook). Only for a
 * resource in the same stack as the one whose triggers carry it; otherwise the
 * token, so cdktf can wire a cross-stack reference.
 */
export function idReference(from: Construct, to: HookResource): string {
  const r = to as unknown as TerraformResource;
  return TerraformStack.of(from) === TerraformStack.of(r) ? `\${${r.terraformResourceType}.${r.friendlyUniqueId}.id}` : to.id;
}

/** `depends_on` entries for resources, as plain text when in the same stack (no token per entry). */
function dependsOnAddresses(from: Construct, deps: readonly ITerraformDependable[]): string[] {
  return deps.map((d) =>
    d instanceof TerraformResource && TerraformStack.of(from) === TerraformStack.of(d)
      ? `${d.terraformResourceType}.${d.friendlyUniqueId}`
      : dependable(d),
  );
}

export function createHookResource(scope: Construct, id: string, o: HookResourceOptions): HookResource & TerraformResource {
  const attr = o.type === "terraform_data" ? "triggers_replace" : "triggers";
  const file = (sha: string) => `"\${path.module}/${SCRIPTS_DIR}/\${${sha}}.sh"`;
  // Destroy-time provisioners may read self, path.module and functions. lookup():
  // a state written before the scripts left it has no destroy_sha256, and its
  // `destroy` is the text; so has a hook without a ledger entry.
  const destroySha = `lookup(self.${attr}, "destroy_sha256", "")`;
  const destroyFile = file(`lookup(self.${attr}, "destroy_sha256", "none")`);
  // HN_SCRIPT_SHA256: the sha256 of the file the text was read from, by Terraform (filesha256), so the
  // transport compares two values instead of starting sha256sum on every hook.
  const createFile = file(`self.${attr}.create_sha256`);
  const script = {
    create: {
      HN_SCRIPT: `\${file(${createFile})}`,
      HN_SCRIPT_SHA256: `\${filesha256(${createFile})}`,
      HN_SHA256: `\${self.${attr}.create_sha256}`,
    },
    destroy: {
      HN_SCRIPT: `\${fileexists(${destroyFile}) ? file(${destroyFile}) : lookup(self.${attr}, "destroy", "")}`,
      HN_SCRIPT_SHA256: `\${fileexists(${destroyFile}) ? filesha256(${destroyFile}) : ""}`,
      HN_SHA256: `\${${destroySha}}`,
      ...(o.ledger !== undefined ? { HN_LEDGER: o.ledger } : {}),
    },
  };
  const provisioner = (op: "create" | "destroy"): LocalExecProvisioner => ({
    type: "local-exec",
    interpreter: ["/bin/sh", "-c"],
    // The transport is the same text for every hook; it travels in the environment
    // so Terraform's "Executing:" log line stays one short line.
    command: 'eval "$HN_TRANSPORT"',
    environment: {
      HN_TRANSPORT: transport(scope),
      ...o.environment,
      HN_ADDRESS: `\${self.${attr}.address}`,
      HN_PORT: `\${self.${attr}.port}`,
      ...script[op],
      HN_OP: op,
      HN_PATH: o.path.replace(/[^A-Za-z0-9_./-]/g, "_"),
    },
    ...(op === "destroy" ? { when: "destroy" as const } : {}),
  });
  const provisioners = [provisioner("create"), provisioner("destroy")];
  // Rendered once per synth: the state's values and the files beside cdk.tf.json.
  let rendered: { state: HookState; files: Array<{ sha256: string; content: string }> } | undefined;
  const render = () => {
    if (rendered) return rendered;
    const t = o.triggers();
    const create = scriptFile(t.create);
    const destroy = scriptFile(t.destroy);
    for (const [op, f] of [
      ["create", create],
      ["destroy", destroy],
    ] as const) {
      const bytes = Buffer.byteLength(f.content);
      if (bytes > MAX_SCRIPT_BYTES)
        throw new ConstructError(
          `its ${op} script is ${bytes.toLocaleString("en")} bytes, and a hook's script reaches the transport in one environment value, ` +
            `which Linux limits to 128 KiB (at most ${MAX_SCRIPT_BYTES.toLocaleString("en")} bytes of script). The host's sweep lists every ` +
            `object of the stack on its host (13 bytes each, so about 10,000 objects): split the host's objects between stacks, or a large object into several.`,
          o.path,
        );
    }
    const state: HookState = {
      address: t.address,
      port: t.port,
      ...(t.summary !== undefined ? { summary: summaryLine(t.summary) } : {}),
      create_sha256: create.sha256,
      ...(o.ledger !== undefined ? { destroy_sha256: destroy.sha256 } : { destroy: tfEscape(t.destroy) }),
      after: t.after,
    };
    rendered = { state, files: o.ledger !== undefined ? [create, destroy] : [create] };
    return rendered;
  };
  ScriptFiles.of(scope).add(() => render().files);
  const produce = () => render().state;
  let res: HookResource & TerraformResource;
  if (o.type === "terraform_data") {
    res = new TerraformDataHook(scope, id, produce, { provisioners });
  } else {
    const triggers = Lazy.anyValue({ produce });
    res = new (nullResourceClass())(scope, id, { triggers: triggers as unknown as Record<string, string>, provisioners });
  }
  if (o.dependsOn?.length) res.dependsOn = dependsOnAddresses(scope, o.dependsOn);
  return res;
}

/**
 * Writes the scripts of every hook in a stack to SCRIPTS_DIR beside its
 * cdk.tf.json at synth, and removes files of scripts the stack no longer has
 * (a destroy never needs them: it runs the host's ledger copy).
 */
class ScriptFiles extends Construct {
  static of(scope: Construct): ScriptFiles {
    const stack = TerraformStack.of(scope);
    return (stack.node.tryFindChild(SCRIPTS_DIR) as ScriptFiles | undefined) ?? new ScriptFiles(stack);
  }

  private readonly sources: Array<() => Array<{ sha256: string; content: string }>> = [];
  private pending?: ScriptDirWrite;
  private inStackSynth = false;

  private constructor(private readonly stack: TerraformStack) {
    super(stack, SCRIPTS_DIR);
    // The files are written by a worker while the stack's synthesizer goes on (script-dir.ts); this
    // wrapper, outside every other one, waits for them before the stack's synth returns.
    const inner: IStackSynthesizer = stack.synthesizer;
    stack.synthesizer = { synthesize: (session) => this.synthesizeStack(inner, session) };
    addCustomSynthesis(this, {
      onSynthesize: (session: ISynthesisSession) => {
        const dir = path.join(session.outdir, session.manifest.forStack(this.stack).workingDirectory, SCRIPTS_DIR);
        const files = new Map<string, string>();
        for (const source of this.sources) for (const f of source()) files.set(`${f.sha256}.sh`, f.content);
        this.pending = new ScriptDirWrite(dir, files);
        // Synthesized some other way than through the stack's synthesizer: written before this returns.
        if (!this.inStackSynth) this.finish();
      },
    });
  }

  add(source: () => Array<{ sha256: string; content: string }>): void {
    this.sources.push(source);
  }

  private synthesizeStack(inner: IStackSynthesizer, session: ISynthesisSession): void {
    this.inStackSynth = true;
    try {
      inner.synthesize(session);
    } catch (e) {
      // The synth's own error is the one to report; the files are still finished first.
      try {
        this.finish();
      } catch {
        // reported above
      }
      throw e;
    } finally {
      this.inStackSynth = false;
    }
    this.finish();
  }

  private finish(): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.wait();
  }
}

// The same escaped text for every hook.
const TRANSPORT = tfEscape(HOOK_COMMAND);

/**
 * Context key (cdktf.json "context", or `new App({ context })`), on unless set
 * to false (kept for tests of the inline text): the
 * transport is written once per stack to TRANSPORT_FILE beside cdk.tf.json and
 * every hook reads it with Terraform's file(), instead of carrying its own 2 KB
 * copy. Terraform evaluates every provisioner's environment on each walk, so the
 * copies cost ~4 ms per hook per walk: with 1,000 endpoints, `terraform
 * validate` takes 14 s inline and 6 s with the file; cdk.tf.json shrinks by 40%.
 * The file must stay beside cdk.tf.json (cdktf writes both on every synth).
 */
export const TRANSPORT_FILE_CONTEXT = "@hostnet/transportFile";
/** Name of the transport file in the stack's output directory. */
export const TRANSPORT_FILE = "hostnet-transport.sh";

/** The HN_TRANSPORT value of a hook in `scope`'s stack: a file() reference to the transport file, or (context off) the text itself. */
function transport(scope: Construct): string {
  const on = scope.node.tryGetContext(TRANSPORT_FILE_CONTEXT);
  if (on === false || on === "false") return TRANSPORT;
  const stack = TerraformStack.of(scope);
  if (!stack.node.tryFindChild(TRANSPORT_FILE)) new TransportFile(stack);
  // path.module is allowed in destroy-time provisioners (only references to other objects are not).
  return `\${file("\${path.module}/${TRANSPORT_FILE}")}`;
}

/** Writes the transport beside the stack's cdk.tf.json at synth. */
class TransportFile extends Construct {
  constructor(private readonly stack: TerraformStack) {
    super(stack, TRANSPORT_FILE);
    addCustomSynthesis(this, {
      onSynthesize: (session: ISynthesisSession) => {
        const dir = path.join(session.outdir, session.manifest.forStack(this.stack).workingDirectory);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, TRANSPORT_FILE), HOOK_COMMAND + "\n", { mode: 0o644 });
      },
    });
  }
}
