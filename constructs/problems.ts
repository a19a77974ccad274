import { TerraformStack } from "cdktf";
import { IConstruct } from "constructs";
import { formatPathProblem, PathProblem } from "../src/validate/problem";

/*
 * Validation as data. A construct registers what it checks with `addProblems`:
 * messages about itself (no path: it is added here, once) or PathProblems about
 * other constructs (a Host reports clashes between its objects). `stackProblems`
 * collects them as data; cdktf's own synth and `Testing.synth(stack, true)` see
 * the same problems through the construct's node validation, as one line each.
 */
type Producer = () => ReadonlyArray<string | PathProblem>;
interface Registry {
  readonly producers: WeakMap<IConstruct, Producer[]>;
  collecting: boolean;
  /** While synthChecked runs: each stack stackProblems has just passed, with how many of its constructs have checks. */
  passed?: Map<IConstruct, { count: number; unchanged?: boolean }>;
}

// One registry per process, not per copy of this module (jest.isolateModules, or
// two hostnet versions in one project): a construct registered by one copy is
// still collected by another's stackProblems. While stackProblems reads the
// producers directly, the node validations stay quiet, so node.validate()
// returns only what cdktf itself reports.
const STATE = ((globalThis as Record<symbol, unknown>)[Symbol.for("hostnet.problems")] ??= {
  producers: new WeakMap(),
  collecting: false,
}) as Registry;

export function addProblems(c: IConstruct, produce: Producer): void {
  const list = STATE.producers.get(c) ?? [];
  if (list.length === 0) STATE.producers.set(c, list);
  list.push(produce);
  c.node.addValidation({ validate: () => (STATE.collecting || passedUnchanged(c) ? [] : problemsOf(c, [produce]).map(formatPathProblem)) });
}

/**
 * Runs `synth` (the app's synth) right after `stackProblems(app)` found no problem. cdktf's synth
 * validates every construct again; hostnet's checks are skipped there for a stack that still has
 * the constructs with checks it had then (1,000 endpoints: 80 ms of a 2 s synth), and run in full
 * for a stack where that changed (an aspect added a hostnet object). cdktf's own validations
 * always run, and what cdktf adds itself (a default backend) has no hostnet check.
 */
export function synthChecked<T>(app: IConstruct, synth: () => T): T {
  const outer = STATE.passed;
  STATE.passed = new Map(
    app.node
      .findAll()
      .filter((c) => TerraformStack.isStack(c))
      .map((s) => [s, { count: checkedConstructs(s) }]),
  );
  try {
    return synth();
  } finally {
    STATE.passed = outer;
  }
}

function checkedConstructs(stack: IConstruct): number {
  return stack.node.findAll().filter((c) => STATE.producers.has(c)).length;
}

function passedUnchanged(c: IConstruct): boolean {
  if (!STATE.passed) return false;
  let s: IConstruct | undefined = c;
  while (s && !STATE.passed.has(s)) s = s.node.scope;
  const entry = s && STATE.passed.get(s);
  if (!s || !entry) return false;
  // Counted at this stack's first validation, which cdktf runs after the stack's aspects.
  entry.unchanged ??= checkedConstructs(s) === entry.count;
  return entry.unchanged;
}

/**
 * Every validation problem of the constructs in `scope` (an App, a stack or any
 * construct), in construct-tree order, each with the path of the construct it is
 * about. cdktf's own validations are included, with the path of the construct
 * that reported them.
 */
export function stackProblems(scope: IConstruct): PathProblem[] {
  const outer = STATE.collecting;
  STATE.collecting = true;
  try {
    return scope.node
      .findAll()
      .flatMap((c) => [...problemsOf(c, STATE.producers.get(c) ?? []), ...c.node.validate().map((message) => ({ path: c.node.path, message }))]);
  } finally {
    STATE.collecting = outer;
  }
}

function problemsOf(c: IConstruct, producers: readonly Producer[]): PathProblem[] {
  return producers.flatMap((p) => p().map((m) => (typeof m === "string" ? { path: c.node.path, message: m } : m)));
}
