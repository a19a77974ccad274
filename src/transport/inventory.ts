/**
 * The inventory file: how to reach each host, by name. `hostnet lab up` writes
 * one for its test hosts (src/lab/inventory.ts adds the lab's own fields); you
 * can write one by hand (docs/hosts.md). This is its one reader: for
 * `Host.fromInventory`, `hostnet inspect` and the lab alike, and one entry
 * becomes the one connection shape, `SshTarget`.
 */
import * as fs from "fs";
import * as path from "path";
import { HostnetError } from "../errors";
import { checkHostAddress, checkHostKey, checkPath, checkPort, checkUser } from "../validate/names";
import { SshTarget } from "./ssh";
import { formatIp } from "../ipam/ip";
import { parseAnyAddress } from "../validate/address";

/** One host of an inventory file: the fields of `HostProps` that say how to reach it. */
export interface InventoryHost {
  /** Address or DNS name hostnet connects to over SSH. */
  readonly address: string;
  /** @default 22 */
  readonly port?: number;
  /** @default "root" */
  readonly user?: string;
  /** Path of the private key file. */
  readonly identityFile?: string;
  /** known_hosts file that holds the host's key; used instead of hostKey when both are given. */
  readonly knownHostsFile?: string;
  /** The host's public key ("ssh-ed25519 AAAA..."), pinned. */
  readonly hostKey?: string;
  /**
   * Reach the host through this jump host: port 22 and the host's user unless
   * given; the same identity file, and its key must be in knownHostsFile.
   */
  readonly jumpHost?: { readonly address: string; readonly port?: number; readonly user?: string };
}

/** An inventory file: `{ "hosts": { "<name>": { ... } } }`, and whatever else its writer adds. */
export interface InventoryFile<H extends InventoryHost = InventoryHost> {
  readonly hosts: { readonly [name: string]: H };
}

/** The name of the lab `hostnet lab up` makes when given none. */
export const DEFAULT_LAB = "lab";

/** Directory that holds the labs: `$HOSTNET_LAB_DIR`, else `<cwd>/.lab`, made absolute. */
export function labRoot(dir?: string): string {
  return path.resolve(dir ?? process.env.HOSTNET_LAB_DIR ?? path.join(process.cwd(), ".lab"));
}

/** Where `hostnet lab up` writes the inventory of lab `lab`: the inventory the CLI reads when given none. */
export function defaultInventoryPath(lab: string = DEFAULT_LAB): string {
  return path.join(labRoot(), lab, "inventory.json");
}

export interface ReadInventoryOptions {
  /** What the file is called in messages. @default "inventory" */
  readonly label?: string;
  /** What to do when it is missing or broken. @default 'start the lab with "hostnet lab up" or pass another inventory file' */
  readonly fix?: string;
}

/** Reads an inventory file and checks that it has a `hosts` object; errors say what to do. */
export function readInventoryFile<H extends InventoryHost = InventoryHost>(file: string, opts: ReadInventoryOptions = {}): InventoryFile<H> {
  const label = opts.label ?? "inventory";
  const fix = opts.fix ?? 'start the lab with "hostnet lab up" or pass another inventory file';
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw new HostnetError(missing ? `no ${label} at ${file}; ${fix}.` : `cannot read ${label} ${file} (${(e as Error).message}); ${fix}.`);
  }
  let inv: InventoryFile<H>;
  try {
    inv = JSON.parse(text) as InventoryFile<H>;
  } catch (e) {
    throw new HostnetError(`${label} ${file} is not valid JSON (${(e as Error).message}); ${fix}.`);
  }
  if (typeof inv !== "object" || inv === null || typeof inv.hosts !== "object" || inv.hosts === null || Array.isArray(inv.hosts))
    throw new HostnetError(`${label} ${file} lacks "hosts"; ${fix}.`);
  return inv;
}

