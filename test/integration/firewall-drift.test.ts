/**
 * Issue 11 on real test hosts, one lab of two hosts for both parts.
 *
 * Item 11, a firewall that drops what the stack forwards: Docker on legacy
 * iptables sets `iptables-legacy -P FORWARD DROP` beside the nft rules hostnet
 * writes; every forwarded packet must pass both backends, so the masquerade's
 * egress and the port forward are dead. The preflight refuses such a deploy
 * naming the cause and the fix, `hostnet check` reports it after the fact, and
 * a DROP rule ahead of hostnet's own ACCEPT rules in iptables-nft is caught the
 * same way. Both backends are real (this machine has iptables-nft and
 * iptables-legacy); the rules live in the lab host's own network namespace.
 *
 * The same for a host that forwards only IPv6: its flows are read against
 * ip6tables of both backends (they were not checked at all).
 *
 * Items 14 and 15: `hostnet check` probes every construct (VXLAN, routed
 * endpoint, macvlan included) and names by path what was changed by hand; gc's
 * exit code says whether it found leftovers; a changed host key is reported in
 * ssh's own words.
 */
import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject } from "./support/cdktf-project";
import { Probes } from "./support/traffic";

const LAB = "fwd";
const INDEX = 131;
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const tmp = mkdtempSync(path.join(tmpdir(), "hostnet-ssh-"));
const sshDir = path.join(tmp, "control");
let inv: Inventory;
const projects: CdktfProject[] = [];
const probes = new Probes(() => inv);
const before = new Map<string, string>();

function project(stack: string, shape: string): CdktfProject {
  const p = new CdktfProject("test/integration/fixtures/firewall-app.ts", stack, {
    HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
    HOSTNET_STACK: stack,
    HOSTNET_SSH_DIR: sshDir,
    HOSTNET_SHAPE: shape,
  });
  projects.push(p);
  return p;
}

async function sh(host: string, script: string): Promise<string> {
  const r = await hostExec(inv, host, script);
  if (r.exitCode !== 0) throw new Error(`on ${host}: ${script}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** Terraform wraps long lines of provisioner output; join them back for matching. */
const flat = (s: string) => s.replace(/\s+/g, " ");

beforeAll(async () => {
  // The machine is shared: bringing a lab up can take minutes under load.
  inv = await labUp({ name: LAB, hosts: 2, dir: labDir, index: INDEX });
  for (const h of ["a", "b"]) before.set(h, await hostSnapshot(inv, h));
}, 900_000);

afterAll(async () => {
  try {
    await probes.stopAll();
    for (const p of projects) {
      p.setEnv({ HOSTNET_HOST_KEY: "", HOSTNET_SSH_DIR: sshDir });
      await p.destroy();
      p.remove();
    }
  } finally {
    await labDown({ name: LAB, dir: labDir });
    rmSync(labDir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
}, 900_000);

const LEGACY_POLICY =
  "hostnet: host a: iptables-legacy: the filter FORWARD policy DROP drops traffic this stack forwards (from 10.131.0.0/24, from " +
  "10.131.0.2/32, to 10.131.0.0/24, to 10.131.0.2/32) (hostnet writes its rules with iptables-nft;";
const LEGACY_FIX =
  "Fix: iptables-legacy -I FORWARD -s 10.131.0.0/24 -j ACCEPT; iptables-legacy -I FORWARD -s 10.131.0.2/32 -j ACCEPT; iptables-legacy -I " +
  "FORWARD -d 10.131.0.0/24 -j ACCEPT; iptables-legacy -I FORWARD -d 10.131.0.2/32 -j ACCEPT, or before the first deploy make " +
  "iptables-legacy the host's iptables (update-alternatives --set iptables /usr/sbin/iptables-legacy)";

describe("a firewall that drops what the stack forwards", () => {
  const p = project("fwd", "nat");
  beforeAll(() => probes.serveEcho("b", undefined, 7131, "b-saw"), 120_000);

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
      `hostnet: host a: iptables-nft: rule "-A FORWARD -j DROP" in filter FORWARD drops traffic this stack forwards (from 10.131.0.0/24, ` +
        `from 10.131.0.2/32, to 10.131.0.0/24, to 10.131.0.2/32) before hostnet's own ACCEPT rules (appended at the end) are reached. Fix: ` +
        `iptables -I FORWARD -s 10.131.0.0/24 -j ACCEPT;`,
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
    expect(check.output + "\n").toContain("host a (198.18.131.10): 7 ok, 0 drifted\n");
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
    expect(check.output).toContain("7 ok, 0 drifted, 1 host-wide problem(s)");

    // The fix the message names, applied as written.
    const fix = /Fix: (iptables-legacy [^,]*),/.exec(check.output)![1];
    await sh(
      "a",
      fix
        .split("; ")
        .map((c) => c.replace("iptables-legacy ", "iptables-legacy -w "))
        .join(" && "),
    );
    expect(await probes.tcpLine("a", inv.hosts.b.address, 7131, "web")).toBe(`b-saw ${inv.hosts.a.address}`);
    expect(await probes.tcpLine("b", inv.hosts.a.address, 8131)).toBe(`web-saw ${inv.hosts.b.address}`);
    const after = await p.hostnet("check", "--no-synth");
    expect(after.output).toContain(
      "host a: warning: iptables-legacy has 4 rule(s) and non-ACCEPT policies filter/FORWARD=DROP beside the rules hostnet writes with iptables-nft",
    );
    expect(after.output + "\n").toContain("7 ok, 0 drifted\n");
    expect(after.exitCode).toBe(0);
  }, 300_000);

  test("destroy removes the stack; the firewall is put back by the test", async () => {
    await probes.stopAll();
    const r = await p.destroy();
    expect(r.exitCode).toBe(0);
    await sh(
      "a",
      "iptables-legacy -w -F FORWARD && iptables-legacy -w -P FORWARD ACCEPT && iptables-nft -w -P FORWARD ACCEPT && iptables-nft -w -D FORWARD -i br-fw -o br-fw -j ACCEPT",
    );
    expect(await sh("a", "ip netns list")).toBe("");
    expect((await sh("a", "iptables-nft-save | grep -c hostnet: || true")).trim()).toBe("0");
  }, 300_000);
});

