import * as fs from "fs";
import { HostnetError } from "../errors";
import { LabOptions, linkExists, netnsExists, removeHost, removeHostDir } from "./down";
import { hostSshdPid, LAB_TMPFS, labSshdPids } from "./host-process";
import { buildInventory, Inventory, publicKeyWithoutComment, readInventory, renderKnownHosts, writeInventory } from "./inventory";
import { linkAddrs, LinkAddrs } from "./links";
import { withLabLock } from "./lock";
import { hostFromNetns, HOST_IFACE, HostLayout, LabLayout, labLayout } from "./naming";
import { LabFiles, labFiles } from "./paths";
import { renderSshdConfig } from "./sshd-config";
import { waitForSsh } from "./ssh";
import { subnetProblem } from "./subnet";
import { killAndWait, must, requireRoot, requireTools, run, sleep } from "./sys";

/** Options of labUp. */
export interface LabUpOptions extends LabOptions {
  /** Number of hosts (a, b, ...), 1 to 26. @default 2 */
  readonly hosts?: number;
  /** Third octet N of the lab subnet 198.18.N.0/24. @default 0 for "lab", else a hash of the name in 1..250 */
  readonly index?: number;
}

const SSHD = "/usr/sbin/sshd";

// Runs in the host's fresh mount and UTS namespaces, then becomes sshd.
// The copies of the root's netns mounts are detached first: left in place
// (merely hidden under the tmpfs) they would keep every netns that existed
// at start-up alive for as long as this host runs. Values arrive as
// positional parameters ($1..$3), never inside the script text.
// root's ~/.bashrc is hidden from the host (an empty file mounted over it, in
// this mount namespace only): sshd runs every command through bash, which reads
// ~/.bashrc, and this machine's runs `pyenv init`, whose rehash waits 60 s on a
// lock that a killed session can leave behind: a test host is a clean machine.
const HOST_START = [
  'for m in /run/netns/* /run/netns; do umount -l "$m" 2>/dev/null; done',
  "mkdir -p /run/netns /run/hostnet",
  `mount -t tmpfs -o mode=0755 ${LAB_TMPFS} /run/netns`,
  `mount -t tmpfs -o mode=0755 ${LAB_TMPFS} /run/hostnet`,
  "{ [ ! -f /root/.bashrc ] || mount --bind /dev/null /root/.bashrc; }",
  'hostname "$1"',
  `exec ${SSHD} -f "$2" -E "$3"`,
].join(" && ");