/** Host `name` of an inventory file, as it stands there. */
export function readInventoryHost(file: string, name: string, opts: ReadInventoryOptions = {}): InventoryHost {
  const inv = readInventoryFile(file, opts);
  const h = Object.prototype.hasOwnProperty.call(inv.hosts, name) ? inv.hosts[name] : undefined;
  if (!h || typeof h !== "object")
    throw new HostnetError(`inventory ${file} has no host "${name}"; it has: ${Object.keys(inv.hosts).join(", ") || "none"}.`);
  return h;
}

/**
 * What an entry says about the connection, without empty fields: a known_hosts
 * file wins over a pinned key (a lab inventory gives both), so the hooks and
 * `hostnet inspect` make the same trust decision and share one connection.
 */
export function connectionOf(h: InventoryHost): InventoryHost {
  const c: Record<string, unknown> = {
    address: h.address,
    port: h.port,
    user: h.user,
    identityFile: h.identityFile,
    knownHostsFile: h.knownHostsFile,
    hostKey: h.knownHostsFile ? undefined : h.hostKey,
    jumpHost: h.jumpHost,
  };
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return c as unknown as InventoryHost;
}

/** The connection props of a host (HostProps or an inventory entry), with their defaults. */
export interface SshTargetProps extends Partial<InventoryHost> {
  readonly insecureIgnoreHostKey?: boolean;
}

/** The one connection shape, from props: port 22, user root, the jump host's user the target's; IPv6 addresses canonical. */
export function toSshTarget(p: SshTargetProps): SshTarget {
  const user = p.user ?? "root";
  return {
    // Host's validation reports a missing address (naming the inventory when it came from one).
    address: canonicalHost(p.address as string),
    port: p.port ?? 22,
    user,
    identityFile: p.identityFile,
    knownHostsFile: p.knownHostsFile,
    hostKey: p.hostKey?.trim(),
    insecureIgnoreHostKey: p.insecureIgnoreHostKey ?? false,
    jump: p.jumpHost && { address: canonicalHost(p.jumpHost.address), port: p.jumpHost.port ?? 22, user: p.jumpHost.user ?? user },
  };
}

// "FD00:0::10" and "fd00::10" are one host: one known_hosts line, one shared connection, one ledger.
function canonicalHost(address: string): string {
  if (typeof address !== "string" || !address.includes(":")) return address;
  const a = parseAnyAddress(address).value;
  return a ? formatIp(a.family, a.value) : address;
}

/** What is wrong with a target before any ssh runs: bad values, and no pinned key. */
export function sshTargetProblems(t: SshTarget): string[] {
  const problems = [
    checkHostAddress(t.address),
    checkPort(t.port, "SSH port"),
    checkUser(t.user),
    t.identityFile !== undefined ? checkPath(t.identityFile, "identity file path") : null,
    t.knownHostsFile !== undefined ? checkPath(t.knownHostsFile, "known_hosts path") : null,
    t.hostKey !== undefined ? checkHostKey(t.hostKey) : null,
    ...(t.jump ? [checkHostAddress(t.jump.address), checkPort(t.jump.port, "jump host port"), checkUser(t.jump.user)] : []),
  ].filter((p): p is string => p !== null);
  if (!t.insecureIgnoreHostKey && !t.knownHostsFile && !t.hostKey)
    problems.push(`no pinned host key; give the host a knownHostsFile or hostKey in the inventory.`);
  if (t.jump && !t.insecureIgnoreHostKey && !t.knownHostsFile)
    problems.push(`a jump host needs a knownHostsFile holding both the jump host's and the target's keys.`);
  return problems;
}

/** Host `name` of an inventory file as a checked SshTarget: what `hostnet inspect` connects with. */
export function inventoryTarget(file: string, name: string): SshTarget {
  const h = connectionOf(readInventoryHost(file, name));
  // A hand-written entry may lack the address or give a number: checkHostAddress then names what it got.
  const t = toSshTarget({ ...h, address: String(h.address) });
  const problems = sshTargetProblems(t);
  if (problems.length) throw new HostnetError(`host "${name}" in ${file}: ${problems.join(" ")}`);
  return t;
}
