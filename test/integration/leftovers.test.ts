/**
 * Issue 11 items 12 and 13 on a test host: what a deploy leaves behind after
 * a failed create, a full ledger or a lost ledger, tables hostnet made, and a
 * bridge MAC that must not move when ports change.
 */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, Inventory, labDown, labUp } from "../../src/lab";
import { bridgeMac } from "../../src/render/bridge";
import { CdktfProject } from "./support/cdktf-project";

const LAB = "lf";
const INDEX = 141;
const STACK = "lfstack";
const DIR = `/run/hostnet/${STACK}`;
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
let inv: Inventory;
let project: CdktfProject;
let before: { iptables: string; run: string; forward: string };

const sh = async (script: string) => (await hostExec(inv, "a", script)).stdout;
/** iptables-save as printed (no comments, no counters): empty tables count. */
const state = async () => ({
  iptables: await sh("iptables-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'"),
  run: await sh("ls -A /run/hostnet"),
  forward: await sh("sysctl -n net.ipv4.ip_forward"),
});
const brMac = async () => (await sh("cat /sys/class/net/br-lf/address")).trim();

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 1, dir: labDir, index: INDEX });
  before = await state();
  project = new CdktfProject("test/integration/fixtures/leftovers-app.ts", STACK, {
    HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
    HOSTNET_STACK: STACK,
    LF_PORTS: "p1,p2",
  });
}, 600_000);

afterAll(async () => {
  if (inv) await hostExec(inv, "a", `umount ${DIR} 2>/dev/null || true`);
  if (project) {
    await project.destroy();
    project.remove();
  }
  await labDown({ name: LAB, dir: labDir });
  rmSync(labDir, { recursive: true, force: true });
}, 900_000);

test("the host starts without nat and filter tables (what the table test relies on)", () => {
  expect(before.iptables).not.toContain("*nat");
  expect(before.iptables).not.toContain("*filter");
});

test("a bridge has its own MAC, derived from its tag, which stays when its ports are replaced; namespace veth ends have arp_notify=1", async () => {
  const r = await project.deploy();
  expect(r.exitCode).toBe(0);
  const mac = await brMac();
  expect(mac).toBe(bridgeMac(`hostnet:${STACK}:${STACK}/a/br-lf`));
  expect(await sh("ip netns exec p1 sysctl -n net.ipv4.conf.eth0.arp_notify; ip netns exec p2 sysctl -n net.ipv4.conf.eth0.arp_notify")).toBe("1\n1");
  // p2 goes, p3 and p0 come: the bridge would otherwise take the lowest MAC of its new ports.
  project.setEnv({ LF_PORTS: "p1,p3,p0" });
  const again = await project.deploy();
  expect(again.exitCode).toBe(0);
  expect(await sh("ip -br link show master br-lf | wc -l")).toBe("3");
  expect(await brMac()).toBe(mac);
  expect(await sh("ip netns exec p0 sysctl -n net.ipv4.conf.eth0.arp_notify")).toBe("1");
}, 900_000);

test("destroy with the ledger gone warns about the sysctl it cannot restore, and leaves iptables-save as it was (no empty nat or filter table)", async () => {
  expect(await sh("iptables-save | grep -c '^\\*'")).toBe("2");
  await sh(`rm -rf ${DIR}`);
  const r = await project.destroy();
  expect(r.exitCode).toBe(0);
  expect(r.output).toContain(`hostnet: warning: ${STACK}/a/ip-forward: no saved value of net.ipv4.ip_forward to restore`);
  expect(r.output).toContain("net.ipv4.ip_forward stays at 1.");
  await sh(`sysctl -q -w net.ipv4.ip_forward=${before.forward.trim()}`);
  expect(await state()).toEqual(before);
}, 900_000);

test("a create that fails on a command error leaves nothing after a successful destroy", async () => {
  project.setEnv({ LF_PORTS: "p1", LF_BAD_SYSCTL: "1" });
  const r = await project.deploy();
  expect(r.exitCode).not.toBe(0);
  expect(r.output).toContain(`hostnet: ${STACK}/a/bad-sysctl: create failed; undoing what it made`);
  const d = await project.destroy();
  expect(d.exitCode).toBe(0);
  expect(await state()).toEqual(before);
}, 900_000);

test("a full ledger: the create fails naming the entry, leaves no .down.tmp; gc lists an unfinished entry; the next deploy converges and destroy leaves nothing", async () => {
  project.setEnv({ LF_PORTS: "p1", LF_BAD_SYSCTL: "0" });
  // A 16 KiB ledger with one page free: room for the hook lock's .owner, none for an entry.
  await sh(`mkdir -p ${DIR} && mount -t tmpfs -o size=16k lf-full ${DIR} && dd if=/dev/zero of=${DIR}/fill bs=4k count=3 2>/dev/null`);
  try {
    const r = await project.deploy();
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toMatch(
      /cannot write the ledger entry \/run\/hostnet\/lfstack\/[0-9a-f]+\.down \(is \/run\/hostnet\/lfstack full or read-only\?\)/,
    );
    expect(await sh(`ls -A ${DIR}`)).not.toContain(".down");
  } finally {
    await sh(`umount ${DIR}`);
  }
  // What an interrupted write leaves: gc lists it (and exits non-zero, or says to use --yes).
  await sh(`mkdir -p ${DIR} && printf '# hostnet destroy bri' > ${DIR}/0123456789ab.down.tmp`);
  const gc = await project.hostnet("gc", "--stack", STACK);
  expect(gc.output).toMatch(/partial\s+0123456789ab\.down\.tmp/);
  expect((await project.hostnet("gc", "--stack", STACK, "--yes")).output).toContain("removed");
  expect(await sh(`ls -A ${DIR}`)).not.toContain(".tmp");
  expect((await project.deploy()).exitCode).toBe(0);
  expect((await project.destroy()).exitCode).toBe(0);
  expect(await state()).toEqual(before);
}, 900_000);
