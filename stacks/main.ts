/**
 * The default app (cdktf.json): the foundation topology on one host of an
 * inventory. HOSTNET_INVENTORY names the inventory file (default: the local
 * lab's, written by `hostnet lab up`); HOSTNET_HOST the host in it (default "a").
 */
import { App } from "cdktf";
import * as path from "path";
import { Host, HostnetStack, synthOrExit } from "../constructs";
import { labTopology } from "./lab-topology";

const inventory = process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", ".lab", "lab", "inventory.json");
const hostName = process.env.HOSTNET_HOST ?? "a";

const app = new App();
const stack = new HostnetStack(app, "hostnet-lab", {
  resourceType: process.env.HOSTNET_RESOURCE_TYPE === "null_resource" ? "null_resource" : "terraform_data",
});
labTopology(Host.fromInventory(stack, hostName, inventory));
synthOrExit(app);
