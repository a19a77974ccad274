import { App } from "cdktf";
import { IConstruct } from "constructs";
import { isHostnetError } from "../src/errors";
import { formatPathProblem } from "../src/validate/problem";
import { stackProblems, synthChecked } from "./problems";

/**
 * Every validation problem of the constructs in `scope` (an App, a stack or any
 * construct), one entry per problem, in construct-tree order: what `synthOrExit`
 * prints and what tests assert. Each names its construct path, the bad value
 * and the fix. Empty when the stack synthesizes.
 */
export function validateStack(scope: IConstruct): string[] {
  return stackProblems(scope).map(formatPathProblem);
}

/** One problem as one line: control characters (a newline in a value) shown as JSON escapes. */
export function problemLine(problem: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this escapes
  return problem.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/**
 * `app.synth()` for a hostnet app: when validation fails, print every problem
 * (each names its construct path, the bad value and the fix) and exit 1, without
 * a stack trace. Nothing reaches a host: synth stops before any plan is written.
 */
export function synthOrExit(app: App): void {
  const problems = validateStack(app);
  if (problems.length > 0) exitWith(problems);
  try {
    synthChecked(app, () => app.synth());
  } catch (e) {
    // A mistake found while writing files (e.g. an unreadable lock file) is one problem too.
    // cdktf wraps a mistake found while resolving a value (a script too large for a hook):
    // "Resolution error: <message>." and the value's creation stack; the message names the construct.
    if (isHostnetError(e)) exitWith([e.message.replace(/^Resolution error: ([\s\S]*?)\.(?:\nObject creation stack:[\s\S]*)?$/, "$1")]);
    throw e;
  }
}

function exitWith(problems: string[]): never {
  process.stderr.write(
    `hostnet: ${problems.length} problem(s) in the stack; nothing was synthesized or deployed:\n${problems.map((p) => `  ${problemLine(p)}\n`).join("")}`,
  );
  process.exit(1);
}
