import { IConstruct } from "constructs";
import { formatPathProblem, PathProblem } from "../src/validate/problem";

/**
 * Validation as data. A construct registers what it checks with `addProblems`:
 * messages about itself (no path: it is added here, once) or PathProblems about
 * other constructs (a Host reports clashes between its objects). `stackProblems`
 * collects them as data; cdktf's own synth and `Testing.synth(stack, true)` see
 * the same problems through the construct's node validation, as one line each.
 */
const PRODUCERS = new WeakMap<IConstruct, Array<() => ReadonlyArray<string | PathProblem>>>();

// While stackProblems reads the producers directly, the node validations stay
// quiet, so that node.validate() returns only what cdktf itself reports.
let collecting = false;

export function addProblems(c: IConstruct, produce: () => ReadonlyArray<string | PathProblem>): void {
  const list = PRODUCERS.get(c) ?? [];
  if (list.length === 0) PRODUCERS.set(c, list);
  list.push(produce);
  c.node.addValidation({ validate: () => (collecting ? [] : problemsOf(c, [produce]).map(formatPathProblem)) });
}

/**
 * Every validation problem of the constructs in `scope` (an App, a stack or any
 * construct), in construct-tree order, each with the path of the construct it is
 * about. cdktf's own validations are included, with the path of the construct
 * that reported them.
 */
export function stackProblems(scope: IConstruct): PathProblem[] {
  const outer = collecting;
  collecting = true;
  try {
    return scope.node
      .findAll()
      .flatMap((c) => [...problemsOf(c, PRODUCERS.get(c) ?? []), ...c.node.validate().map((message) => ({ path: c.node.path, message }))]);
  } finally {
    collecting = outer;
  }
}

function problemsOf(c: IConstruct, producers: ReadonlyArray<() => ReadonlyArray<string | PathProblem>>): PathProblem[] {
  return producers.flatMap((p) => p().map((m) => (typeof m === "string" ? { path: c.node.path, message: m } : m)));
}
