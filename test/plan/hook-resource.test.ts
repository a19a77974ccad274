import { spawnSync } from "child_process";
import { DefaultTokenResolver, Lazy, StringConcat, TerraformStack, Testing, Token, Tokenization } from "cdktf";
import { App } from "cdktf";
import { createHash } from "crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import {
  createHookResource,
  HookTriggers,
  idReference,
  MAX_SCRIPT_BYTES,
  resolveHooksOnce,
  ResourceType,
  SCRIPTS_DIR,
  scriptFile,
  tfEscape,
  TRANSPORT_FILE,
  TRANSPORT_FILE_CONTEXT,
  withoutTokens,
} from "../../src/plan/hook-resource";
import { HOOK_COMMAND } from "../../src/transport/ssh";
import { isHostnetError } from "../../src/errors";
import { ScriptDirWrite } from "../../src/plan/script-dir";

describe("tfEscape", () => {
  test.each([
    ["${x}", "$${x}"],
    ["%{x}", "%%{x}"],
    ["${a}${b}", "$${a}$${b}"],
    ["%{ if c }x%{ endif }", "%%{ if c }x%%{ endif }"],
    ["id=${f##*/}; id=${id%.down}", "id=$${f##*/}; id=$${id%.down}"],
    // Already-doubled input is doubled again: the script's text is what Terraform must hand back.
    ["$${x}", "$$${x}"],
    ["%%{x}", "%%%{x}"],
    ["${", "$${"],
    // Nothing else is special to Terraform.
    ["$(id -u)", "$(id -u)"],
    ["$HOME $$ $", "$HOME $$ $"],
    ["% { $ {", "% { $ {"],
    ["50%", "50%"],
    ["", ""],
  ])("%j becomes %j", (text, want) => {
    expect(tfEscape(text)).toBe(want);
  });
});

function synthHook(type: ResourceType, t: Partial<HookTriggers> = {}, ledger?: string) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "s");
  createHookResource(stack, "h", {
    type,
    path: "s/a/$(x)\n",
    environment: { HN_USER: "root" },
    triggers: () => ({ address: "192.0.2.1", port: "22", create: "echo ${HOME}", destroy: "echo %{x}", after: "", ...t }),
    ...(ledger !== undefined ? { ledger } : {}),
  });
  return JSON.parse(Testing.synth(stack)).resource;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const fileOf = (attr: string, sha: string) => `"\${path.module}/hostnet-scripts/\${${sha.replace("ATTR", attr)}}.sh"`;

describe("scriptFile", () => {
  test("is the text and a newline (as the ledger's heredoc stores it), named by its sha256", () => {
    expect(scriptFile("echo ${HOME}")).toEqual({ content: "echo ${HOME}\n", sha256: sha256("echo ${HOME}\n") });
  });
});

