/**
 * Example: two namespaces on one veth pair, on host "a" of an inventory
 * (HOSTNET_INVENTORY; default: the local lab's).
 *   cd examples/two-namespaces && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import * as path from "path";
import { Host, HostnetStack } from "hostnet";
import { twoNamespaces } from "./topology";

const inventory = process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json");
const app = new App();
const stack = new HostnetStack(app, "two-namespaces");
twoNamespaces(Host.fromInventory(stack, "a", inventory));
app.synth();
