import * as fs from "fs";
import * as path from "path";

/**
 * Replaces `dir` with exactly these files (a host removed from the stack
 * leaves no stale scripts behind). Files are written to a sibling temporary
 * folder first and swapped in, so a reader never sees half a review.
 */
export function writeReviewDir(dir: string, files: ReadonlyMap<string, string>): void {
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const [rel, content] of files) {
    const file = path.join(tmp, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode: rel.endsWith(".sh") ? 0o755 : 0o644 });
  }
  fs.mkdirSync(tmp, { recursive: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}
