import * as fs from "fs";
import { nsId, processAlive, processArgv, readPidFile } from "./sys";

/** True when a process's argv (as sshd rewrites it) shows an sshd started with this config file. */
export function isSshdWithConfig(argv: readonly string[], sshdConfig: string): boolean {
  // sshd rewrites its argv (setproctitle) to one string: "sshd: /usr/sbin/sshd -f <config> ... [listener] ...".
  const line = argv.join(" ") + " ";
  return /^(\/usr\/sbin\/)?sshd\b/.test(line) && line.includes(` -f ${sshdConfig} `);
}

/**
 * Live listener sshd processes started with the host's sshd_config: the pid
 * file's process when it still matches (pids are reused, so the file alone
 * proves nothing), else every match in /proc, which also finds an sshd whose
 * pid file or lab directory was deleted.
 */
export function labSshdPids(pidFile: string, sshdConfig: string): number[] {
  const fromFile = readPidFile(pidFile);
  if (fromFile !== undefined && processAlive(fromFile) && isSshdWithConfig(processArgv(fromFile), sshdConfig)) return [fromFile];
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (processAlive(pid) && isSshdWithConfig(processArgv(pid), sshdConfig)) pids.push(pid);
  }
  return pids;
}

/** Source label of the tmpfs mounts that make a test host's /run/netns and /run/hostnet private. */
export const LAB_TMPFS = "hostnet-lab";

/**
 * True when the topmost mount on `mountPoint` in the process's mount
 * namespace is the lab's tmpfs. Parses /proc/<pid>/mountinfo lines:
 * "36 25 0:32 / /run/netns rw,relatime - tmpfs hostnet-lab rw,mode=755".
 */
export function mountinfoHasLabTmpfs(mountinfo: string, mountPoint: string): boolean {
  let top: string | undefined;
  for (const line of mountinfo.split("\n")) {
    const [pre, post] = line.split(" - ");
    if (post === undefined || pre.split(" ")[4] !== mountPoint) continue;
    top = post;
  }
  if (top === undefined) return false;
  const [fstype, source] = top.split(" ");
  return fstype === "tmpfs" && source === LAB_TMPFS;
}

/**
 * True when the process lives in the named netns and in a test host's mount
 * namespace (its /run/netns is the lab's private tmpfs). Both must hold
 * before entering it: a process started with plain `ip netns exec` shares the
 * root's /run/netns, and "delete every netns in /run/netns" there would hit
 * the real machine.
 */
export function inHostNamespaces(pid: number, netns: string): boolean {
  const want = nsId(`/run/netns/${netns}`);
  if (want === undefined || nsId(`/proc/${pid}/ns/net`) !== want) return false;
  let mountinfo: string;
  try {
    mountinfo = fs.readFileSync(`/proc/${pid}/mountinfo`, "utf8");
  } catch {
    return false;
  }
  return mountinfoHasLabTmpfs(mountinfo, "/run/netns");
}

/** The host's sshd pid when it is alive, ours, and inside the host's namespaces. */
export function hostSshdPid(netns: string, pidFile: string, sshdConfig: string): number | undefined {
  return labSshdPids(pidFile, sshdConfig).find((pid) => inHostNamespaces(pid, netns));
}
