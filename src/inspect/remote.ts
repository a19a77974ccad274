/**
 * How `hostnet inspect` reaches a host: plain OpenSSH with the inventory's key
 * and pinned host key (never trust-on-first-use), the probe on stdin (`sh -s`),
 * so nothing from the probe is spliced into a command line.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HostnetError } from "../errors";
import { run } from "../lab/sys";
import { checkHostAddress, checkHostKey, checkPath, checkPort, checkUser } from "../validate/names";
import { INSPECT_SCRIPT } from "./probe";

/** One host of an inventory file (`hostnet lab up` writes them; the format Host.fromInventory reads). */
export interface InspectTarget {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly identityFile?: string;
  readonly knownHostsFile?: string;
  readonly hostKey?: string;
}

/** Reads host `name` from an inventory file; errors say what to do. */
export function readInspectTarget(file: string, name: string): InspectTarget {
  let inv: { hosts?: Record<string, Partial<InspectTarget>> };
  try {
    inv = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw new HostnetError(
      missing
        ? `no inventory at ${file}; start the lab with "hostnet lab up" or pass --inventory FILE.`
        : `inventory ${file} is not valid JSON (${(e as Error).message}).`,
    );
  }
  const h = inv.hosts?.[name];
  if (!h) throw new HostnetError(`inventory ${file} has no host "${name}"; it has: ${Object.keys(inv.hosts ?? {}).join(", ") || "none"}.`);
  const t: InspectTarget = {
    name,
    address: String(h.address),
    port: h.port ?? 22,
    user: h.user ?? "root",
    ...(h.identityFile ? { identityFile: h.identityFile } : {}),
    ...(h.knownHostsFile ? { knownHostsFile: h.knownHostsFile } : {}),
    ...(h.hostKey ? { hostKey: h.hostKey.trim() } : {}),
  };
  const problems = [
    checkHostAddress(t.address),
    checkPort(t.port, "SSH port"),
    checkUser(t.user),
    t.identityFile !== undefined ? checkPath(t.identityFile, "identity file path") : null,
    t.knownHostsFile !== undefined ? checkPath(t.knownHostsFile, "known_hosts path") : null,
    t.hostKey !== undefined ? checkHostKey(t.hostKey) : null,
  ].filter((p): p is string => p !== null);
  if (!t.knownHostsFile && !t.hostKey) problems.push(`no pinned host key; give the host a knownHostsFile or hostKey in the inventory.`);
  if (problems.length) throw new HostnetError(`host "${name}" in ${file}: ${problems.join(" ")}`);
  return t;
}

/** ssh arguments up to and including the remote command. */
export function sshProbeArgs(t: InspectTarget, knownHostsFile: string): string[] {
  return [
    "-F",
    "/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${knownHostsFile}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "LogLevel=ERROR",
    ...(t.identityFile ? ["-o", "IdentitiesOnly=yes", "-i", t.identityFile] : []),
    "-p",
    String(t.port),
    "-l",
    t.user,
    "--",
    t.address,
    "sh",
    "-s",
  ];
}

/** Runs the probe on the host; its raw output. */
export async function runProbe(t: InspectTarget): Promise<string> {
  let tmp: string | undefined;
  let kh = t.knownHostsFile;
  if (!kh) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-inspect-"));
    kh = path.join(tmp, "known_hosts");
    fs.writeFileSync(kh, `${t.port === 22 ? t.address : `[${t.address}]:${t.port}`} ${t.hostKey}\n`);
  }
  try {
    const r = await run("ssh", sshProbeArgs(t, kh), { input: INSPECT_SCRIPT, timeoutMs: 60_000 });
    if (r.exitCode !== 0) {
      const detail = r.stderr.trim().split("\n").pop() || `exit ${r.exitCode}`;
      throw new HostnetError(
        `cannot inspect host ${t.name} (${t.user}@${t.address}:${t.port}) over ssh: ${detail}. Check that it is up ("hostnet lab status" for a lab) and that the inventory's key is authorized there.`,
        1,
      );
    }
    return r.stdout;
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
