import { LinkAddrs } from "./links";
import { LabLayout } from "./naming";

/** 32-bit unsigned value of a dotted IPv4 address. */
export function ipv4ToInt(address: string): number {
  return address.split(".").reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}

/** True when two IPv4 CIDRs share any address. */
export function cidrOverlaps(a: string, b: string): boolean {
  const [aa, al] = a.split("/");
  const [ba, bl] = b.split("/");
  const len = Math.min(Number(al ?? 32), Number(bl ?? 32));
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return (ipv4ToInt(aa) & mask) >>> 0 === (ipv4ToInt(ba) & mask) >>> 0;
}

/**
 * Why the lab cannot use its subnet in the root namespace, or undefined.
 * Another link with an address overlapping 198.18.N.0/24 would make routes
 * ambiguous; the lab's own bridge with another address means the lab is up
 * with a different --index.
 */
export function subnetProblem(layout: LabLayout, links: readonly LinkAddrs[]): string | undefined {
  const mine = `${layout.gateway}/${layout.prefixLength}`;
  for (const link of links) {
    for (const cidr of link.ipv4) {
      if (link.name === layout.bridge) {
        if (cidr !== mine && cidr.startsWith("198.18.")) {
          const other = cidr.split(".")[2];
          return `lab "${layout.lab}" is already up on ${cidr} (bridge ${layout.bridge}), not ${mine}; pass --index ${other}, or run "hostnet lab down --name ${layout.lab}" first.`;
        }
        continue;
      }
      if (cidrOverlaps(cidr, layout.subnet)) {
        const owner = /^hlbr-(.+)$/.exec(link.name);
        const who = owner ? `bridge ${link.name} of lab "${owner[1]}"` : `interface ${link.name}`;
        return `subnet ${layout.subnet} of lab "${layout.lab}" overlaps ${cidr} on ${who}; pick a free subnet with --index N (198.18.N.0/24).`;
      }
    }
  }
  return undefined;
}
