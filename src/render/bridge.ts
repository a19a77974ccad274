import { deleteOwnedLink, ensureLink, ip } from "./common";
import { BridgeSpec, Hooks, ObjectRef } from "./types";

export function renderBridge(br: BridgeSpec, ref: ObjectRef): Hooks {
  const create = [
    ...ensureLink(br.netns, br.name, ref.tag, [ip(br.netns, "link", "add", "name", br.name, "type", "bridge")], "interface"),
    ip(br.netns, "link", "set", "dev", br.name, "mtu", br.mtu),
    ...br.addresses.map((a) => ip(br.netns, "addr", "replace", a, "dev", br.name)),
    ip(br.netns, "link", "set", "dev", br.name, "up"),
  ];
  return { create, destroy: deleteOwnedLink(br.netns, br.name, ref.tag) };
}
