// Test hosts ("the lab"): network namespaces with their own mount and UTS
// namespaces and sshd, reached over a bridge on 198.18.N.0/24.
export { hostExec } from "./exec";
export type { HostExecOptions } from "./exec";
export { readInventory } from "./inventory";
export type { Inventory, InventoryHost } from "./inventory";
export { labDown } from "./down";
export type { LabDownResult, LabOptions } from "./down";
export { labUp } from "./up";
export type { LabUpOptions } from "./up";
export { labStatus } from "./status";
export type { HostStatus, LabStatus } from "./status";
export { defaultInventoryPath, labFiles, labRoot } from "./paths";
export { DEFAULT_LAB, labLayout } from "./naming";
export type { HostLayout, LabLayout } from "./naming";
export { hostSnapshot } from "./snapshot";
export { sshArgs, sshRun } from "./ssh";
export type { RunResult } from "./sys";
