/**
 * Issue 11 item 11 on real test hosts: a firewall that drops what the stack
 * forwards. Docker on legacy iptables sets `iptables-legacy -P FORWARD DROP`
 * beside the nft rules hostnet writes: every forwarded packet must pass both
 * backends, so the masquerade's egress and the port forward are dead. The
 * preflight refuses such a deploy naming the cause and the fix, `hostnet check`
 * reports it after the fact, and a DROP rule ahead of hostnet's own ACCEPT rules
 * in iptables-nft is caught the same way. Both backends are real (this machine
 * has iptables-nft and iptables-legacy); the rules live in the lab host's own
 * network namespace.
 */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject } from "./support/cdktf-project";
import { Probes } from "./support/traffic";

const LAB = "fwd";
const INDEX = 131;
const STACK = "fwd";
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const sshDir = path.join(mkdtempSync(path.join(tmpdir(), "hostnet-ssh-")), "control");
let inv: Inventory;
let p: CdktfProject;
const probes = new Probes(() => inv);

async function sh(host: string, script: string): Promise<string> {
  const r = await hostExec(inv, host, script);
  if (r.exitCode !== 0) throw new Error(`on ${host}: ${script}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

const LEGACY_POLICY =
  "hostnet: host a: iptables-legacy: the filter FORWARD policy DROP drops traffic this stack forwards (from 10.131.0.0/24, from 10.131.0.2/32, to 10.131.0.0/24, to 10.131.0.2/32) (hostnet writes its rules with iptables-nft;";
const LEGACY_FIX = "Fix: iptables-legacy -I FORWARD -s 10.131.0.0/24 -j ACCEPT; iptables-legacy -I FORWARD -s 10.131.0.2/32 -j ACCEPT; iptables-legacy -I FORWARD -d 10.131.0.0/24 -j ACCEPT; iptables-legacy -I FORWARD -d 10.131.0.2/32 -j ACCEPT, or before the first deploy make iptables-legacy the host's iptables (update-alternatives --set iptables /usr/sbin/iptables-legacy)";

/** Terraform wraps long lines of provisioner output; join them back for matching. */
const flat = (s: string) => s.replace(/\s+/g, " ");

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 2, dir: labDir, index: INDEX });
  p = new CdktfProject("test/integration/fixtures/firewall-app.ts", STACK, {
    HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
    HOSTNET_STACK: STACK,
    HOSTNET_SSH_DIR: sshDir,
    HOSTNET_SHAPE: "nat",
  });
  await probes.serveEcho("b", undefined, 7131, "b-saw");
}, 120_000);

afterAll(async () => {
  try {
    await probes.stopAll();
    if (p) {
      await p.destroy();
      p.remove();
    }
  } finally {
    await labDown({ name: LAB, dir: labDir });
    rmSync(labDir, { recursive: true, force: true });
    rmSync(path.dirname(sshDir), { recursive: true, force: true });
  }
}, 600_000);

test("iptables-legacy FORWARD policy DROP beside nft: the preflight fails the deploy naming the cause and the fix, and creates nothing", async () => {
  await sh("a", "iptables-legacy -w -P FORWARD DROP");
  const r = await p.deploy();
  expect(r.exitCode).not.toBe(0);
  expect(flat(r.output)).toContain(LEGACY_POLICY);
  expect(flat(r.output)).toContain(LEGACY_FIX);
  expect(await sh("a", "ip netns list")).toBe("");
  await sh("a", "iptables-legacy -w -P FORWARD ACCEPT");
}, 300_000);

test("a DROP rule in iptables-nft's FORWARD ahead of hostnet's appended ACCEPT rules fails the preflight with the rule to insert", async () => {
  await sh("a", "iptables-nft -w -A FORWARD -j DROP");
  const r = await p.deploy();
  await sh("a", "iptables-nft -w -D FORWARD -j DROP");
  expect(r.exitCode).not.toBe(0);
  expect(flat(r.output)).toContain(
    `hostnet: host a: iptables-nft: rule "-A FORWARD -j DROP" in filter FORWARD drops traffic this stack forwards (from 10.131.0.0/24, from 10.131.0.2/32, to 10.131.0.0/24, to 10.131.0.2/32) before hostnet's own ACCEPT rules (appended at the end) are reached. Fix: iptables -I FORWARD -s 10.131.0.0/24 -j ACCEPT;`,
  );
  expect(await sh("a", "ip netns list")).toBe("");
}, 300_000);

