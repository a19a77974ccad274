/**
 * Example: flannel-style VXLAN, dual stack inside, over an IPv6 underlay, between
 * hosts "a" and "b" of an inventory (HOSTNET_INVENTORY; default: the local lab's)
 * whose IPv6 addresses on eth0 are in HOSTNET_UNDERLAY6.
 *   cd examples/vxlan-dual-stack && HOSTNET_UNDERLAY6='{"a":"fd00:18::a","b":"fd00:18::b"}' ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import * as path from "path";
import { Host, HostnetStack } from "hostnet";
import { underlay6 } from "../underlay6";
import { vxlanDualStack } from "./topology";

const inventory = process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json");
const u6 = underlay6(["a", "b"]);
const app = new App();
const stack = new HostnetStack(app, "vxlan-dual-stack");
vxlanDualStack(
  ["a", "b"].map((h, i) => ({
    host: Host.fromInventory(stack, h, inventory),
    underlay6: u6[h],
    overlay: [`10.67.0.${i + 1}/24`, `fd00:67::${i + 1}/64`] as const,
    blocks: [`10.68.${i + 1}.0/24`, `fd00:68:${i + 1}::/64`] as const,
    endpoint: [`10.68.${i + 1}.2`, `fd00:68:${i + 1}::2`] as const,
    gatewayDev: "eth0",
  })),
);
app.synth();
