import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { main } from "../../src/cli/main";
import { APP_COMMAND, hostnetVersion, npxLocalPackage, projectFiles } from "../../src/cli/init";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe("projectFiles", () => {
  test.each([
    ["cdktf", { cdktf: "0.21.0", constructs: "10.4.2" }, { "cdktf-cli": "0.21.0" }, 'import { App } from "cdktf";'],
    ["cdktn", { cdktn: "0.24.0", cdktf: "npm:cdktn@0.24.0", constructs: "10.6.0" }, { "cdktn-cli": "0.24.0" }, 'import { App } from "cdktn";'],
  ] as const)("%s: pinned framework, hostnet deploy in the scripts, its import in main.ts", (framework, deps, devDeps, importLine) => {
    const files = projectFiles({ framework, hostnetSpec: "^1.2.3", name: "my-net" });
    const pkg = JSON.parse(files["package.json"]);
    expect(pkg.dependencies).toEqual({ hostnet: "^1.2.3", ...deps });
    expect(pkg.devDependencies).toMatchObject(devDeps);
    // The framework's CLI reports a killed apply as success; hostnet deploy does not.
    expect(pkg.scripts).toMatchObject({ deploy: "hostnet deploy", destroy: "hostnet destroy", synth: `${framework} synth` });
    expect(files["README.md"]).toContain("npx hostnet deploy ");
    expect(files["README.md"]).toContain(`\`npx ${framework} deploy --auto-approve\` and`);
    expect(files["main.ts"]).toContain(importLine);
    expect(files["main.ts"]).toContain('Host.fromInventory(stack, "a", inventory)');
    expect(files["main.ts"]).toContain('new HostnetStack(app, "my-net")');
  });

  test("cdktf.json runs main.ts; .gitignore keeps state, cdktf.out and the lab out; the README says to commit hostnet.lock.json", () => {
    const files = projectFiles({ framework: "cdktf", hostnetSpec: "^1.2.3", name: "n" });
    expect(JSON.parse(files["cdktf.json"]).app).toBe("node -r sucrase/register/ts main.ts");
    expect(APP_COMMAND).toBe("node -r sucrase/register/ts main.ts");
    // sucrase runs main.ts (it does not typecheck); typescript stays for the typecheck script.
    const pkg = JSON.parse(files["package.json"]);
    expect(pkg.devDependencies).toMatchObject({ sucrase: "^3.35.1", typescript: expect.any(String), "@types/node": expect.any(String) });
    expect(pkg.devDependencies["ts-node"]).toBeUndefined();
    expect(pkg.scripts.typecheck).toBe("tsc --noEmit");
    expect(files[".gitignore"].split("\n")).toEqual(expect.arrayContaining(["cdktf.out/", ".lab/", "*.tfstate", "*.tfstate.backup", ".terraform/"]));
    expect(files["README.md"]).toContain("**Commit `hostnet.lock.json`**");
    expect(JSON.parse(files["tsconfig.json"]).compilerOptions.strict).toBe(true);
  });
});

describe("hostnet init", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "hostnet-init-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("writes the project, depending on this package's version, named after the folder", async () => {
    const c = capture();
    const target = path.join(dir, "My Net");
    expect(await main(["init", target], c.io)).toBe(0);
    const pkg = JSON.parse(readFileSync(path.join(target, "package.json"), "utf8"));
    expect(pkg.name).toBe("my-net");
    expect(pkg.dependencies.hostnet).toBe(`^${hostnetVersion()}`);
    for (const f of ["cdktf.json", "tsconfig.json", "main.ts", ".gitignore", "README.md"]) expect(existsSync(path.join(target, f))).toBe(true);
    expect(c.out[c.out.length - 1]).toMatch(/^next: .*npm install && npx hostnet plan && npx hostnet deploy$/);
  });

  test("--from depends on a tarball or folder by path", async () => {
    const tarball = path.join(dir, "hostnet-9.9.9.tgz");
    writeFileSync(tarball, "");
    expect(await main(["init", path.join(dir, "p"), "--from", tarball], capture().io)).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, "p", "package.json"), "utf8")).dependencies.hostnet).toBe(`file:${tarball}`);
  });

  test("run by npx from a local tarball, it depends on that tarball (hostnet is not on the npm registry)", async () => {
    const tarball = path.join(dir, "hostnet-9.9.9.tgz");
    writeFileSync(tarball, "");
    const before = process.env.npm_config_package;
    const cwd = process.cwd();
    process.env.npm_config_package = "./hostnet-9.9.9.tgz";
    process.chdir(dir);
    try {
      const c = capture();
      expect(await main(["init", path.join(dir, "p")], c.io)).toBe(0);
      expect(JSON.parse(readFileSync(path.join(dir, "p", "package.json"), "utf8")).dependencies.hostnet).toBe(`file:${tarball}`);
      expect(c.out[0]).toBe(`hostnet: the project depends on file:${tarball}, the package npx ran (--from picks another)`);
    } finally {
      process.chdir(cwd);
      if (before === undefined) delete process.env.npm_config_package;
      else process.env.npm_config_package = before;
    }
  });

  test.each([
    ["a registry name", "hostnet", undefined],
    ["a registry version", "hostnet@0.1.0", undefined],
    ["a relative tarball", "./h.tgz", "h.tgz"],
    ["a bare tarball name", "h.tgz", "h.tgz"],
    ["a file: spec", "file:./h.tgz", "h.tgz"],
    ["a tarball that is not there", "./missing.tgz", undefined],
  ])("npxLocalPackage: %s", (_what, spec, want) => {
    writeFileSync(path.join(dir, "h.tgz"), "");
    expect(npxLocalPackage({ npm_config_package: spec }, dir)).toBe(want === undefined ? undefined : path.join(dir, want));
  });

  test("refuses to overwrite files unless --force, naming them", async () => {
    writeFileSync(path.join(dir, "main.ts"), "mine");
    const c = capture();
    expect(await main(["init", dir], c.io)).toBe(2);
    expect(c.err).toEqual([`hostnet: ${dir} already has main.ts; choose an empty folder or pass --force to overwrite them.`]);
    expect(readFileSync(path.join(dir, "main.ts"), "utf8")).toBe("mine");
    expect(await main(["init", dir, "--force"], capture().io)).toBe(0);
    expect(readFileSync(path.join(dir, "main.ts"), "utf8")).not.toBe("mine");
  });

  test("a --from that does not exist and a second folder are usage errors", async () => {
    const c = capture();
    expect(await main(["init", dir, "--from", path.join(dir, "nope.tgz")], c.io)).toBe(2);
    expect(c.err[0]).toContain("no such file or folder");
    expect(await main(["init", dir, "other"], c.io)).toBe(2);
    expect(c.err[1]).toBe('hostnet: unexpected argument "other" for "hostnet init".');
  });
});