describe("createHookResource", () => {
  test("terraform_data: triggers_replace keeps the create script's hash and the (ledger-less) destroy text, escaped", () => {
    const r = synthHook("terraform_data").terraform_data.h;
    expect(r.triggers_replace).toEqual({
      address: "192.0.2.1",
      port: "22",
      create_sha256: sha256("echo ${HOME}\n"),
      destroy: "echo %%{x}",
      after: "",
    });
    const [create, destroy] = r.provisioner.map((p: { "local-exec": unknown }) => p["local-exec"]);
    expect(create).toEqual({
      command: 'eval "$HN_TRANSPORT"',
      interpreter: ["/bin/sh", "-c"],
      environment: {
        HN_TRANSPORT: `\${file("\${path.module}/${TRANSPORT_FILE}")}`,
        HN_USER: "root",
        HN_ADDRESS: "${self.triggers_replace.address}",
        HN_PORT: "${self.triggers_replace.port}",
        HN_SCRIPT: `\${file(${fileOf("triggers_replace", "self.ATTR.create_sha256")})}`,
        HN_SCRIPT_SHA256: `\${filesha256(${fileOf("triggers_replace", "self.ATTR.create_sha256")})}`,
        HN_SHA256: "${self.triggers_replace.create_sha256}",
        HN_OP: "create",
        HN_PATH: "s/a/__x__",
      },
    });
    expect(destroy.when).toBe("destroy");
    const f = fileOf("triggers_replace", 'lookup(self.ATTR, "destroy_sha256", "none")');
    expect(destroy.environment.HN_SCRIPT).toBe(`\${fileexists(${f}) ? file(${f}) : lookup(self.triggers_replace, "destroy", "")}`);
    expect(destroy.environment.HN_SCRIPT_SHA256).toBe(`\${fileexists(${f}) ? filesha256(${f}) : ""}`);
    expect(destroy.environment.HN_SHA256).toBe('${lookup(self.triggers_replace, "destroy_sha256", "")}');
    expect(destroy.environment.HN_LEDGER).toBeUndefined();
    expect(destroy.environment.HN_OP).toBe("destroy");
  });

  test("with a ledger entry, the state keeps the destroy script's hash only, and the destroy hook names the entry", () => {
    const r = synthHook("terraform_data", { summary: "veth v on host a" }, "/run/hostnet/s/0123abcd.down").terraform_data.h;
    expect(r.triggers_replace).toEqual({
      address: "192.0.2.1",
      port: "22",
      summary: "veth v on host a",
      create_sha256: sha256("echo ${HOME}\n"),
      destroy_sha256: sha256("echo %{x}\n"),
      after: "",
    });
    expect(r.provisioner[1]["local-exec"].environment.HN_LEDGER).toBe("/run/hostnet/s/0123abcd.down");
    expect(r.provisioner[0]["local-exec"].environment.HN_LEDGER).toBeUndefined();
  });

  test.each([
    ["veth ${x} %{y}", "veth $${x} %%{y}"],
    ["bridge a\nrm -rf /", "bridge a?rm -rf /"],
    ["x".repeat(300), "x".repeat(200)],
  ])("the summary %j is one line Terraform shows as it is: %j", (summary, want) => {
    expect(synthHook("terraform_data", { summary }).terraform_data.h.triggers_replace.summary).toBe(want);
  });

  test("null_resource: the same hooks under triggers", () => {
    const r = synthHook("null_resource").null_resource.h;
    expect(r.triggers).toEqual({ address: "192.0.2.1", port: "22", create_sha256: sha256("echo ${HOME}\n"), destroy: "echo %%{x}", after: "" });
    expect(r.provisioner[0]["local-exec"].environment.HN_SCRIPT).toBe(`\${file(${fileOf("triggers", "self.ATTR.create_sha256")})}`);
    expect(r.provisioner[1]["local-exec"].environment.HN_ADDRESS).toBe("${self.triggers.address}");
  });

  test("the inline transport text (context off) carries no unescaped template sequence", () => {
    const stack = new TerraformStack(Testing.app({ context: { [TRANSPORT_FILE_CONTEXT]: false } }), "s");
    createHookResource(stack, "h", {
      type: "terraform_data",
      path: "p",
      environment: {},
      triggers: () => ({ address: "a", port: "22", create: "", destroy: "", after: "" }),
    });
    const env = JSON.parse(Testing.synth(stack)).resource.terraform_data.h.provisioner[0]["local-exec"].environment;
    expect(env.HN_TRANSPORT).toBe(tfEscape(HOOK_COMMAND));
    expect(env.HN_TRANSPORT).not.toMatch(/(^|[^$])\$\{/);
    expect(env.HN_TRANSPORT).toContain("$${HOSTNET_SSH_DIR:-");
  });

  test("triggers are computed at synth, after construction", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    let script = "echo early";
    createHookResource(stack, "h", {
      type: "terraform_data",
      path: "p",
      environment: {},
      triggers: () => ({ address: "a", port: "22", create: script, destroy: "", after: "" }),
    });
    script = "echo late";
    expect(JSON.parse(Testing.synth(stack)).resource.terraform_data.h.triggers_replace.create_sha256).toBe(sha256("echo late\n"));
  });
});

