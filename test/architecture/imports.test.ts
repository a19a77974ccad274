/**
 * The direction of imports (issue 12): constructs/ (the public API) uses src/
 * (the engine), never the other way; production code never uses the test-host
 * tooling in src/lab/; and no file depends on itself through others, so no
 * import needs a require() at run time to break a cycle.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { ImportEdge, importGraph, importProblems } from "../support/import-graph";

const ROOT = path.resolve(__dirname, "../..");

describe("import graph of constructs/ and src/", () => {
  const edges = importGraph(ROOT, ["constructs", "src"]);

  test("the parser sees the kinds of import this code base uses", () => {
    const has = (from: string, to: string, typeOnly: boolean) => edges.some((e) => e.from === from && e.to === to && e.typeOnly === typeOnly);
    expect(has("constructs/index.ts", "constructs/bridge.ts", false)).toBe(true); // export * from
    expect(has("constructs/review-model.ts", "constructs/host.ts", true)).toBe(true); // import type
    expect(has("src/plan/null-provider.ts", "src/plan/null-provider.ts", false)).toBe(false); // require(variable) is no edge
    expect(edges.length).toBeGreaterThan(200);
  });

  test("no import cycle, nothing in src/ imports constructs/, production code does not import src/lab/", () => {
    expect(importProblems(edges)).toEqual([]);
  });

  test("the rules catch what they are for", () => {
    const e = (from: string, to: string, typeOnly = false): ImportEdge => ({ from, to, typeOnly });
    expect(
      importProblems([
        e("constructs/a.ts", "src/x.ts"),
        e("src/x.ts", "constructs/a.ts", true),
        e("src/review/m.ts", "src/review/s.ts"),
        e("src/review/s.ts", "src/review/m.ts"),
        e("src/lab/up.ts", "src/lab/sys.ts"),
        e("src/cli/lab.ts", "src/lab/index.ts"),
        e("src/inspect/remote.ts", "src/lab/sys.ts"),
        e("constructs/h.ts", "src/lab/paths.ts", true),
      ]),
    ).toEqual([
      "import cycle: src/review/m.ts, src/review/s.ts",
      "src imports constructs: src/x.ts -> constructs/a.ts",
      "production code imports the lab: src/inspect/remote.ts -> src/lab/sys.ts",
      "production code imports the lab: constructs/h.ts -> src/lab/paths.ts",
    ]);
  });
});

describe("what loading hostnet loads", () => {
  // Every synth pays for the modules `import "hostnet"` loads. pg (and the fetch
  // implementation it touches when it loads) is for SharedAddressPool.connect only.
  test("the constructs' index does not load pg", () => {
    const script = `require(${JSON.stringify(path.join(ROOT, "constructs/index.ts"))}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
    const r = spawnSync(process.execPath, ["-r", "sucrase/register/ts", "-e", script], { cwd: ROOT, encoding: "utf8" });
    expect(r.stderr).toBe("");
    // The packages under node_modules that were loaded, by name.
    const loaded = new Set((JSON.parse(r.stdout) as string[]).map((f) => /[\\/]node_modules[\\/]([^\\/]+)[\\/]/.exec(f)?.[1]));
    expect(loaded.has("cdktf")).toBe(true); // the filter sees what it is for
    expect(loaded.has("pg")).toBe(false);
  });
});
