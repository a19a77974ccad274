/**
 * Issue 11 items 14 and 15 on real test hosts: `hostnet check` probes every
 * construct (VXLAN, routed endpoint, macvlan included) and names by path what
 * was changed by hand; gc's exit code says whether it found leftovers; a changed
 * host key is reported in ssh's own words.
 */
import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject } from "./support/cdktf-project";

const LAB = "fwp";
const INDEX = 132;
const STACK = "fwp";
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const tmp = mkdtempSync(path.join(tmpdir(), "hostnet-ssh-"));
const sshDir = path.join(tmp, "control");
let inv: Inventory;
let p: CdktfProject;
const before = new Map<string, string>();

async function sh(host: string, script: string): Promise<string> {
  const r = await hostExec(inv, host, script);
  if (r.exitCode !== 0) throw new Error(`on ${host}: ${script}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 2, dir: labDir, index: INDEX });
  for (const h of ["a", "b"]) before.set(h, await hostSnapshot(inv, h));
  p = new CdktfProject("test/integration/fixtures/firewall-app.ts", STACK, {
    HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
    HOSTNET_STACK: STACK,
    HOSTNET_SSH_DIR: sshDir,
    HOSTNET_SHAPE: "probes",
  });
}, 120_000);

afterAll(async () => {
  try {
    if (p) {
      p.setEnv({ HOSTNET_HOST_KEY: "", HOSTNET_SSH_DIR: sshDir });
      await p.destroy();
      p.remove();
    }
  } finally {
    await labDown({ name: LAB, dir: labDir });
    rmSync(labDir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
}, 600_000);

test("after deploy every object is probed: vxlan, routed endpoint and macvlan included, nothing 'not checked'", async () => {
  const r = await p.deploy();
  expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-3000) }).toEqual({ exitCode: 0, output: "" });
  const check = await p.hostnet("check", "--no-synth");
  expect(check.output).not.toContain("not checked");
  expect(check.output).toContain(`host a (${inv.hosts.a.address}): 8 ok, 0 drifted\n`);
  expect(check.output).toContain(`host b (${inv.hosts.b.address}): 2 ok, 0 drifted\n`);
  expect(check.exitCode).toBe(0);
}, 300_000);

test("objects changed by hand are named by path, and check --fix puts them back", async () => {
  await sh("a", "ip link del dev vx && echo 0 > /proc/sys/net/ipv4/conf/rt-pod-ep/proxy_arp && ip -n mv link del dev eth0");
  await sh("b", `bridge fdb del 00:00:00:00:00:00 dev vx dst ${inv.hosts.a.address}`);
  const check = await p.hostnet("check", "--no-synth");
  expect(check.exitCode).toBe(1);
  const lines = check.output.split("\n").filter((l) => l.startsWith("  fwp/"));
  expect(lines).toEqual([
    "  fwp/a/vx: vxlan vx is missing in the root namespace",
    "  fwp/a/pod-ep: proxy_arp is off on rt-pod-ep",
    "  fwp/a/mv0: macvlan eth0 is missing in namespace mv",
    `  fwp/b/vx: vxlan vx does not flood to peer ${inv.hosts.a.address} (its fdb entry is missing)`,
  ]);
  expect(check.output).toContain(`host a (${inv.hosts.a.address}): 5 ok, 3 drifted\n`);

  expect((await p.hostnet("check", "--fix", "--no-synth")).exitCode).toBe(0);
  const after = await p.hostnet("check", "--no-synth");
  expect(after.output).toContain("8 ok, 0 drifted\n");
  expect(after.exitCode).toBe(0);
}, 300_000);

test("gc exits 1 when it finds leftovers and --yes is not given, 0 once they are removed", async () => {
  await sh("a", "ip link add hn-left type bridge && ip link set dev hn-left alias hostnet:fwp:fwp/a/gone");
  const found = await p.hostnet("gc", "--no-synth");
  expect(found.output).toContain("link   root hn-left  (hostnet:fwp:fwp/a/gone)");
  expect(found.output).toContain("1 left behind by stack fwp; remove with --yes");
  expect(found.exitCode).toBe(1);
  const removed = await p.hostnet("gc", "--yes", "--no-synth");
  expect(removed.exitCode).toBe(0);
  const clean = await p.hostnet("gc", "--no-synth");
  expect(clean.output).toContain(`host a (${inv.hosts.a.address}): 0 left behind by stack fwp`);
  expect(clean.exitCode).toBe(0);
}, 300_000);

test("check against a changed host key prints ssh's own reason, not 'the output above is from the host'", async () => {
  const keyDir = mkdtempSync(path.join(tmp, "key-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(keyDir, "k")]);
  const wrong = readFileSync(path.join(keyDir, "k.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
  // A fresh control directory: no open connection to the host to reuse.
  p.setEnv({ HOSTNET_HOST_KEY: wrong, HOSTNET_SSH_DIR: path.join(tmp, "fresh") });
  const check = await p.hostnet("check");
  p.setEnv({ HOSTNET_HOST_KEY: "", HOSTNET_SSH_DIR: sshDir });
  expect(check.exitCode).toBe(1);
  expect(check.output).toContain(`host a (${inv.hosts.a.address}): unreachable: `);
  expect(check.output).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
  expect(check.output).not.toContain("the output above is from the host");
}, 300_000);

test("destroy leaves both hosts as they were", async () => {
  const r = await p.destroy();
  expect(r.exitCode).toBe(0);
  for (const h of ["a", "b"]) expect(await hostSnapshot(inv, h)).toBe(before.get(h));
}, 300_000);
