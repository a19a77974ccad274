/**
 * Checks and arithmetic for tc values (rates, sizes, class ids). Each check
 * returns null when the value is fine, or a message with the fix; callers
 * prefix the construct path.
 */
import { printable } from "./names";

// tc's rate units: SI bits, IEC bits, and the same in bytes ("bps" is bytes per second in tc).
const RATE_UNITS: Record<string, number> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
  kibit: 1024,
  mibit: 1024 ** 2,
  gibit: 1024 ** 3,
  tibit: 1024 ** 4,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
  tbps: 8e12,
  kibps: 8 * 1024,
  mibps: 8 * 1024 ** 2,
  gibps: 8 * 1024 ** 3,
  tibps: 8 * 1024 ** 4,
};

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  kbit: 128,
  mbit: 128 * 1024,
  gbit: 128 * 1024 ** 2,
};

/** Bits per second of a tc rate ("20mbit" → 20000000), or null when it is not one. */
export function rateBits(text: string): number | null {
  const m = typeof text === "string" ? /^(\d+(?:\.\d+)?)([a-z]+)$/i.exec(text) : null;
  if (!m) return null;
  const unit = RATE_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return null;
  const v = Number(m[1]) * unit;
  return v > 0 && Number.isFinite(v) ? v : null;
}

/** Bytes of a tc size ("15k" → 15360), or null. */
export function sizeBytes(text: string): number | null {
  const m = typeof text === "string" ? /^(\d+)([a-z]*)$/i.exec(text) : null;
  if (!m) return null;
  const unit = m[2] === "" ? 1 : SIZE_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return null;
  const v = Number(m[1]) * unit;
  return v > 0 && Number.isFinite(v) ? v : null;
}

export function checkRate(text: string, what: string): string | null {
  return rateBits(text) === null
    ? `${what} "${printable(String(text))}" is not a tc rate; write a number and a unit, e.g. "20mbit", "512kbit" or "1gbit".`
    : null;
}

export function checkSize(text: string, what: string): string | null {
  return sizeBytes(text) === null
    ? `${what} "${printable(String(text))}" is not a tc size; write bytes with an optional unit, e.g. "15k", "1600" or "1mb".`
    : null;
}

/**
 * htb class ids: the minor number is written in decimal digits and tc reads it
 * as hex, so only digits are used (no "a"-"f"), 2-9999; 1 is hostnet's parent class.
 */
export function checkClassId(id: number): string | null {
  if (!Number.isInteger(id) || id < 2 || id > 9999)
    return `class id ${printable(String(id))} must be a whole number from 2 to 9999 (1 is the parent class hostnet adds).`;
  return null;
}

/**
 * htb's quantum for a class: bytes per round when classes borrow. tc derives it
 * as rate/10 and warns outside 1000-200000 bytes; clamp it to an MTU-sized
 * packet at least and 200000 at most.
 */
export function htbQuantum(bitsPerSecond: number): number {
  return Math.min(200000, Math.max(1514, Math.round(bitsPerSecond / 8 / 10)));
}

/** A rate in bits per second as tc writes it back, in the largest whole unit ("60mbit"). */
export function formatRate(bitsPerSecond: number): string {
  const b = Math.round(bitsPerSecond);
  for (const [unit, size] of [
    ["gbit", 1e9],
    ["mbit", 1e6],
    ["kbit", 1e3],
  ] as const)
    if (b % size === 0 && b >= size) return `${b / size}${unit}`;
  return `${b}bit`;
}
