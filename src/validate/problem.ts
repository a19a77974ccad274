/**
 * What a check finds, as data: the problem with the value, and the fix the check
 * can name without knowing which prop holds the value. A construct that knows the
 * prop gives its own fix instead (`problemText(p, "Set props.name.")`): no caller
 * cuts a sentence off a message.
 */
export interface Problem {
  /** What is wrong, naming the value: `interface name "eth0x..." is 16 bytes; Linux allows 15.` */
  readonly message: string;
  /** What to do when the caller names nothing better: `Set a shorter name.` */
  readonly fix?: string;
}

export function problem(message: string, fix?: string): Problem {
  return fix === undefined ? { message } : { message, fix };
}

/** The problem as one message: the caller's fix when given, else the check's own. */
export function problemText(p: Problem, fix?: string): string {
  const f = fix ?? p.fix;
  return f ? `${p.message} ${f}` : p.message;
}

/** `problemText` for a check that may have found nothing. */
export function problemTextOrNull(p: Problem | null, fix?: string): string | null {
  return p ? problemText(p, fix) : null;
}

/** The non-null entries: `errs.push(...nonNull(ipProblem(v, "via")))`. */
export function nonNull<T>(...items: Array<T | null | undefined>): T[] {
  return items.filter((x): x is T => x !== null && x !== undefined);
}

/** A problem about one construct, as data: its path, and the message (the value and the fix). */
export interface PathProblem {
  readonly path: string;
  readonly message: string;
}

/** The one place a construct path is put in front of a message. */
export function formatPathProblem(p: PathProblem): string {
  return `${p.path}: ${p.message}`;
}
