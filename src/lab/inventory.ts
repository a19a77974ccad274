import * as fs from "fs";
import { HostnetError } from "../errors";
import { InventoryFile, InventoryHost as InventoryEntry, readInventoryFile } from "../transport/inventory";
import { LabFiles } from "./paths";
import { LabLayout } from "./naming";

/** How to reach one test host, as written to inventory.json: an inventory entry (src/transport/inventory.ts) with every field set. */
export interface InventoryHost extends InventoryEntry {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Absolute path of the client private key. */
  readonly identityFile: string;
  /** Absolute path of a known_hosts file that pins every host key of the lab. */
  readonly knownHostsFile: string;
  /** Host public key: `ssh-ed25519 AAAA...`. */
  readonly hostKey: string;
  readonly netns: string;
  readonly rootVeth: string;
  /**
   * The host's IPv6 management address (fd00:198:18:N::(10+i)); sshd listens on it too, and the known_hosts
   * file pins the host key under it, so `Host.fromInventory(file, "a", { address: inv.hosts.a.address6 })`
   * reaches the host over IPv6. Absent in inventories written before IPv6.
   */
  readonly address6?: string;
}

/** A running lab, as written by `hostnet lab up` to `<labdir>/inventory.json`. */
export interface Inventory extends InventoryFile<InventoryHost> {
  readonly lab: string;
  /** Absolute lab directory (keys, per-host sshd files). */
  readonly dir: string;
  readonly bridge: string;
  readonly gateway: string;
  readonly subnet: string;
  /** IPv6 bridge address and subnet (fd00:198:18:N::1, fd00:198:18:N::/64). */
  readonly gateway6?: string;
  readonly subnet6?: string;
  readonly hosts: { readonly [name: string]: InventoryHost };
}

/** Builds the inventory of a lab from its layout, files and host public keys. */
export function buildInventory(layout: LabLayout, files: LabFiles, hostKeys: Record<string, string>): Inventory {
  const hosts: Record<string, InventoryHost> = {};
  for (const h of layout.hosts) {
    hosts[h.name] = {
      name: h.name,
      address: h.address,
      port: 22,
      user: "root",
      identityFile: files.identityFile,
      knownHostsFile: files.knownHosts,
      hostKey: hostKeys[h.name],
      netns: h.netns,
      rootVeth: h.rootVeth,
      address6: h.address6,
    };
  }
  const { lab, bridge, gateway, subnet, gateway6, subnet6 } = layout;
  return { lab, dir: files.dir, bridge, gateway, subnet, gateway6, subnet6, hosts };
}

/** Key type and base64 of an OpenSSH public key line, without its comment. */
export function publicKeyWithoutComment(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(" ");
}

/** known_hosts content pinning each host's key under its addresses (IPv4, and IPv6 when it has one; "[addr]:port" off port 22). */
export function renderKnownHosts(inv: Inventory): string {
  const name = (address: string, port: number) => (port === 22 ? address : `[${address}]:${port}`);
  return Object.values(inv.hosts)
    .flatMap((h) => [h.address, ...(h.address6 ? [h.address6] : [])].map((a) => `${name(a, h.port)} ${h.hostKey}\n`))
    .join("");
}

/** Reads and checks a lab's inventory file (the one inventory reader, plus the lab's fields); errors say how to create one. */
export function readInventory(file: string): Inventory {
  const inv = readInventoryFile<InventoryHost>(file, { label: "lab inventory", fix: 'start the lab with "hostnet lab up"' }) as Inventory;
  if (typeof inv.lab !== "string") throw new HostnetError(`lab inventory ${file} lacks "lab" or "hosts"; run "hostnet lab up" again.`);
  return inv;
}

/** Writes an inventory atomically (readers never see a half-written file). */
export function writeInventory(file: string, inv: Inventory): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(inv, null, 2) + "\n");
  fs.renameSync(tmp, file);
}