/** Creates an ed25519 key pair (no passphrase) unless it exists; true when it created one. */
async function ensureKey(file: string, comment: string): Promise<boolean> {
  if (fs.existsSync(file) && fs.existsSync(`${file}.pub`)) return false;
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  await must("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
  return true;
}

/** Writes a file when its content differs; true when it changed. */
function writeIfChanged(file: string, content: string): boolean {
  try {
    if (fs.readFileSync(file, "utf8") === content) return false;
  } catch {
    // missing: write it
  }
  fs.writeFileSync(file, content);
  return true;
}

async function ensureBridge(layout: LabLayout, links: Map<string, LinkAddrs>): Promise<void> {
  if (!links.has(layout.bridge)) await must("ip", ["link", "add", "name", layout.bridge, "type", "bridge"]);
  await must("ip", ["addr", "replace", `${layout.gateway}/${layout.prefixLength}`, "dev", layout.bridge]);
  // nodad: usable at once (no tentative phase), so the hosts' sshd can bind and the first ssh works.
  await must("ip", ["addr", "replace", `${layout.gateway6}/64`, "dev", layout.bridge, "nodad"]);
  await must("ip", ["link", "set", "dev", layout.bridge, "up"]);
}

/** Creates or repairs a host's netns and veth; safe to repeat. */
async function ensureHostNetwork(layout: LabLayout, h: HostLayout): Promise<void> {
  if (!netnsExists(h.netns)) await must("ip", ["netns", "add", h.netns]);
  let inner = await linkAddrs(h.netns);
  let hasRootVeth = await linkExists(h.rootVeth);
  if (hasRootVeth && !inner.has(HOST_IFACE)) {
    // The root end survived but its peer is not in this netns (netns recreated by hand).
    await must("ip", ["link", "del", "dev", h.rootVeth]);
    hasRootVeth = false;
  }
  if (!hasRootVeth) {
    if (inner.has(HOST_IFACE)) await must("ip", ["-n", h.netns, "link", "del", "dev", HOST_IFACE]);
    await must("ip", ["link", "add", "name", h.rootVeth, "type", "veth", "peer", "name", HOST_IFACE, "netns", h.netns]);
    inner = await linkAddrs(h.netns);
  }
  await must("ip", ["link", "set", "dev", h.rootVeth, "master", layout.bridge, "up"]);
  // The IPv6 address survives the link going down, as the IPv4 one does (the kernel drops IPv6 addresses on down by default):
  // a test that cuts the host's link and brings it back finds the host as it was.
  await must("ip", ["netns", "exec", h.netns, "sysctl", "-q", "-w", `net.ipv6.conf.${HOST_IFACE}.keep_addr_on_down=1`]);
  const want = `${h.address}/${layout.prefixLength}`;
  const want6 = `${h.address6}/64`;
  const have = inner.get(HOST_IFACE)?.ipv4 ?? [];
  const have6 = inner.get(HOST_IFACE)?.ipv6 ?? [];
  if (have.length !== 1 || have[0] !== want || have6.length !== 1 || have6[0] !== want6) {
    await must("ip", ["-n", h.netns, "addr", "flush", "dev", HOST_IFACE]);
    await must("ip", ["-n", h.netns, "addr", "add", want, "dev", HOST_IFACE]);
    // nodad: sshd cannot bind a tentative address.
    await must("ip", ["-n", h.netns, "addr", "add", want6, "dev", HOST_IFACE, "nodad"]);
  }
  await must("ip", ["-n", h.netns, "link", "set", "dev", HOST_IFACE, "up"]);
  await must("ip", ["-n", h.netns, "link", "set", "dev", "lo", "up"]);
}

/** Starts the host's sshd in fresh private namespaces and waits for its pid file. */
async function startSshd(files: LabFiles, h: HostLayout): Promise<void> {
  const pidFile = files.pidFile(h.name);
  fs.rmSync(pidFile, { force: true });
  await must("ip", [
    "netns",
    "exec",
    h.netns,
    "unshare",
    "--mount",
    "--uts",
    "--propagation",
    "private",
    "sh",
    "-c",
    HOST_START,
    "sh",
    h.hostname,
    files.sshdConfig(h.name),
    files.sshdLog(h.name),
  ]);
  // sshd daemonizes before it binds; the pid file appears once it listens.
  for (let i = 0; i < 100; i++) {
    if (hostSshdPid(h.netns, pidFile, files.sshdConfig(h.name)) !== undefined) return;
    await sleep(50);
  }
  let log = "";
  try {
    log = fs.readFileSync(files.sshdLog(h.name), "utf8").trim().split("\n").pop() ?? "";
  } catch {
    // no log
  }
  throw new HostnetError(
    `sshd of host ${h.name} did not start in netns ${h.netns}: ${log || "no pid file, empty log"} (see ${files.sshdLog(h.name)}).`,
    1,
  );
}

/** Creates or repairs one host; returns its public host key. */
async function ensureHost(layout: LabLayout, files: LabFiles, h: HostLayout): Promise<string> {
  fs.mkdirSync(files.hostDir(h.name), { recursive: true, mode: 0o700 });
  const newKey = await ensureKey(files.hostKey(h.name), `hostnet-lab-${h.hostname}`);
  const hostKey = publicKeyWithoutComment(fs.readFileSync(`${files.hostKey(h.name)}.pub`, "utf8"));
  const config = renderSshdConfig({
    listenAddress: h.address,
    listenAddress6: h.address6,
    port: 22,
    hostKey: files.hostKey(h.name),
    authorizedKeysFile: files.authorizedKeys,
    pidFile: files.pidFile(h.name),
  });
  const changed = writeIfChanged(files.sshdConfig(h.name), config) || newKey;
  const running = hostSshdPid(h.netns, files.pidFile(h.name), files.sshdConfig(h.name));
  if (running !== undefined && changed) {
    // A new config or host key means the running sshd is not the one the
    // inventory will describe: rebuild the host from scratch.
    await removeHost(layout.lab, files, h.name);
  }
  await ensureHostNetwork(layout, h);
  if (running !== undefined && !changed) return hostKey;
  // Any sshd of ours still around here is outside the host's netns (netns
  // deleted by hand) and would hold the address or leak: stale.
  await killAndWait(labSshdPids(files.pidFile(h.name), files.sshdConfig(h.name)));
  await startSshd(files, h);
  return hostKey;
}

/** Removes hosts of this lab beyond the requested count (the lab shrank). */
async function removeExtraHosts(layout: LabLayout, files: LabFiles): Promise<void> {
  const wanted = new Set(layout.hosts.map((h) => h.name));
  const found = new Set<string>();
  const list = await run("ip", ["netns", "list"]);
  for (const line of list.stdout.split("\n")) {
    const h = hostFromNetns(layout.lab, line.split(" ")[0]);
    if (h) found.add(h);
  }
  try {
    Object.keys(readInventory(files.inventory).hosts).forEach((h) => found.add(h));
  } catch {
    // no inventory yet
  }
  for (const h of [...found].filter((x) => !wanted.has(x))) {
    await removeHost(layout.lab, files, h);
    removeHostDir(files, h);
  }
}

/**
 * Starts a lab of test hosts, or verifies and repairs a running one (e.g.
 * restarts a dead sshd). Returns once every host accepts ssh with its pinned
 * host key, after writing `<labdir>/inventory.json`.
 */
export async function labUp(opts: LabUpOptions = {}): Promise<Inventory> {
  const layout = labLayout(opts);
  requireRoot();
  await requireTools(["ip", "nsenter", "unshare", "ssh", "ssh-keygen", SSHD]);
  const files = labFiles(layout.lab, opts.dir);
  return withLabLock(layout.lab, () => up(layout, files));
}

async function up(layout: LabLayout, files: LabFiles): Promise<Inventory> {
  const links = await linkAddrs();
  const problem = subnetProblem(layout, [...links.values()]);
  if (problem) throw new HostnetError(problem);

  fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  await removeExtraHosts(layout, files);
  await ensureKey(files.identityFile, `hostnet-lab-${layout.lab}`);
  writeIfChanged(files.authorizedKeys, fs.readFileSync(files.publicKey, "utf8"));
  // sshd's privilege separation dir, and mount points for the hosts' tmpfs.
  fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  fs.mkdirSync("/run/hostnet", { recursive: true, mode: 0o755 });

  await ensureBridge(layout, links);
  const keys = await Promise.all(layout.hosts.map((h) => ensureHost(layout, files, h)));
  const inv = buildInventory(layout, files, Object.fromEntries(layout.hosts.map((h, i) => [h.name, keys[i]])));
  writeIfChanged(files.knownHosts, renderKnownHosts(inv));
  await Promise.all(Object.values(inv.hosts).map((h) => waitForSsh(h)));
  writeInventory(files.inventory, inv);
  return inv;
}
