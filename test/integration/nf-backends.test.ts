/**
 * The scenarios that write firewall rules (port-publish: masquerade, port
 * forward with hairpin and from the host, and its drift; router-namespace:
 * 1:1 NAT in a namespace; port-publish-dual: NAT66 beside NAT44 in one inet
 * table), run again with the nftables backend
 * (HOSTNET_FIREWALL=nftables, the stack-wide default) on one shared lab: each
 * deploys, is probed with the same traffic as its iptables scenario test,
 * passes `hostnet check`, and destroys leaving both hosts exactly as before
 * (`nft list ruleset` included). port-publish runs with `auto`, which picks
 * nftables on this machine (nft present, iptables nf_tables-backed).
 * bridge-nat (the demo's stack), docker-network and outbound-masquerade run
 * too, with fewer probes than their iptables tests (the same kinds of rules);
 * bridge-nat-dual is probed over both families. Then the coexistence cases
 * through the real preflight, without deploying (an ip6 table's drop judged
 * against the IPv6 flows of bridge-nat-dual among them).
 * Scenarios without firewall rules render byte-identical plans under both
 * backends (test/constructs/firewall-backend.test.ts).
 */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { App } from "cdktf";
import { Host, HostnetStack } from "../../constructs";
import { bridgeNatDual } from "../../examples/bridge-nat-dual/main";
import { outboundMasquerade } from "../../examples/outbound-masquerade/main";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject, RunOutput } from "./support/cdktf-project";
import { Probes } from "./support/traffic";

const LAB = "nf";
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
let inv: Inventory;
const before = new Map<string, string>();
const probes = new Probes(() => inv);
const projects: CdktfProject[] = [];
// Projects deployed and not yet destroyed: afterAll destroys them.
const live = new Set<CdktfProject>();

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 2, index: 241, dir: labDir });
  for (const h of ["a", "b"]) before.set(h, await hostSnapshot(inv, h));
}, 120_000);

afterAll(async () => {
  try {
    await probes.stopAll();
    for (const p of live) await p.destroy();
    for (const p of projects) p.remove();
  } finally {
    await labDown({ name: LAB, dir: labDir });
    rmSync(labDir, { recursive: true, force: true });
  }
}, 600_000);

function project(example: string, stack: string, firewall: string): CdktfProject {
  const p = new CdktfProject(`examples/${example}/main.ts`, stack, {
    HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
    HOSTNET_FIREWALL: firewall,
  });
  projects.push(p);
  return p;
}

