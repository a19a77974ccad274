/**
 * Example: host-gw routing between hosts "a" (10.61.0.0/24) and "b"
 * (10.62.0.0/24) of an inventory (HOSTNET_INVENTORY; default: the local lab's).
 *   cd examples/host-gw && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import * as path from "path";
import { Host, HostnetStack } from "hostnet";
import { hostGw } from "./topology";

const inventory = process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json");
const app = new App();
const stack = new HostnetStack(app, "host-gw");
hostGw([
  { host: Host.fromInventory(stack, "a", inventory), cidr: "10.61.0.0/24" },
  { host: Host.fromInventory(stack, "b", inventory), cidr: "10.62.0.0/24" },
]);
app.synth();
