/**
 * Example: a bridge joining three namespaces and the host, on host "a" of an
 * inventory (HOSTNET_INVENTORY; default: the local lab's).
 *   cd examples/bridge-hosts && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import * as path from "path";
import { Host, HostnetStack } from "hostnet";
import { bridgeHosts } from "./topology";

const inventory = process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json");
const app = new App();
const stack = new HostnetStack(app, "bridge-hosts");
bridgeHosts(Host.fromInventory(stack, "a", inventory));
app.synth();
