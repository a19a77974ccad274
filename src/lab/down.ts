import * as fs from "fs";
import * as path from "path";
import { HostnetError } from "../errors";
import { inHostNamespaces, labSshdPids } from "./host-process";
import { Inventory, readInventory } from "./inventory";
import { assertLabName, bridgeName, DEFAULT_LAB, hostFromNetns, hostFromRootVeth, netnsName, rootVethName } from "./naming";
import { withLabLock } from "./lock";
import { LabFiles, labFiles } from "./paths";
import { killAndWait, must, requireRoot, run } from "./sys";

/** Options naming a lab. */
export interface LabOptions {
  /** Lab name. @default "lab" */
  readonly name?: string;
  /** Directory that holds the labs. @default $HOSTNET_LAB_DIR, else <cwd>/.lab */
  readonly dir?: string;
}

/** What labDown removed. */
export interface LabDownResult {
  readonly lab: string;
  /** Hosts whose netns, veth or sshd were found and removed. */
  readonly hosts: readonly string[];
  readonly bridgeRemoved: boolean;
  readonly dirRemoved: boolean;
}

// Runs inside a test host (its own /run/netns): empty and delete every
// netns that a deploy created there. A constant: nothing is interpolated.
const HOST_NETNS_CLEANUP = [
  'for n in $(ip netns list | cut -d" " -f1); do',
  '  p=$(ip netns pids "$n" 2>/dev/null); [ -n "$p" ] && kill -9 $p;',
  '  ip netns delete "$n";',
  "done; true",
].join("\n");

// Files a lab directory may hold; anything else means the path is not
// (only) a lab directory and must not be deleted.
const LAB_DIR_ENTRIES = new Set(["inventory.json", "id_ed25519", "id_ed25519.pub", "authorized_keys", "known_hosts", "hosts"]);

/** Pids of processes in a named netns of the current mount namespace. */
export async function netnsPids(netns: string): Promise<number[]> {
  const r = await run("ip", ["netns", "pids", netns]);
  if (r.exitCode !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

export async function linkExists(name: string): Promise<boolean> {
  return (await run("ip", ["link", "show", "dev", name])).exitCode === 0;
}

export function netnsExists(netns: string): boolean {
  return fs.existsSync(`/run/netns/${netns}`);
}

/**
 * Removes one test host: netns created inside it, every process in its
 * netns (sshd included), its root veth and its netns. Succeeds when any of
 * these is already gone.
 */
export async function removeHost(lab: string, files: LabFiles, host: string): Promise<boolean> {
  const netns = netnsName(lab, host);
  const veth = rootVethName(lab, host);
  const hasNetns = netnsExists(netns);
  const sshds = labSshdPids(files.pidFile(host), files.sshdConfig(host));
  const inNetns = hasNetns ? await netnsPids(netns) : [];
  // Enter the host through its sshd, or any other process that has the
  // host's private mount namespace, to reach the host's own /run/netns.
  const entry = [...sshds, ...inNetns].find((p) => inHostNamespaces(p, netns));
  if (entry !== undefined) {
    await run("nsenter", ["-t", String(entry), "-n", "-m", "sh", "-c", HOST_NETNS_CLEANUP]);
  }
  // An sshd of ours outside the netns (netns deleted by hand) goes too.
  const victims = [...new Set([...inNetns, ...sshds])];
  await killAndWait(victims);
  const hasVeth = await linkExists(veth);
  // Deleting one end of a veth deletes both, so the host's eth0 goes too.
  if (hasVeth) await must("ip", ["link", "del", "dev", veth]);
  if (hasNetns) await must("ip", ["netns", "delete", netns]);
  return hasNetns || hasVeth || victims.length > 0;
}

/** Hosts of a lab found in its inventory, the root netns list and root links. */
async function discoverHosts(lab: string, files: LabFiles): Promise<string[]> {
  const hosts = new Set<string>();
  let inv: Inventory | undefined;
  try {
    inv = readInventory(files.inventory);
  } catch {
    inv = undefined;
  }
  if (inv && inv.lab === lab) Object.keys(inv.hosts).forEach((h) => hosts.add(h));
  const netns = await run("ip", ["netns", "list"]);
  for (const line of netns.stdout.split("\n")) {
    const h = hostFromNetns(lab, line.split(" ")[0]);
    if (h) hosts.add(h);
  }
  const links = await run("ip", ["-o", "link", "show"]);
  for (const line of links.stdout.split("\n")) {
    // "12: hl-lab-a@if3: <...>"
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    const h = name ? hostFromRootVeth(lab, name) : undefined;
    if (h) hosts.add(h);
  }
  return [...hosts].sort();
}

/** Deletes the lab directory, refusing when it holds files the lab did not create. */
function removeLabDir(files: LabFiles): boolean {
  if (!fs.existsSync(files.dir)) return false;
  const foreign = fs.readdirSync(files.dir).filter((e) => !LAB_DIR_ENTRIES.has(e) && !e.endsWith(".tmp"));
  if (foreign.length > 0) {
    throw new HostnetError(`refusing to delete ${files.dir}: it holds ${foreign.join(", ")}, which the lab did not create; remove it by hand.`);
  }
  fs.rmSync(files.dir, { recursive: true, force: true });
  return true;
}

/**
 * Removes every trace of a lab: processes and netns inside each host, the
 * hosts' processes, netns and veths, the bridge, and the lab directory.
 * Touches only objects named with the lab's names; succeeds when the lab is
 * already (partly) gone.
 */
export async function labDown(opts: LabOptions = {}): Promise<LabDownResult> {
  const lab = opts.name ?? DEFAULT_LAB;
  assertLabName(lab);
  requireRoot();
  const files = labFiles(lab, opts.dir);
  return withLabLock(lab, () => down(lab, files));
}

async function down(lab: string, files: LabFiles): Promise<LabDownResult> {
  const hosts = await discoverHosts(lab, files);
  const removed = await Promise.all(hosts.map((h) => removeHost(lab, files, h)));
  const bridge = bridgeName(lab);
  const bridgeRemoved = await linkExists(bridge);
  if (bridgeRemoved) await must("ip", ["link", "del", "dev", bridge]);
  const dirRemoved = removeLabDir(files);
  return { lab, hosts: hosts.filter((_, i) => removed[i]), bridgeRemoved, dirRemoved };
}

/** Removes a host's files (used when a lab shrinks). */
export function removeHostDir(files: LabFiles, host: string): void {
  const dir = files.hostDir(host);
  if (path.dirname(dir) === path.join(files.dir, "hosts")) fs.rmSync(dir, { recursive: true, force: true });
}
