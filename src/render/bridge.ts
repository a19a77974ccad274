import { createHash } from "crypto";
import { addressSteps } from "./address";
import { aliasWords, deleteOwnedLink, ensureLink, ip } from "./common";
import { netnsStepLines } from "./veth";
import { BridgeSpec, Hooks, ObjectRef } from "./types";

/**
 * A fixed MAC for a bridge, derived from its tag: 02 (locally administered,
 * unicast) and five bytes of the tag's SHA-256. A bridge without a set MAC takes
 * the lowest MAC of its ports, so adding or replacing a port can change it and
 * every neighbour's ARP entry for the gateway goes stale for seconds; with a
 * MAC of its own (as Docker gives docker0) it never changes.
 */
export function bridgeMac(tag: string): string {
  const h = createHash("sha256").update(tag).digest();
  return ["02", ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

export function renderBridge(br: BridgeSpec, ref: ObjectRef): Hooks {
  const addr = addressSteps(br.name, br.addresses);
  const create = [
    ...ensureLink(
      br.netns,
      br.name,
      ref.tag,
      [ip(br.netns, "link", "add", "name", br.name, ...(br.randomMac ? [] : ["address", bridgeMac(ref.tag)]), "type", "bridge")],
      "interface",
      { aliasByCaller: true },
    ),
    // Tagged first, then MTU, addresses and up: one `ip -batch` (and one sysctl for IPv6).
    ...netnsStepLines(br.netns, {
      sysctls: addr.sysctls,
      ip: [aliasWords(br.name, ref.tag), ["link", "set", "dev", br.name, "mtu", br.mtu], ...addr.ip, ["link", "set", "dev", br.name, "up"]],
    }),
  ];
  return { create, destroy: deleteOwnedLink(br.netns, br.name, ref.tag) };
}
