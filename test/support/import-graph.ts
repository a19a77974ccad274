/**
 * The import graph of the TypeScript sources under some folders, read with the
 * compiler's parser: static imports, `export ... from`, `require("...")` and
 * `import("...")` with relative paths. An edge is type-only when nothing of it
 * exists at run time (`import type`, `export type`, every named import marked
 * `type`, `typeof import("...")`).
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

export interface ImportEdge {
  /** Files relative to the root, with "/" separators. */
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function tsFiles(root: string, dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return tsFiles(root, rel);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [rel] : [];
  });
}

function resolve(root: string, from: string, spec: string): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  return [`${base}.ts`, `${base}/index.ts`, base].find((f) => f.endsWith(".ts") && fs.existsSync(path.join(root, f)));
}

/** Every relative import of every .ts file under `dirs` (relative to `root`). */
export function importGraph(root: string, dirs: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of dirs.flatMap((d) => tsFiles(root, d))) {
    const src = ts.createSourceFile(file, fs.readFileSync(path.join(root, file), "utf8"), ts.ScriptTarget.Latest, true);
    const add = (spec: ts.Expression | undefined, typeOnly: boolean) => {
      if (!spec || !ts.isStringLiteralLike(spec) || !spec.text.startsWith(".")) return;
      const to = resolve(root, file, spec.text);
      if (!to) throw new Error(`${file}: cannot resolve "${spec.text}"`);
      edges.push({ from: file, to, typeOnly });
    };
    const visit = (n: ts.Node): void => {
      if (ts.isImportDeclaration(n)) {
        const c = n.importClause;
        const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
        const allTyped = !!c && !c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly);
        add(n.moduleSpecifier, !!c && (c.isTypeOnly || allTyped));
      } else if (ts.isExportDeclaration(n)) {
        add(n.moduleSpecifier, n.isTypeOnly);
      } else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) {
        add(n.moduleReference.expression, n.isTypeOnly);
      } else if (ts.isCallExpression(n) && n.arguments.length === 1) {
        const isRequire = ts.isIdentifier(n.expression) && n.expression.text === "require";
        if (isRequire || n.expression.kind === ts.SyntaxKind.ImportKeyword) add(n.arguments[0], false);
      } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) {
        add(n.argument.literal as ts.Expression, true);
      }
      ts.forEachChild(n, visit);
    };
    visit(src);
  }
  return edges;
}

/** Import cycles among run-time edges: each strongly connected group of files, sorted, plus files that import themselves. */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.typeOnly) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (next.get(v) ?? []).includes(v)) cycles.push(group.sort());
  };
  for (const v of nodes) if (!index.has(v)) connect(v);
  return cycles;
}

/**
 * The rules of issue 12 broken by the edges, one line each: no cycle; nothing in
 * src/ imports constructs/ (type-only imports included); production code (src/
 * but the lab and its CLI command, constructs/) does not import src/lab/.
 */
export function importProblems(edges: readonly ImportEdge[], allowedLabImports: readonly string[] = []): string[] {
  // The lab itself and its CLI command are test-host tooling too.
  const production = (f: string) => (f.startsWith("src/") && !f.startsWith("src/lab/") && f !== "src/cli/lab.ts") || f.startsWith("constructs/");
  return [
    ...importCycles(edges).map((c) => `import cycle: ${c.join(", ")}`),
    ...edges.filter((e) => e.from.startsWith("src/") && e.to.startsWith("constructs/")).map((e) => `src imports constructs: ${e.from} -> ${e.to}`),
    ...edges
      .filter((e) => production(e.from) && e.to.startsWith("src/lab/") && !allowedLabImports.includes(e.from))
      .map((e) => `production code imports the lab: ${e.from} -> ${e.to}`),
  ];
}
