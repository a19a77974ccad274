/**
 * Example: Calico-style routed endpoints, dual stack (proxy ARP and proxy NDP), on
 * hosts "a" (10.63.2.0/24, fd00:63:2::/64) and "b" (10.63.3.0/24, fd00:63:3::/64) of
 * an inventory (HOSTNET_INVENTORY; default: the local lab's) whose IPv6 addresses
 * on eth0 are in HOSTNET_UNDERLAY6.
 *   cd examples/routed-dual-stack && HOSTNET_UNDERLAY6='{"a":"fd00:18::a","b":"fd00:18::b"}' ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import * as path from "path";
import { Host, HostnetStack } from "hostnet";
import { underlay6 } from "../underlay6";
import { routedDualStack } from "./topology";

const inventory = process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json");
const u6 = underlay6(["a", "b"]);
const app = new App();
const stack = new HostnetStack(app, "routed-dual-stack");
// Lab hosts have no IPv4 default route, so each gets one for the IPv4 gateway out of eth0 (proxy NDP needs none).
routedDualStack(
  ["a", "b"].map((h, i) => ({
    host: Host.fromInventory(stack, h, inventory),
    blocks: [`10.63.${i + 2}.0/24`, `fd00:63:${i + 2}::/64`] as const,
    address6: u6[h],
    gatewayDev: "eth0",
  })),
);
app.synth();
