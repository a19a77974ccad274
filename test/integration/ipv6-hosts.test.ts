/**
 * Issue 15: hosts reached over IPv6. The lab's hosts have IPv6 management
 * addresses (fd00:198:18:N::/64 beside 198.18.N.0/24); a stack deploys to a
 * host at its IPv6 address, and to another through an IPv6 jump host, with SSH
 * over IPv4 (or direct SSH) cut, and destroy leaves each host as it was
 * (IPv6 routes, addresses and ip6tables included).
 */
import execa from "execa";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject } from "./support/cdktf-project";
import { sshBlockRule } from "./support/ssh-block";

const LAB = "va";
const INDEX = 221;
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const sshDir = mkdtempSync(path.join(tmpdir(), "hostnet-ssh-")) + "/control";
const TAG = "hostnet-test-va";
let inv: Inventory;
const projects: CdktfProject[] = [];
const blocks: Array<[cmd: string, rule: string[]]> = [];

async function block(cmd: "iptables" | "ip6tables", address: string): Promise<void> {
  const rule = sshBlockRule(address, TAG);
  await execa(cmd, ["-w", "-I", ...rule]);
  blocks.push([cmd, rule]);
}

function project(env: Record<string, string>): CdktfProject {
  const p = new CdktfProject("test/integration/fixtures/ipv6-host-app.ts", env.HOSTNET_STACK, {
    HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
    HOSTNET_SSH_DIR: sshDir,
    ...env,
  });
  projects.push(p);
  return p;
}

// Plain ssh from this machine, pinned against the lab's known_hosts (both addresses of each host).
const direct = (address: string) =>
  execa(
    "ssh",
    [
      "-F",
      "/dev/null",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=3",
      "-o",
      `UserKnownHostsFile=${inv.hosts.a.knownHostsFile}`,
      "-i",
      inv.hosts.a.identityFile,
      `root@${address}`,
      "true",
    ],
    { reject: false },
  );

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 2, index: INDEX, dir: labDir });
}, 120_000);

afterAll(async () => {
  for (const [cmd, rule] of blocks) await execa(cmd, ["-w", "-D", ...rule], { reject: false });
  for (const p of projects) {
    await p.destroy();
    p.remove();
  }
  await labDown({ name: LAB, dir: labDir });
  rmSync(labDir, { recursive: true, force: true });
  rmSync(path.dirname(sshDir), { recursive: true, force: true });
}, 300_000);

test("the lab gives each host an IPv6 management address that sshd listens on and known_hosts pins", async () => {
  expect([inv.subnet6, inv.gateway6, inv.hosts.a.address6, inv.hosts.b.address6]).toEqual([
    "fd00:198:18:221::/64",
    "fd00:198:18:221::1",
    "fd00:198:18:221::10",
    "fd00:198:18:221::11",
  ]);
  expect((await hostExec(inv, "a", "ip -6 -br addr show dev eth0 scope global")).stdout).toContain("fd00:198:18:221::10/64");
  expect((await direct(inv.hosts.a.address6!)).exitCode).toBe(0);
}, 60_000);

test("a host reached at its IPv6 address: deploy and destroy run over IPv6, and the host is left as it was", async () => {
  // Control: SSH over IPv4 to a is cut, so only IPv6 can reach it.
  await block("iptables", inv.hosts.a.address);
  expect((await direct(inv.hosts.a.address)).exitCode).not.toBe(0);
  const before = await hostSnapshot(inv, "a");
  const p = project({ HOSTNET_HOST: "a", HOSTNET_STACK: "six" });
  const up = await p.deploy();
  expect(up.output).toContain("Apply complete!");
  expect(up.exitCode).toBe(0);
  expect((await hostExec(inv, "a", "ip netns list")).stdout).toMatch(/^six\b/m);
  expect((await hostExec(inv, "a", "ip -n six -4 -br addr show dev eth0")).stdout).toContain("10.78.0.2/24");
  expect((await p.destroy()).exitCode).toBe(0);
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 300_000);

test("a host reached through an IPv6 jump host when direct SSH to it is cut", async () => {
  await block("ip6tables", inv.hosts.b.address6!);
  await block("iptables", inv.hosts.b.address);
  expect((await direct(inv.hosts.b.address6!)).exitCode).not.toBe(0);
  const before = await hostSnapshot(inv, "b");
  const p = project({ HOSTNET_HOST: "b", HOSTNET_JUMP: "a", HOSTNET_STACK: "sixj" });
  const up = await p.deploy();
  expect(up.output).toContain("Apply complete!");
  expect(up.exitCode).toBe(0);
  expect((await hostExec(inv, "b", "ip netns list")).stdout).toMatch(/^six\b/m);
  expect((await hostExec(inv, "a", "ip netns list")).stdout).not.toMatch(/^six\b/m);
  expect((await p.destroy()).exitCode).toBe(0);
  expect(await hostSnapshot(inv, "b")).toBe(before);
}, 300_000);