async function sh(host: string, script: string): Promise<string> {
  const r = await hostExec(inv, host, script);
  if (r.exitCode !== 0) throw new Error(`on host ${host}: ${script}\nexit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

const address = (h: string) => inv.hosts[h].address;
const ok = (r: RunOutput) => ({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) });

/**
 * Deploy, check (nothing drifted), run the probes, then destroy even when a
 * probe failed (the next scenario shares the lab) and compare both hosts
 * with their state before the first deploy. Returns the deploy's output.
 */
async function deployed(p: CdktfProject, probe: (deployOutput: string) => Promise<void>): Promise<void> {
  live.add(p);
  try {
    const r = await p.deploy();
    expect(ok(r)).toEqual({ exitCode: 0, output: "" });
    const check = await p.hostnet("check");
    expect(ok(check)).toEqual({ exitCode: 0, output: "" });
    expect(check.output).toMatch(/ 0 drifted/);
    await probe(r.output);
  } finally {
    await probes.stopAll();
    const d = await p.destroy();
    if (d.exitCode === 0) live.delete(p);
    expect(ok(d)).toEqual({ exitCode: 0, output: "" });
  }
  for (const h of ["a", "b"]) expect(await hostSnapshot(inv, h)).toBe(before.get(h));
}

/** Host a's rules of a stack: the nft table, and whether iptables holds any rule of the stack. */
async function rulesOf(stack: string, netns?: string): Promise<{ nft: string; iptables: boolean }> {
  const run = netns ? `ip netns exec ${netns} ` : "";
  const nft = await sh("a", `${run}nft list table inet hostnet_${stack} 2>&1 || true`);
  const ipt = await sh("a", `${run}iptables-save`);
  return { nft, iptables: ipt.includes(`hostnet:${stack}:`) };
}

describe("scenarios with the nftables backend", () => {
  test("port-publish with auto: nftables chosen and recorded; the published port answers b, a itself, a neighbour (hairpin) and web itself", async () => {
    const p = project("port-publish", "port-publish", "auto");
    await deployed(p, async (output) => {
      // auto picks nftables on this machine: nft is there and iptables is the nf_tables one.
      expect(output).toContain("firewall auto chose nftables");
      expect((await sh("a", "cat /run/hostnet/port-publish/.firewall")).trim()).toBe("nftables");
      const r = await rulesOf("port-publish");
      expect(r.iptables).toBe(false);
      expect(r.nft).toContain(
        'ip saddr 10.92.0.0/24 ip daddr 10.92.0.2 tcp dport 80 ct status dnat masquerade comment "hostnet:port-publish:port-publish/a/publish-web"',
      );
      await probes.serveEcho("a", "web", 80, "web");
      expect(await probes.tcpLine("b", address("a"), 10080)).toBe(`web ${address("b")}`);
      expect(await probes.tcpLine("a", address("a"), 10080)).toBe(`web ${address("a")}`);
      expect(await probes.tcpLine("a", address("a"), 10080, "peer")).toBe("web 10.92.0.1");
      expect(await probes.tcpLine("a", address("a"), 10080, "web")).toBe("web 10.92.0.1");
      expect(await probes.tcpLine("a", "10.92.0.2", 80, "peer")).toBe("web 10.92.0.3");
      // Masquerade: peer reaches b under a's address. Its chain emptied by hand is drift, and the traffic stops.
      await probes.serveEcho("b", undefined, 7000, "b-saw");
      expect(await probes.tcpLine("a", address("b"), 7000, "peer")).toBe(`b-saw ${address("a")}`);
      const table = await sh("a", "nft list table inet hostnet_port-publish");
      const chain = [...table.matchAll(/chain (o_[0-9a-f]+_post) \{[^}]*comment "hostnet:port-publish:port-publish\/a\/masquerade"/g)].map(
        (m) => m[1],
      );
      expect(chain).toHaveLength(1);
      await sh("a", `nft flush chain inet hostnet_port-publish ${chain[0]}`);
      expect(await probes.tcpLine("a", address("b"), 7000, "peer")).toBe("TIMEOUT");
      const drift = await p.hostnet("check");
      expect(drift.output).toContain(`nft rule missing: ${chain[0]}: ip saddr 10.92.0.0/24`);
    });
  }, 600_000);

  test("port-publish-dual: one inet table serves both families; NAT66 port forward and masquerade under nftables, from b, from a itself and hairpin", async () => {
    const v6 = (h: string) => inv.hosts[h].address6!;
    await deployed(project("port-publish-dual", "port-publish-dual", "nftables"), async () => {
      const r = await rulesOf("port-publish-dual");
      expect(r.iptables).toBe(false);
      expect(r.nft).toMatch(/dnat ip6 to \[fd00:92::2\]:80/);
      expect(r.nft).toMatch(/dnat ip to 10\.92\.0\.2:80/);
      expect(await sh("a", "ip6tables-save")).not.toContain("hostnet:");
      await probes.serveEcho("a", "web", 80, "web");
      expect(await probes.tcpLine("b", v6("a"), 10080)).toBe(`web ${v6("b")}`);
      expect(await probes.tcpLine("b", address("a"), 10080)).toBe(`web ${address("b")}`);
      expect(await probes.tcpLine("a", v6("a"), 10080)).toBe(`web ${v6("a")}`);
      expect(await probes.tcpLine("a", v6("a"), 10080, "peer")).toBe("web fd00:92::1");
      expect(await probes.tcpLine("a", "fd00:92::2", 80, "peer")).toBe("web fd00:92::3");
    });
  }, 600_000);

  test("bridge-nat (the demo's stack): masquerade and the port forward from b under nftables", async () => {
    await deployed(project("bridge-nat", "bridge-nat", "nftables"), async () => {
      const r = await rulesOf("bridge-nat");
      expect(r.iptables).toBe(false);
      expect(r.nft).toMatch(/dnat ip to 10\.88\.0\.2:80/);
      await probes.serveEcho("a", "web", 80, "web");
      expect(await probes.tcpLine("b", address("a"), 10080)).toBe(`web ${address("b")}`);
      await probes.serveEcho("b", undefined, 7000, "b-saw");
      expect(await probes.tcpLine("a", address("b"), 7000, "db")).toBe(`b-saw ${address("a")}`);
    });
  }, 600_000);

  test("bridge-nat-dual: both families in one inet table; probed over IPv6 and IPv4 (bridge, NAT66 and NAT44 masquerade, both port forwards from b)", async () => {
    const v6 = (h: string) => inv.hosts[h].address6!;
    await deployed(project("bridge-nat-dual", "bridge-nat-dual", "nftables"), async () => {
      const r = await rulesOf("bridge-nat-dual");
      expect(r.iptables).toBe(false);
      expect(await sh("a", "ip6tables-save")).not.toContain("hostnet:");
      expect(r.nft).toContain(
        'ip6 saddr fd00:88::/64 oifname != "br-lan" masquerade comment "hostnet:bridge-nat-dual:bridge-nat-dual/a/masquerade6"',
      );
      expect(r.nft).toMatch(/dnat ip6 to \[fd00:88::2\]:80/);
      expect(r.nft).toMatch(/dnat ip to 10\.88\.0\.2:80/);
      await probes.serveEcho("a", "web", 80, "web");
      await probes.serveEcho("b", undefined, 7000, "b-saw");
      expect(await probes.tcpLine("a", "fd00:88::2", 80, "db")).toBe("web fd00:88::3");
      expect(await probes.tcpLine("a", "10.88.0.2", 80, "db")).toBe("web 10.88.0.3");
      expect(await probes.tcpLine("a", v6("b"), 7000, "db")).toBe(`b-saw ${v6("a")}`);
      expect(await probes.tcpLine("a", address("b"), 7000, "db")).toBe(`b-saw ${address("a")}`);
      expect(await probes.tcpLine("b", v6("a"), 10080)).toBe(`web ${v6("b")}`);
      expect(await probes.tcpLine("b", address("a"), 10080)).toBe(`web ${address("b")}`);
    });
  }, 600_000);

  test("docker-network: the network's masquerade and published port under nftables, from b and from another endpoint (hairpin)", async () => {
    await deployed(project("docker-network", "docker-network", "nftables"), async () => {
      const r = await rulesOf("docker-network");
      expect(r.iptables).toBe(false);
      await probes.serveEcho("a", "web", 80, "web");
      expect(await probes.tcpLine("b", address("a"), 10080)).toBe(`web ${address("b")}`);
      expect(await probes.tcpLine("a", address("a"), 10080, "api")).toBe("web 10.89.0.1");
      await probes.serveEcho("b", undefined, 7000, "b-saw");
      expect(await probes.tcpLine("a", address("b"), 7000, "db")).toBe(`b-saw ${address("a")}`);
    });
  }, 600_000);

  test("outbound-masquerade: the namespace reaches b under a's address under nftables", async () => {
    await deployed(project("outbound-masquerade", "outbound-masquerade", "nftables"), async () => {
      expect((await rulesOf("outbound-masquerade")).iptables).toBe(false);
      await probes.serveEcho("b", undefined, 7000, "b-saw");
      expect(await probes.tcpLine("a", address("b"), 7000, "client")).toBe(`b-saw ${address("a")}`);
    });
  }, 600_000);

  test("router-namespace: 1:1 NAT in the router's own nft table; b reaches vm by the outside address, vm leaves under it", async () => {
    await deployed(project("router-namespace", "router-namespace", "nftables"), async () => {
      const r = await rulesOf("router-namespace", "router");
      expect(r.nft).toContain("ip daddr 198.19.51.103 dnat ip to 10.95.1.3");
      expect(r.nft).toContain("ip saddr 10.95.1.3 ip daddr != 10.95.1.0/24 snat ip to 198.19.51.103");
      expect(r.iptables).toBe(false);
      await probes.serveEcho("a", "vm", 80, "vm");
      expect(await probes.tcpLine("a", "198.19.51.103", 80)).toBe("vm 198.19.51.1");
      expect(await probes.tcpLine("b", "198.19.51.103", 80)).toBe(`vm ${address("b")}`);
      await probes.serveEcho("b", undefined, 7000, "b-saw");
      expect(await probes.tcpLine("a", address("b"), 7000, "vm")).toBe("b-saw 198.19.51.103");
      expect(await probes.tcpLine("b", "10.95.1.3", 80)).toMatch(/^(ERR|TIMEOUT)/);
    });
  }, 600_000);
});

/**
 * The host hook's preflight for outbound-masquerade (which forwards 10.91.0.0/24
 * through host a), or another example, with a backend, run on host a: its exit
 * code and messages. Synthesized in-process; only the read-only preflight part
 * of the hook runs.
 */
async function preflight(
  firewall: string,
  example: (scope: App, inventory: string) => HostnetStack = outboundMasquerade,
): Promise<{ exitCode: number; stderr: string }> {
  const old = process.env.HOSTNET_FIREWALL;
  process.env.HOSTNET_FIREWALL = firewall;
  try {
    const stack = example(new App({ outdir: mkdtempSync(path.join(labDir, "app-")) }), path.join(labDir, LAB, "inventory.json"));
    const a = stack.node.findAll().find((c): c is Host => Host.isHost(c) && c.node.id === "a")!;
    const lines = a.createScript().split("\n");
    const end = lines.indexOf('[ "$hn_pf_bad" = 0 ] || exit 1');
    expect(end).toBeGreaterThan(0);
    const r = await hostExec(inv, "a", lines.slice(0, end + 1).join("\n"));
    return { exitCode: r.exitCode, stderr: r.stderr };
  } finally {
    if (old === undefined) delete process.env.HOSTNET_FIREWALL;
    else process.env.HOSTNET_FIREWALL = old;
  }
}

describe("coexistence: another table's drop still drops hostnet's traffic, and the preflight says so", () => {
  test("a firewalld-style inet table with policy drop: both backends stop with the rule to add; with it added, both pass", async () => {
    const table = "table inet fwtest { chain filter_FORWARD { type filter hook forward priority filter + 10; policy drop; }; }";
    await sh("a", `nft -f - <<'EOF'\n${table}\nEOF`);
    try {
      for (const fw of ["nftables", "iptables"]) {
        const r = await preflight(fw);
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toContain(
          "hostnet: host a: nftables: table inet fwtest chain filter_FORWARD (hook forward, policy drop) drops traffic this stack forwards: from 10.91.0.0/24, to 10.91.0.0/24.",
        );
        expect(r.stderr).toContain(
          "Fix: nft insert rule inet fwtest filter_FORWARD ip saddr 10.91.0.0/24 accept; nft insert rule inet fwtest filter_FORWARD ip daddr 10.91.0.0/24 accept.",
        );
      }
      await sh(
        "a",
        "nft insert rule inet fwtest filter_FORWARD ip saddr 10.91.0.0/24 accept; nft insert rule inet fwtest filter_FORWARD ip daddr 10.91.0.0/24 accept",
      );
      expect(await preflight("nftables")).toEqual({ exitCode: 0, stderr: "" });
      expect(await preflight("iptables")).toEqual({ exitCode: 0, stderr: "" });
    } finally {
      await sh("a", "nft delete table inet fwtest");
    }
  }, 120_000);

  test("iptables-nft's FORWARD policy DROP (Docker's): nftables stops and names firewall: iptables, under which the stack's flows pass", async () => {
    await sh("a", "iptables -w -P FORWARD DROP");
    try {
      const r = await preflight("nftables");
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain("nftables: table ip filter chain FORWARD (hook forward, policy drop) drops traffic this stack forwards");
      expect(r.stderr).toContain('or set firewall: "iptables" on the Host');
      // iptables: no flow problem (hostnet's ACCEPTs go into that chain); the bridge's br_netfilter check may still speak.
      expect((await preflight("iptables")).stderr).not.toContain("drops traffic this stack forwards");
      // auto picks nftables here, so it stops too.
      expect((await preflight("auto")).exitCode).toBe(1);
    } finally {
      await sh("a", "iptables -w -P FORWARD ACCEPT");
    }
  }, 120_000);

  test("an ip6 table's forward policy drop: both backends stop on the IPv6 flows (bridge-nat-dual) with the ip6 rules to add; with them, both pass", async () => {
    const table = "table ip6 fw6test { chain f6 { type filter hook forward priority filter + 10; policy drop; }; }";
    await sh("a", `nft -f - <<'EOF'\n${table}\nEOF`);
    try {
      for (const fw of ["nftables", "iptables"]) {
        const r = await preflight(fw, bridgeNatDual);
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toContain(
          "hostnet: host a: nftables: table ip6 fw6test chain f6 (hook forward, policy drop) drops traffic this stack forwards: " +
            "from fd00:88::/64, from fd00:88::2/128, to fd00:88::/64, to fd00:88::2/128.",
        );
        expect(r.stderr).toContain("Fix: nft insert rule ip6 fw6test f6 ip6 saddr fd00:88::/64 accept; ");
        // The table sees no IPv4 packet: the IPv4 flows are not named.
        expect(r.stderr).not.toContain("10.88.0.0/24");
      }
      await sh("a", "nft insert rule ip6 fw6test f6 ip6 saddr fd00:88::/64 accept; nft insert rule ip6 fw6test f6 ip6 daddr fd00:88::/64 accept");
      expect(await preflight("nftables", bridgeNatDual)).toEqual({ exitCode: 0, stderr: "" });
      expect(await preflight("iptables", bridgeNatDual)).toEqual({ exitCode: 0, stderr: "" });
    } finally {
      await sh("a", "nft delete table ip6 fw6test");
    }
  }, 120_000);

  test("the legacy backend's FORWARD DROP: the nftables preflight names iptables-legacy and the rule to add", async () => {
    await sh("a", "iptables-legacy -w -P FORWARD DROP");
    try {
      const r = await preflight("nftables");
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain("hostnet: host a: iptables-legacy: the filter FORWARD policy DROP drops traffic this stack forwards");
      expect(r.stderr).toContain("hostnet writes its rules with nftables");
      expect(r.stderr).toContain("iptables-legacy -I FORWARD -s 10.91.0.0/24 -j ACCEPT");
    } finally {
      await sh("a", "iptables-legacy -w -P FORWARD ACCEPT");
    }
  }, 120_000);
});