describe("resolveHooksOnce", () => {
  /** Hooks a, b (after a, depends on a) and c (customised: not plain), with a token in a's environment. */
  function stackOfHooks() {
    const stack = new TerraformStack(Testing.app(), "s");
    const hook = (id: string, after: () => string, environment: Record<string, string> = {}) =>
      createHookResource(stack, id, {
        type: "terraform_data",
        path: `s/${id}`,
        environment,
        triggers: () => ({ address: "192.0.2.1", port: "22", create: `echo ${id}`, destroy: "", after: after(), summary: `hook ${id}` }),
      });
    const a = hook("a", () => "", { HN_USER: Lazy.stringValue({ produce: () => "root" }) });
    const b = hook("b", () => idReference(stack, a));
    b.dependsOn = ["terraform_data.a"];
    const c = hook("c", () => "");
    c.addOverride("lifecycle.ignore_changes", ["triggers_replace"]);
    return stack;
  }
  const cdktfs = (stack: TerraformStack) => TerraformStack.prototype.toTerraform.call(stack);

  test("gives cdktf's own JSON, key order included, for plain and customised hooks", () => {
    const want = cdktfs(stackOfHooks());
    const got = (() => {
      const stack = stackOfHooks();
      return resolveHooksOnce(stack, () => cdktfs(stack));
    })();
    expect(JSON.stringify(got)).toBe(JSON.stringify(want));
    expect(got.resource.terraform_data.a.provisioner[0]["local-exec"].environment.HN_USER).toBe("root");
    expect(got.resource.terraform_data.b.depends_on).toEqual(["terraform_data.a"]);
  });

  test("cdktf's pass over the whole stack sees an empty placeholder for each plain hook, not its body", () => {
    const stack = stackOfHooks();
    let seen: any;
    resolveHooksOnce(stack, () => {
      const tf = cdktfs(stack);
      seen = structuredClone(tf);
      return tf;
    });
    expect(seen.resource.terraform_data.a).toEqual({});
    expect(seen.resource.terraform_data.b).toEqual({});
    expect(seen.resource.terraform_data.c.lifecycle).toEqual({ ignore_changes: ["triggers_replace"] });
  });

  test("the stack's own overrides into a plain hook are merged over its body, as cdktf merges them", () => {
    const build = () => {
      const stack = stackOfHooks();
      stack.addOverride("resource.terraform_data.a.triggers_replace.summary", "overridden");
      stack.addOverride("resource.terraform_data.a.provisioner", [{ "local-exec": { command: "true" } }]);
      stack.addOverride("resource.terraform_data.b.depends_on", ["terraform_data.c"]);
      return stack;
    };
    const want = cdktfs(build());
    const stack = build();
    const got = resolveHooksOnce(stack, () => cdktfs(stack));
    expect(got).toEqual(want);
    expect(got.resource.terraform_data.a.triggers_replace.summary).toBe("overridden");
    expect(got.resource.terraform_data.a.provisioner).toHaveLength(3);
    expect(got.resource.terraform_data.b.depends_on).toEqual(["terraform_data.a", "terraform_data.c"]);
  });

  test("a plain hook the stack's overrides removed stays removed", () => {
    const stack = stackOfHooks();
    stack.addOverride("resource.terraform_data.a", undefined);
    const got = resolveHooksOnce(stack, () => cdktfs(stack));
    expect(Object.keys(got.resource.terraform_data)).toEqual(["b", "c"]);
  });

  test("outside it (a plain TerraformStack), every hook is resolved by cdktf as before", () => {
    const stack = stackOfHooks();
    expect(cdktfs(stack).resource.terraform_data.a.triggers_replace.summary).toBe("hook a");
  });
});

describe("withoutTokens", () => {
  const cdktfResolve = (v: unknown) =>
    Tokenization.resolve(v, {
      scope: new TerraformStack(Testing.app(), "s"),
      preparing: false,
      resolver: new DefaultTokenResolver(new StringConcat()),
    });

  test("a value without tokens is copied as cdktf's resolve returns it: undefined left out, Terraform's ${ } kept", () => {
    const body = {
      "//": { metadata: { path: "s/a" } },
      depends_on: ["terraform_data.a", undefined],
      provisioner: [
        { "local-exec": { command: 'eval "$HN_TRANSPORT"', environment: { HN_ADDRESS: "${self.triggers_replace.address}", X: undefined } } },
      ],
      triggers_replace: { create_sha256: "8e5a1e2e3f0e9e1e0d5c4b3a29180716253443526170819e2e3e4e5e6e7e8e9e", after: "", flag: true, none: null },
    };
    const got = withoutTokens(body);
    expect(got).toEqual(cdktfResolve(body));
    expect(JSON.stringify(got)).toBe(JSON.stringify(cdktfResolve(body)));
    expect(got).not.toBe(body);
  });

  test.each(["${a}", "$${a}", "${a${b}}", "}{", "%{ if x }${y}%{ endif }", "a}b${", "1e5", "2e-5 and 3E7", ""])(
    "the string %j resolves to itself, in cdktf as here",
    (text) => {
      expect(cdktfResolve(text)).toBe(text);
      expect(withoutTokens({ v: [text] })).toEqual({ v: [text] });
    },
  );

  test.each([
    ["a string token", () => Token.asString(Lazy.stringValue({ produce: () => "x" }))],
    ["a string token inside text", () => `x-${Token.asString(Lazy.stringValue({ produce: () => "x" }))}`],
    ["a list token", () => Token.asList(Lazy.listValue({ produce: () => ["a"] }))],
    ["a map token", () => Token.asStringMap(Lazy.anyValue({ produce: () => ({}) }))],
    ["a number token", () => Token.asNumber(Lazy.numberValue({ produce: () => 5 }))],
    ["a number token written in a string", () => `n=${Token.asNumber(Lazy.numberValue({ produce: () => 5 }))}`],
    ["a number", () => 5],
    ["a Lazy", () => Lazy.stringValue({ produce: () => "x" })],
    ["a class instance", () => new Date(0)],
    ["cdktf's map token value", () => Token.STRING_MAP_TOKEN_VALUE],
  ])("%s is left to cdktf (undefined)", (_what, value) => {
    expect(withoutTokens({ environment: { X: value() } })).toBeUndefined();
  });
});

