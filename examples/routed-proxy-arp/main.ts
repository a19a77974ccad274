/**
 * Example: Calico-style routed /32 endpoints with proxy ARP on hosts "a"
 * (10.63.0.0/24) and "b" (10.63.1.0/24) of an inventory (HOSTNET_INVENTORY;
 * default: the local lab's).
 *   cd examples/routed-proxy-arp && ../../bin/hostnet deploy
 */
import { App } from "cdktf";
import * as path from "path";
import { Host, HostnetStack } from "hostnet";
import { routedProxyArp } from "./topology";

const inventory = process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json");
const app = new App();
const stack = new HostnetStack(app, "routed-proxy-arp");
// Lab hosts have no default route, so each gets one for the gateway out of eth0.
routedProxyArp([
  { host: Host.fromInventory(stack, "a", inventory), block: "10.63.0.0/24", gatewayDev: "eth0" },
  { host: Host.fromInventory(stack, "b", inventory), block: "10.63.1.0/24", gatewayDev: "eth0" },
]);
app.synth();
