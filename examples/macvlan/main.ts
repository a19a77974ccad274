/**
 * Example: two namespaces on macvlan children of one parent, on host "a" of an
 * inventory (HOSTNET_INVENTORY; default: the local lab's).
 *   cd examples/macvlan && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import * as path from "path";
import { Host, HostnetStack } from "hostnet";
import { macvlanPair } from "./topology";

const inventory = process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json");
const app = new App();
const stack = new HostnetStack(app, "macvlan");
macvlanPair(Host.fromInventory(stack, "a", inventory));
app.synth();
