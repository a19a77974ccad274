/**
 * hostnet.lock.json: the addresses IPAM handed out, per subnet and holder, so
 * the next synth hands each holder the same address whatever the declaration
 * order. Parsing, checking and rendering are pure; only `readLockFile` and
 * `writeLockFile` touch the disk.
 */
import * as fs from "fs";
import { cidrContains, formatAnyCidr, formatIp, parseAnyCidr, parseIp6 } from "./ip";
import { AddressError, parseIp4 } from "./ipv4";
import { HostnetError } from "../errors";

export const LOCK_FILE = "hostnet.lock.json";
export const LOCK_VERSION = 1;

/**
 * One subnet's record: its CIDR when it was written and holder path → address
 * (a dotted quad, or canonical IPv6 text for an IPv6 subnet; the format is the
 * same version 1 as before IPv6, so older files read unchanged).
 */
export interface LockedSubnet {
  readonly cidr: string;
  readonly addresses: Readonly<Record<string, string>>;
}

export interface LockData {
  readonly version: number;
  /** Keyed by the subnet's construct path. */
  readonly subnets: Readonly<Record<string, LockedSubnet>>;
}

export const EMPTY_LOCK: LockData = { version: LOCK_VERSION, subnets: {} };

/** Parse the file's text; throws an Error naming the file and the fix for anything malformed. */
export function parseLock(text: string, file: string): LockData {
  const bad = (why: string) =>
    new HostnetError(`${file}: ${why}. Fix the file, or delete it to renumber every subnet at the next synth (addresses may change).`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw bad(`is not valid JSON (${(e as Error).message}); a merge may have left conflict markers`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("is not a JSON object");
  const r = raw as { version?: unknown; subnets?: unknown };
  if (r.version !== LOCK_VERSION) throw bad(`has version ${JSON.stringify(r.version)}; this hostnet reads version ${LOCK_VERSION}`);
  if (typeof r.subnets !== "object" || r.subnets === null || Array.isArray(r.subnets)) throw bad(`has no "subnets" object`);
  const subnets: Record<string, LockedSubnet> = {};
  for (const [path, s] of Object.entries(r.subnets as Record<string, unknown>)) {
    const e = s as { cidr?: unknown; addresses?: unknown };
    if (
      typeof e !== "object" ||
      e === null ||
      typeof e.cidr !== "string" ||
      typeof e.addresses !== "object" ||
      e.addresses === null ||
      Array.isArray(e.addresses)
    ) {
      throw bad(`entry "${path}" needs "cidr" (a string) and "addresses" (an object)`);
    }
    const addresses: Record<string, string> = {};
    for (const [holder, ip] of Object.entries(e.addresses as Record<string, unknown>)) {
      if (typeof ip !== "string") throw bad(`entry "${path}" holds ${JSON.stringify(ip)} for ${holder}; addresses are strings such as "10.0.0.2"`);
      addresses[holder] = ip;
    }
    subnets[path] = { cidr: e.cidr, addresses };
  }
  return { version: LOCK_VERSION, subnets };
}

/** Pretty, sorted JSON: the same allocations always give the same bytes, one line per holder. */
export function renderLock(data: LockData): string {
  const subnets: Record<string, LockedSubnet> = {};
  for (const path of Object.keys(data.subnets).sort()) {
    const s = data.subnets[path];
    const addresses: Record<string, string> = {};
    for (const holder of Object.keys(s.addresses).sort()) addresses[holder] = s.addresses[holder];
    subnets[path] = { cidr: s.cidr, addresses };
  }
  return JSON.stringify({ version: LOCK_VERSION, subnets }, null, 2) + "\n";
}

/**
 * The lock after one stack's synth: every entry under `stackPath` is replaced
 * by `current` (so removed subnets and holders leave the file), entries of
 * other stacks sharing the file are kept.
 */
export function mergeLock(old: LockData, stackPath: string, current: Readonly<Record<string, LockedSubnet>>): LockData {
  const subnets: Record<string, LockedSubnet> = {};
  for (const [path, s] of Object.entries(old.subnets)) if (!path.startsWith(`${stackPath}/`)) subnets[path] = s;
  for (const [path, s] of Object.entries(current)) subnets[path] = s;
  return { version: LOCK_VERSION, subnets };
}

/**
 * Problems with one subnet's record against the subnet as declared now: an
 * address that is not an address of the subnet's family or lies outside the
 * (resized) subnet, or one address recorded for two holders (typically after
 * a merge). Returns the usable records (holder → address) and the messages.
 */
export function checkLocked(
  subnetPath: string,
  cidr: string,
  locked: LockedSubnet,
  file: string,
): { records: Map<string, bigint>; errors: string[] } {
  const records = new Map<string, bigint>();
  const errors: string[] = [];
  const net = parseAnyCidr(cidr);
  const outside: string[] = [];
  const byIp = new Map<bigint, string>();
  for (const holder of Object.keys(locked.addresses).sort()) {
    const text = locked.addresses[holder];
    let ip: bigint;
    try {
      const v6 = typeof text === "string" && text.includes(":");
      if (v6 !== (net.family === 6))
        throw new AddressError(`it is an IPv${v6 ? 6 : 4} address in the IPv${net.family} subnet ${formatAnyCidr(net)}.`);
      ip = v6 ? parseIp6(text) : BigInt(parseIp4(text));
    } catch (e) {
      if (!(e instanceof AddressError)) throw e;
      errors.push(`${file} records "${text}" for ${holder}: ${e.message} Fix or delete that line in ${file}; the holder then gets a new address.`);
      continue;
    }
    if (!cidrContains(net, { family: net.family, value: ip })) {
      outside.push(`${holder} (${text})`);
      continue;
    }
    const other = byIp.get(ip);
    if (other !== undefined) {
      errors.push(
        `${file} records ${formatIp(net.family, ip)} for ` +
          `both ${other} ` +
          `and ${holder} (two branches allocated it and were merged?). Delete one of the two lines ` +
          `from ${file}; that holder gets a new address at the next synth.`,
      );
      continue;
    }
    byIp.set(ip, holder);
    records.set(holder, ip);
  }
  if (outside.length > 0) {
    const list = outside.length > 3 ? `${outside.slice(0, 3).join(", ")} and ${outside.length - 3} more` : outside.join(", ");
    errors.push(
      `${file} records addresses outside the subnet, which is now ${formatAnyCidr(net)} but was ${locked.cidr} when the file was written: ${list}. ` +
        `Restore the CIDR, or delete the "${subnetPath}" entry from ${file} to renumber this subnet at the next synth.`,
    );
  }
  return { records, errors };
}

/** The lock file's contents, or an empty lock when there is no file yet. */
export function readLockFile(file: string): LockData {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return EMPTY_LOCK;
    throw new HostnetError(`${file}: cannot read the lock file (${(e as Error).message}). Check its permissions.`);
  }
  return parseLock(text, file);
}

/** Write only when the bytes change, so a synth that allocates nothing new leaves the file (and its mtime) alone. */
export function writeLockFile(file: string, data: LockData): void {
  const text = renderLock(data);
  let old: string | undefined;
  try {
    old = fs.readFileSync(file, "utf8");
  } catch {
    old = undefined;
  }
  if (old !== text) fs.writeFileSync(file, text);
}
