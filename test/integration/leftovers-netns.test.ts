/**
 * Issue 11 items 12 and 13 at the level of the scripts, on a real network
 * namespace with the real ip, iptables and sysctl (no ssh, no Terraform), so
 * it holds even when the machine is too loaded for lab hosts: each case runs in
 * a scratch namespace "lf141x" with a private tmpfs on /run/hostnet (and a tiny
 * full one where the ledger must be full). test/integration/leftovers.test.ts
 * covers the same through cdktf deploy and destroy on a lab host.
 */
import execa from "execa";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { bridgeMac, renderBridge } from "../../src/render/bridge";
import { renderNat } from "../../src/render/nat";
import { createScript, destroyScript } from "../../src/render/script";
import { ObjectRef } from "../../src/render/types";
import { renderVeth } from "../../src/render/veth";

const NS = "lf141x";
const dir = mkdtempSync(path.join(tmpdir(), "hostnet-lf-"));
const ref = (p: string): ObjectRef => ({ stack: "lfs", path: `lfs/a/${p}`, id: `id${p}`, tag: `hostnet:lfs:lfs/a/${p}` });
const h = { kind: "x", name: "x" };

/** Writes <name>-up.sh and <name>-down.sh for one object. */
function scripts(name: string, hooks: { create: string[]; destroy: string[] }): void {
  writeFileSync(path.join(dir, `${name}-up.sh`), createScript(hooks, ref(name), h));
  writeFileSync(path.join(dir, `${name}-down.sh`), destroyScript(hooks, ref(name), h));
}

/** Runs a shell session inside the scratch namespace, with its own empty /run/hostnet. */
async function inNs(body: string): Promise<string> {
  const r = await execa("ip", ["netns", "exec", NS, "sh", "-c", `mount -t tmpfs lf141 /run/hostnet && cd ${dir}\n${body}`], {
    reject: false,
    all: true,
  });
  return r.all ?? "";
}

beforeAll(async () => {
  await execa("ip", ["netns", "add", NS]);
  scripts("badbr", renderBridge({ name: "brbad", mtu: 1500, addresses: ["10.141.0.1/24", "10.141.0.300/24"] }, ref("badbr")));
  scripts("br", renderBridge({ name: "br0", mtu: 1500, addresses: ["10.141.0.1/24"] }, ref("br")));
  scripts(
    "veth",
    renderVeth(
      { a: { name: "eth0", netns: "lf141p", addresses: ["10.141.0.2/24"] }, b: { name: "ve-p1", master: "br0", addresses: [] }, mtu: 1500 },
      ref("veth"),
    ),
  );
  scripts("nat", renderNat({ type: "masquerade", source: "10.141.0.0/24", notOutInterface: "br0", allowForward: true }, ref("nat")));
}, 120_000);

afterAll(async () => {
  await execa("ip", ["netns", "exec", NS, "ip", "netns", "del", "lf141p"], { reject: false });
  await execa("ip", ["netns", "del", NS], { reject: false });
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

test("a create that fails on a command error undoes what it made and leaves no ledger entry", async () => {
  const out = await inNs(
    'sh badbr-up.sh; echo "rc=$?"; echo "links: $(ip -br link | cut -d" " -f1 | tr "\\n" " ")"; echo "ledger: [$(ls -A /run/hostnet/lfs)]"',
  );
  expect(out).toContain("hostnet: lfs/a/badbr: create failed; undoing what it made");
  expect(out).toContain("rc=1");
  expect(out).toContain("links: lo \n");
  expect(out).toContain("ledger: []");
}, 120_000);

test("a full ledger: the create fails naming the entry before changing anything, and leaves no .down.tmp", async () => {
  const out = await inNs(
    [
      "mkdir -p /run/hostnet/lfs && mount -t tmpfs -o size=8k lf141full /run/hostnet/lfs && dd if=/dev/zero of=/run/hostnet/lfs/fill bs=4k count=2 2>/dev/null",
      'sh br-up.sh; echo "rc=$?"; echo "ledger: [$(ls -A /run/hostnet/lfs | tr "\\n" " ")]"; ip link show dev br0 >/dev/null 2>&1 && echo "br0 exists"',
      "umount /run/hostnet/lfs",
    ].join("\n"),
  );
  expect(out).toContain(
    "hostnet: lfs/a/br: cannot write the ledger entry /run/hostnet/lfs/idbr.down (is /run/hostnet/lfs full or read-only?); nothing was changed",
  );
  expect(out).toContain("rc=1");
  expect(out).toContain("ledger: [fill ]");
  expect(out).not.toContain("br0 exists");
}, 120_000);

test("bridge MAC from its tag, arp_notify=1 on the namespace end, and iptables-save empty again after destroy in a namespace that had no tables", async () => {
  const out = await inNs(
    [
      'echo "before: [$(iptables-save | grep -v "^#")]"',
      "ip netns add lf141p",
      'sh br-up.sh && sh veth-up.sh && sh nat-up.sh; echo "rc=$?"',
      'echo "mac: $(cat /sys/class/net/br0/address) arp_notify: $(ip netns exec lf141p sysctl -n net.ipv4.conf.eth0.arp_notify)"',
      'echo "tables: $(iptables-save | grep "^[*]" | tr "\\n" " ")"',
      "sh nat-down.sh && sh veth-down.sh && sh br-down.sh",
      'echo "after: [$(iptables-save | grep -v "^#")] notes: [$(ls -A /run/hostnet)]"',
      "ip netns del lf141p",
    ].join("\n"),
  );
  expect(out).toContain("before: []");
  expect(out).toContain("rc=0");
  expect(out).toContain(`mac: ${bridgeMac("hostnet:lfs:lfs/a/br")} arp_notify: 1`);
  expect(out).toContain("tables: *filter *nat ");
  expect(out).toContain("after: [] notes: [lfs]");
}, 120_000);
