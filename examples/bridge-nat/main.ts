/**
 * Example: a bridge with three namespaces, outbound masquerade and a published
 * port, on host "a" of an inventory (default: the local lab's).
 *   cd examples/bridge-nat && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import * as path from "path";
import { Host, HostnetStack } from "hostnet";
import { labTopology } from "./topology";

const inventory = process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json");
const app = new App();
const stack = new HostnetStack(app, "bridge-nat");
labTopology(Host.fromInventory(stack, "a", inventory));
app.synth();
