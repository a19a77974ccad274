import { LabOptions, linkExists, netnsExists } from "./down";
import { hostSshdPid } from "./host-process";
import { Inventory, readInventory } from "./inventory";
import { assertLabName, bridgeName, DEFAULT_LAB, hostFromNetns, netnsName } from "./naming";
import { labFiles } from "./paths";
import { sshReachable } from "./ssh";
import { run } from "./sys";

/** State of one test host. */
export interface HostStatus {
  readonly name: string;
  /** Address from the inventory; undefined when the host is not in it. */
  readonly address?: string;
  /** IPv6 management address from the inventory (lab hosts have one on fd00:198:18:N::/64). */
  readonly address6?: string;
  readonly netns: string;
  readonly netnsExists: boolean;
  /** Pid of the host's sshd when it is alive and inside the host's namespaces. */
  readonly sshdPid?: number;
  readonly sshdAlive: boolean;
  /** ssh with the pinned host key logs in and runs `true`. */
  readonly sshReachable: boolean;
}

/** State of a lab. */
export interface LabStatus {
  readonly lab: string;
  readonly dir: string;
  readonly inventoryPath: string;
  /** The inventory, when one exists and can be read. */
  readonly inventory?: Inventory;
  readonly bridge: string;
  readonly bridgeExists: boolean;
  readonly subnet?: string;
  readonly subnet6?: string;
  readonly hosts: readonly HostStatus[];
  /** Every inventory host has its netns, a live sshd and answers ssh. */
  readonly healthy: boolean;
}

/** Reports a lab's bridge and, per host, netns, sshd and ssh reachability. */
export async function labStatus(opts: LabOptions = {}): Promise<LabStatus> {
  const lab = opts.name ?? DEFAULT_LAB;
  assertLabName(lab);
  const files = labFiles(lab, opts.dir);
  let inventory: Inventory | undefined;
  try {
    inventory = readInventory(files.inventory);
  } catch {
    inventory = undefined;
  }
  const names = new Set(Object.keys(inventory?.hosts ?? {}));
  for (const line of (await run("ip", ["netns", "list"])).stdout.split("\n")) {
    const h = hostFromNetns(lab, line.split(" ")[0]);
    if (h) names.add(h);
  }
  const hosts = await Promise.all(
    [...names].sort().map(async (name): Promise<HostStatus> => {
      const netns = netnsName(lab, name);
      const sshdPid = hostSshdPid(netns, files.pidFile(name), files.sshdConfig(name));
      const inv = inventory?.hosts[name];
      return {
        name,
        address: inv?.address,
        address6: inv?.address6,
        netns,
        netnsExists: netnsExists(netns),
        sshdPid,
        sshdAlive: sshdPid !== undefined,
        sshReachable: inv !== undefined && sshdPid !== undefined ? await sshReachable(inv) : false,
      };
    }),
  );
  const bridge = bridgeName(lab);
  return {
    lab,
    dir: files.dir,
    inventoryPath: files.inventory,
    inventory,
    bridge,
    bridgeExists: await linkExists(bridge),
    subnet: inventory?.subnet,
    subnet6: inventory?.subnet6,
    hosts,
    healthy:
      inventory !== undefined && hosts.length > 0 && hosts.every((h) => h.address !== undefined && h.netnsExists && h.sshdAlive && h.sshReachable),
  };
}
