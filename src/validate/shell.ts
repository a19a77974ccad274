/**
 * Rendering as a validation step: a value that slipped past the prop checks and
 * that no shell can carry (src/render/quote.ts UnquotableError) becomes a
 * problem of the object being rendered, reported with all the others.
 */
import { UnquotableError } from "../render/quote";

export function renderProblems<T>(render: () => T, fallback: T): { value: T; problems: string[] } {
  try {
    return { value: render(), problems: [] };
  } catch (e) {
    if (!(e instanceof UnquotableError)) throw e;
    return { value: fallback, problems: [e.problem] };
  }
}