test("iptables-nft FORWARD policy DROP alone passes: hostnet's own ACCEPT rules carry the traffic, and check finds nothing", async () => {
  // This machine has br_netfilter on: the bridge needs its own ACCEPT (the preflight's older check says so).
  await sh("a", "iptables-nft -w -P FORWARD DROP && iptables-nft -w -I FORWARD -i br-fw -o br-fw -j ACCEPT");
  const r = await p.deploy();
  expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-3000) }).toEqual({ exitCode: 0, output: "" });
  await sh("a", "ip netns exec web sh -c 'ip link set lo up'");
  await probes.serveEcho("a", "web", 80, "web-saw");
  expect(await probes.tcpLine("a", inv.hosts.b.address, 7131, "web")).toBe(`b-saw ${inv.hosts.a.address}`);
  expect(await probes.tcpLine("b", inv.hosts.a.address, 8131)).toBe(`web-saw ${inv.hosts.b.address}`);
  const check = await p.hostnet("check");
  expect(check.output).not.toContain("warning");
  expect(check.output).toContain("host a (198.18.131.10): 8 ok, 0 drifted\n");
  expect(check.exitCode).toBe(0);
}, 300_000);

test("legacy DROP set after the deploy: traffic is dead and check reports the cause and the fix; with the fix applied traffic flows and check only warns of the mix", async () => {
  await sh("a", "iptables-legacy -w -P FORWARD DROP");
  expect(await probes.tcpLine("a", inv.hosts.b.address, 7131, "web")).toBe("TIMEOUT");
  expect(await probes.tcpLine("b", inv.hosts.a.address, 8131)).toBe("TIMEOUT");
  const check = await p.hostnet("check", "--no-synth");
  expect(check.exitCode).toBe(1);
  expect(check.output).toContain(`  ${LEGACY_POLICY.replace("hostnet: host a: ", "host a: ")}`);
  expect(check.output).toContain(LEGACY_FIX);
  expect(check.output).toContain("8 ok, 0 drifted, 1 host-wide problem(s)");

  // The fix the message names, applied as written.
  const fix = /Fix: (iptables-legacy [^,]*),/.exec(check.output)![1];
  await sh("a", fix.split("; ").map((c) => c.replace("iptables-legacy ", "iptables-legacy -w ")).join(" && "));
  expect(await probes.tcpLine("a", inv.hosts.b.address, 7131, "web")).toBe(`b-saw ${inv.hosts.a.address}`);
  expect(await probes.tcpLine("b", inv.hosts.a.address, 8131)).toBe(`web-saw ${inv.hosts.b.address}`);
  const after = await p.hostnet("check", "--no-synth");
  expect(after.output).toContain("host a: warning: iptables-legacy has 4 rule(s) and non-ACCEPT policies filter/FORWARD=DROP beside the rules hostnet writes with iptables-nft");
  expect(after.output).toContain("8 ok, 0 drifted\n");
  expect(after.exitCode).toBe(0);
}, 300_000);

test("destroy removes the stack; the firewall is put back by the test", async () => {
  await probes.stopAll();
  const r = await p.destroy();
  expect(r.exitCode).toBe(0);
  await sh("a", "iptables-legacy -w -F FORWARD && iptables-legacy -w -P FORWARD ACCEPT && iptables-nft -w -P FORWARD ACCEPT && iptables-nft -w -D FORWARD -i br-fw -o br-fw -j ACCEPT");
  expect(await sh("a", "ip netns list")).toBe("");
  expect((await sh("a", "iptables-nft-save | grep -c hostnet: || true")).trim()).toBe("0");
}, 300_000);
