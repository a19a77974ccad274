import * as fs from "fs";
import { HostnetError } from "../errors";
import { processAlive, sleep } from "./sys";

/** Lock file of a lab; per name, not per dir, because netns and link names are machine-wide. */
export function lockPath(lab: string): string {
  return `/run/lock/hostnet-lab-${lab}.lock`;
}

/**
 * Runs `fn` while holding the lab's lock, so that two `lab up`/`lab down`
 * runs on the same lab do not interleave. A lock left by a dead process is
 * taken over.
 */
export async function withLabLock<T>(lab: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const file = lockPath(lab);
  fs.mkdirSync("/run/lock", { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let holder = NaN;
    try {
      holder = Number.parseInt(fs.readFileSync(file, "utf8"), 10);
    } catch {
      continue; // released between our attempts
    }
    if (!Number.isInteger(holder) || !processAlive(holder)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new HostnetError(`lab "${lab}" is busy: process ${holder} holds ${file}; wait for it to finish or stop it.`, 1);
    }
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    try {
      if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  }
}
