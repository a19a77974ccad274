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
  c.node.addValidation({ validate: () => (STATE.collecting ? [] : problemsOf(c, [produce]).map(formatPathProblem)) });
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
