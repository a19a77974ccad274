import { IStackSynthesizer, ISynthesisSession } from "cdktf";
import * as fs from "fs";
import * as path from "path";
import { LOCK_FILE, LockedSubnet, mergeLock, readLockFile, writeLockFile } from "./lock";

/**
 * Where a stack's lock file lives: the given path, or hostnet.lock.json beside
 * cdktf.json when the app runs in a cdktf project directory (its working
 * directory holds cdktf.json and the output directory lies inside it). Apps
 * elsewhere (synth tests in a temporary outdir) record nothing by default.
 */
export function defaultLockFile(given: string | false | undefined, outdir: string, cwd = process.cwd()): string | undefined {
  if (given === false) return undefined;
  if (given !== undefined) return path.resolve(cwd, given);
  const rel = path.relative(cwd, path.resolve(cwd, outdir));
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  return fs.existsSync(path.join(cwd, "cdktf.json")) ? path.join(cwd, LOCK_FILE) : undefined;
}

/** After the stack's own synth, writes its subnets' allocations into the lock file (keeping other stacks' entries). */
export class LockSynthesizer implements IStackSynthesizer {
  constructor(
    private readonly inner: IStackSynthesizer,
    private readonly stackPath: string,
    private readonly file: string,
    private readonly entries: () => Record<string, LockedSubnet>,
  ) {}

  synthesize(session: ISynthesisSession): void {
    this.inner.synthesize(session);
    // Read again: another stack of the same app may have written the file a moment ago.
    const merged = mergeLock(readLockFile(this.file), this.stackPath, this.entries());
    if (Object.keys(merged.subnets).length > 0 || fs.existsSync(this.file)) writeLockFile(this.file, merged);
  }
}