describe("script files beside cdk.tf.json", () => {
  test("synthesis writes each script once under its hash and removes the files of scripts the stack no longer has", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "hostnet-scripts-"));
    try {
      const dir = path.join(outdir, "stacks", "s", SCRIPTS_DIR);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${"0".repeat(64)}.sh`), "stale\n");
      const app = new App({ outdir });
      const stack = new TerraformStack(app, "s");
      for (const id of ["a", "b"]) {
        createHookResource(stack, id, {
          type: "terraform_data",
          path: `p/${id}`,
          environment: {},
          ledger: `/run/hostnet/s/${id}.down`,
          triggers: () => ({ address: "a", port: "22", create: "echo same", destroy: `echo ${id} \${HOME}`, after: "" }),
        });
      }
      app.synth();
      expect(readdirSync(dir).sort()).toEqual(
        [sha256("echo same\n"), sha256("echo a ${HOME}\n"), sha256("echo b ${HOME}\n")].map((h) => `${h}.sh`).sort(),
      );
      expect(readFileSync(path.join(dir, `${sha256("echo a ${HOME}\n")}.sh`), "utf8")).toBe("echo a ${HOME}\n");
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe("script files of a second synth into the same outdir", () => {
  test("an unchanged file is not rewritten; an edited, re-moded, symlinked or emptied one gets its text back", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "hostnet-scripts-"));
    const synth = () => {
      const app = new App({ outdir });
      const stack = new TerraformStack(app, "s");
      for (const id of ["a", "b", "c", "d", "e"]) {
        createHookResource(stack, id, {
          type: "terraform_data",
          path: `p/${id}`,
          environment: {},
          triggers: () => ({ address: "a", port: "22", create: `echo ${id}`, destroy: "true", after: "" }),
        });
      }
      app.synth();
    };
    try {
      synth();
      const dir = path.join(outdir, "stacks", "s", SCRIPTS_DIR);
      const file = (id: string) => path.join(dir, `${sha256(`echo ${id}\n`)}.sh`);
      const past = new Date("2001-01-01T00:00:00Z");
      for (const id of ["a", "b", "c", "d", "e"]) utimesSync(file(id), past, past);
      writeFileSync(file("b"), "echo B\n"); // edited by hand: same size
      chmodSync(file("c"), 0o755);
      rmSync(file("d"));
      symlinkSync(path.join(outdir, "elsewhere"), file("d"));
      writeFileSync(path.join(outdir, "elsewhere"), "echo d\n");
      writeFileSync(file("e"), "");
      synth();
      // Untouched: its mtime is still the one set above (the old code rewrote every file).
      expect(statSync(file("a")).mtime.getTime()).toBe(past.getTime());
      for (const id of ["a", "b", "c", "d", "e"]) {
        expect(readFileSync(file(id), "utf8")).toBe(`echo ${id}\n`);
        expect(statSync(file(id)).mode & 0o7777).toBe(0o644);
      }
      expect(statSync(file("d")).isFile()).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe("script files are written by a worker thread while synth goes on", () => {
  const stackOf = (outdir: string, ids: string[]) => {
    const app = new App({ outdir });
    const stack = new TerraformStack(app, "s");
    for (const id of ids) {
      createHookResource(stack, id, {
        type: "terraform_data",
        path: `p/${id}`,
        environment: {},
        ledger: `/run/hostnet/s/${id}.down`,
        triggers: () => ({ address: "a", port: "22", create: `echo ${id}`, destroy: `echo ${id} down`, after: "" }),
      });
    }
    return app;
  };

  test("every file is in place, with its text and mode 0644, when app.synth() returns", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "hostnet-scripts-"));
    try {
      const ids = Array.from({ length: 300 }, (_, i) => `o${i}`);
      stackOf(outdir, ids).synth();
      const dir = path.join(outdir, "stacks", "s", SCRIPTS_DIR);
      expect(readdirSync(dir)).toHaveLength(600);
      for (const id of ids) {
        for (const text of [`echo ${id}\n`, `echo ${id} down\n`]) {
          const file = path.join(dir, `${sha256(text)}.sh`);
          expect(readFileSync(file, "utf8")).toBe(text);
          expect(statSync(file).mode & 0o7777).toBe(0o644);
        }
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("waiting right after the start (the worker starts while this thread is blocked) finds every file written", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "hostnet-scripts-"));
    try {
      const dir = path.join(outdir, "deep", "dir");
      const files = new Map(Array.from({ length: 50 }, (_, i) => [`f${i}.sh`, `echo ${i}\n`] as const));
      new ScriptDirWrite(dir, files).wait();
      expect(readdirSync(dir).sort()).toEqual([...files.keys()].sort());
      for (const [name, text] of files) expect(readFileSync(path.join(dir, name), "utf8")).toBe(text);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("the worker does not load the app's -r preloads again (sucrase, or anything of the user's)", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "hostnet-scripts-"));
    try {
      const preload = path.join(outdir, "preload.js");
      writeFileSync(preload, `if (!require("worker_threads").isMainThread) process.stderr.write("preload ran in a worker\\n");\n`);
      const module = JSON.stringify(path.resolve(__dirname, "../../src/plan/script-dir.ts"));
      const script = `new (require(${module}).ScriptDirWrite)(${JSON.stringify(path.join(outdir, "d"))}, new Map([["a.sh", "echo a\\n"]])).wait()`;
      const r = spawnSync(process.execPath, ["-r", preload, "-r", "sucrase/register/ts", "-e", script], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(readFileSync(path.join(outdir, "d", "a.sh"), "utf8")).toBe("echo a\n");
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("a script directory that cannot be written fails the synth with a HostnetError naming it (it was fs's bare ENOTDIR)", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "hostnet-scripts-"));
    try {
      mkdirSync(path.join(outdir, "stacks", "s"), { recursive: true });
      writeFileSync(path.join(outdir, "stacks", "s", SCRIPTS_DIR), "a file where the directory goes\n");
      let thrown: unknown;
      try {
        stackOf(outdir, ["a"]).synth();
      } catch (e) {
        thrown = e;
      }
      expect(isHostnetError(thrown)).toBe(true);
      expect((thrown as Error).message).toMatch(
        new RegExp(
          `^cannot write the hook scripts to ${path.join(outdir, "stacks", "s", SCRIPTS_DIR).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: .*EEXIST`,
        ),
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe("a script too large for one environment value", () => {
  // One byte under the limit synthesizes (and Terraform starts the hook); one over fails at synth, not at apply with E2BIG.
  const sized = (bytes: number) => `: ${"x".repeat(bytes - 3)}`; // the file adds a newline
  test.each([
    ["create", MAX_SCRIPT_BYTES],
    ["destroy", MAX_SCRIPT_BYTES],
  ] as const)("a %s script of exactly MAX_SCRIPT_BYTES synthesizes", (op, bytes) => {
    expect(() => synthHook("terraform_data", { [op]: sized(bytes) })).not.toThrow();
  });
  test.each([["create"], ["destroy"]] as const)("a %s script one byte over fails at synth naming the construct, the size and the fix", (op) => {
    expect(() => synthHook("terraform_data", { [op]: sized(MAX_SCRIPT_BYTES + 1) })).toThrow(
      new RegExp(
        `^Resolution error: s/a/\\$\\(x\\)\\n: its ${op} script is 131,062 bytes, .* Linux limits to 128 KiB .* split the host's objects between stacks`,
      ),
    );
  });
  test("MAX_SCRIPT_BYTES is what the kernel takes: a value of that size starts a process, one byte more does not", () => {
    const ok = spawnSync("/bin/true", { env: { HN_SCRIPT: "x".repeat(MAX_SCRIPT_BYTES) } });
    const over = spawnSync("/bin/true", { env: { HN_SCRIPT: "x".repeat(MAX_SCRIPT_BYTES + 1) } });
    expect([ok.status, ok.error, (over.error as NodeJS.ErrnoException | undefined)?.code]).toEqual([0, undefined, "E2BIG"]);
  });
});
