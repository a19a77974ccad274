/**
 * The direction of imports (issue 12): constructs/ (the public API) uses src/
 * (the engine), never the other way; production code never uses the test-host
 * tooling in src/lab/; and no file depends on itself through others, so no
 * import needs a require() at run time to break a cycle.
 */
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
