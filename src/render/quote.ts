/**
 * The one way a value reaches a shell. Values are validated first (src/validate);
 * quoting is the second line of defence, so a value that slipped through is still
 * inert data and never syntax.
 */
import { HostnetError } from "../errors";

/**
 * A value no shell command can carry. Thrown while rendering; synth reports it
 * as a validation problem of the object being rendered (src/validate/shell.ts).
 */
export class UnquotableError extends HostnetError {
  constructor(
    /** What is wrong, without the construct path: "value "a\u0000b" holds a NUL byte". */
    readonly problem: string,
  ) {
    super(problem);
    this.name = "UnquotableError";
  }
}

// Characters that need no quoting in POSIX sh: keeps rendered scripts readable.
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for POSIX sh. A leading dash stays a dash: callers pass `--` where argv parsing matters. */
export function shq(value: string | number): string {
  const s = String(value);
  if (s.includes("\0"))
    throw new UnquotableError(`value ${JSON.stringify(s)} holds a NUL byte, which no shell command can carry. Remove it from the prop that sets it.`);
  if (s !== "" && SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Join argv into one quoted command line. */
export function argv(...words: Array<string | number>): string {
  return words.map(shq).join(" ");
}

/** Make text safe inside a `#` comment line: no newlines or control characters. */
export function commentSafe(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
  return String(text).replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, "?");
}
