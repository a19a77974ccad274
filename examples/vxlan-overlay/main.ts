/**
 * Example: namespaces on hosts "a" and "b" of an inventory in one subnet over
 * VXLAN (HOSTNET_INVENTORY; default: the local lab's, `hostnet lab up` makes two hosts).
 *   cd examples/vxlan-overlay && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import * as path from "path";
import { Host, HostnetStack } from "hostnet";
import { vxlanOverlay } from "./topology";

const inventory = process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json");
const app = new App();
const stack = new HostnetStack(app, "vxlan-overlay");
vxlanOverlay(
  stack,
  ["a", "b"].map((h) => Host.fromInventory(stack, h, inventory)),
);
app.synth();
