import { createHash } from "crypto";

export function shortHash(text: string, len = 6): string {
  return createHash("sha256").update(text).digest("hex").slice(0, len);
}

/**
 * A deterministic name from a construct id that fits `max` bytes: the id itself
 * when it fits and needs no cleaning, else a readable head plus a short hash of the
 * full path, so two long ids that share a head, or two ids that clean to the same
 * text, still get different names.
 */
export function deriveName(id: string, path: string, max: number, prefix = ""): string {
  let clean = id.replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[-.]+/, "");
  if (clean === "") clean = "x";
  const whole = prefix + clean;
  // A cleaned id could equal another id as written ("web app" and "web-app"), so it gets the hash too.
  if (whole.length <= max && clean === id) return whole;
  const hash = shortHash(path, 4);
  return prefix + clean.slice(0, max - prefix.length - hash.length - 1) + "-" + hash;
}

/** Tag stored on links and in rule comments: shell-safe, at most 200 bytes (iptables allows 256). */
export function objectTag(stack: string, path: string): string {
  const t = `hostnet:${stack}:${path}`.replace(/[^A-Za-z0-9_.:/-]/g, "_");
  return t.length <= 200 ? t : `${t.slice(0, 190)}~${shortHash(path, 8)}`;
}

/** Ledger id of an object: short and stable for a construct path. */
export function objectId(path: string): string {
  return shortHash(path, 12);
}
