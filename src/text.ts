/** Small text helpers every part of hostnet shows or sorts things with, defined once. */
import * as path from "path";

/**
 * Order of two strings by UTF-16 code units, for sort(): the same on every
 * machine and locale (localeCompare is not), so review files and plans stay put.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A path as messages show it: relative to the working directory when it lies below it, else as given. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}