describe("a host that forwards only IPv6", () => {
  const p = project("fw6", "nat6");

  test("ip6tables-legacy FORWARD policy DROP beside nft: the preflight fails the deploy naming ip6tables-legacy and the fix, and creates nothing", async () => {
    await sh("a", "ip6tables-legacy -w -P FORWARD DROP");
    try {
      const r = await p.deploy();
      expect(r.exitCode).not.toBe(0);
      expect(flat(r.output)).toContain(
        "hostnet: host a: ip6tables-legacy: the filter FORWARD policy DROP drops traffic this stack forwards (from fd00:131::/64, to " +
          "fd00:131::/64) (hostnet writes its rules with ip6tables-nft;",
      );
      expect(flat(r.output)).toContain(
        "Fix: ip6tables-legacy -I FORWARD -s fd00:131::/64 -j ACCEPT; ip6tables-legacy -I FORWARD -d fd00:131::/64 -j ACCEPT",
      );
      expect(await sh("a", "ip -br link show type bridge")).toBe("");
      expect((await sh("a", "sysctl -n net.ipv6.conf.all.forwarding")).trim()).toBe("0");
    } finally {
      await sh("a", "ip6tables-legacy -w -P FORWARD ACCEPT");
    }
  }, 300_000);

  test("with the policy put back the same deploy goes through, and destroy removes it", async () => {
    const r = await p.deploy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-3000) }).toEqual({ exitCode: 0, output: "" });
    expect((await sh("a", "sysctl -n net.ipv6.conf.all.forwarding")).trim()).toBe("1");
    const d = await p.destroy();
    expect({ exitCode: d.exitCode, output: d.exitCode === 0 ? "" : d.output.slice(-3000) }).toEqual({ exitCode: 0, output: "" });
    expect(await sh("a", "ip -br link show type bridge")).toBe("");
  }, 300_000);
});

describe("drift probes of every construct, gc's exit code, ssh's reason", () => {
  const p = project("fwp", "probes");

  test("after deploy every object is probed: vxlan, routed endpoint and macvlan included, nothing 'not checked'", async () => {
    const r = await p.deploy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-3000) }).toEqual({ exitCode: 0, output: "" });
    const check = await p.hostnet("check", "--no-synth");
    expect(check.output).not.toContain("not checked");
    expect(check.output + "\n").toContain(`host a (${inv.hosts.a.address}): 8 ok, 0 drifted\n`);
    expect(check.output + "\n").toContain(`host b (${inv.hosts.b.address}): 2 ok, 0 drifted\n`);
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
    expect(check.output + "\n").toContain(`host a (${inv.hosts.a.address}): 5 ok, 3 drifted\n`);

    expect((await p.hostnet("check", "--fix", "--no-synth")).exitCode).toBe(0);
    const after = await p.hostnet("check", "--no-synth");
    expect(after.output + "\n").toContain("8 ok, 0 drifted\n");
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
    for (const h of ["a", "b"]) expect(await hostSnapshot(inv, h)).toBe(before.get(h)!);
  }, 300_000);
});
