/**
 * The one way a value reaches a shell. Values are validated first (src/validate);
 * quoting is the second line of defence, so a value that slipped through is still
 * inert data and never syntax.
 */

// Characters that need no quoting in POSIX sh: keeps rendered scripts readable.
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for POSIX sh. A leading dash stays a dash: callers pass `--` where argv parsing matters. */
export function shq(value: string | number): string {
  const s = String(value);
  if (s.includes("\0")) throw new Error(`a NUL byte cannot be passed to a shell: ${JSON.stringify(s)}`);
  if (s !== "" && SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Join argv into one quoted command line. */
export function argv(...words: Array<string | number>): string {
  return words.map(shq).join(" ");
}

/** Make text safe inside a `#` comment line: no newlines or control characters. */
export function commentSafe(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, "?");
}
