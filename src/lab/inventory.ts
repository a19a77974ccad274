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
}

/** A running lab, as written by `hostnet lab up` to `<labdir>/inventory.json`. */
export interface Inventory extends InventoryFile<InventoryHost> {
  readonly lab: string;
  /** Absolute lab directory (keys, per-host sshd files). */
  readonly dir: string;
  readonly bridge: string;
  readonly gateway: string;
  readonly subnet: string;
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
    };
  }
  return { lab: layout.lab, dir: files.dir, bridge: layout.bridge, gateway: layout.gateway, subnet: layout.subnet, hosts };
}

/** Key type and base64 of an OpenSSH public key line, without its comment. */
export function publicKeyWithoutComment(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(" ");
}

/** known_hosts content pinning each host's key under its address. */
export function renderKnownHosts(inv: Inventory): string {
  return Object.values(inv.hosts)
    .map((h) => `${h.port === 22 ? h.address : `[${h.address}]:${h.port}`} ${h.hostKey}\n`)
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
