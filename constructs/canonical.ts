import { formatIp } from "../src/ipam/ip";
import { parseAnyAddress } from "../src/validate/address";

/**
 * The canonical form of an IPv6 address or "address/prefix" (host bits kept);
 * anything else (IPv4, or text that does not parse, which its own check reports) as given.
 */
export function canonicalText(text: string): string {
  if (typeof text !== "string" || !text.includes(":")) return text;
  const [addr, prefix, ...rest] = text.split("/");
  const p = parseAnyAddress(addr);
  if (p.value === undefined || rest.length > 0) return text;
  return prefix === undefined ? formatIp(p.value.family, p.value.value) : `${formatIp(p.value.family, p.value.value)}/${prefix}`;
}
