/**
 * Issue 15, dual stack on real test hosts: examples/routed-dual-stack (Calico's
 * dual-stack mode: /32 + /128 endpoints, proxy ARP and proxy NDP, HostGw routes of
 * both families, IPv6 via the hosts' IPv6 addresses) and examples/vxlan-dual-stack
 * (flannel vxlan: both families inside a VXLAN overlay whose underlay is IPv6)
 * and examples/host-gw-dual (flannel host-gw on both families, IPv6 routed via
 * the lab hosts' IPv6 management addresses), one after the other on one lab of two hosts. Each is deployed, probed over IPv6
 * and IPv4 (ping and TCP), checked for drift, destroyed; the hosts' IPv6 state
 * (`ip -6 route`, `ip -6 neigh show proxy`, `ip -6 addr`, ip6tables, forwarding)
 * must be as before.
 */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { Io } from "../../src/cli/command";
import { main } from "../../src/cli/main";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject } from "./support/cdktf-project";
import { ping, serveTcp, tcpFromHost } from "./support/probe";

const LAB = "vc";
const INDEX = 231;
const HOSTS = ["a", "b"] as const;
/** The hosts' IPv6 addresses on eth0 (the lab gives them IPv4 only). */
const U6 = { a: "fd00:e7::a", b: "fd00:e7::b" };
const VETH = "rt-pod-ep";

const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const inventory = path.join(labDir, LAB, "inventory.json");
let inv: Inventory;
const before = new Map<string, string>();
const before6 = new Map<string, string>();
const projects: CdktfProject[] = [];
const dirty = new Set<CdktfProject>();

async function sh(host: string, script: string): Promise<string> {
  const r = await hostExec(inv, host, script);
  if (r.exitCode !== 0) throw new Error(`on host ${host}: ${script}\nexit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** What hostSnapshot leaves out of IPv6: routes of every table, proxy neighbours, addresses, ip6tables, forwarding. */
async function snapshot6(host: string): Promise<string> {
  const out = await sh(
    host,
    [
      // The kernel adds eth0's own link-local address (and its local route) a moment after the link is up: left out, as in hostSnapshot.
      // With forwarding on, eth0 also gets the anycast fe80:: once its link-local address is ready: left out likewise.
      "echo '## route'; ip -6 route show table all | grep -v ' cache' | grep -v '^local fe80:' | grep -v '^anycast fe80::' | sort",
      "echo '## proxy'; ip -6 neigh show proxy | sort",
      "echo '## addr'; ip -6 -o addr show | grep -v ' fe80:' | sed 's/valid_lft.*//; s/^[0-9]*: //' | sort",
      "echo '## ip6tables'; ip6tables-save 2>/dev/null | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'",
      "echo '## sysctl'; sysctl net.ipv6.conf.all.forwarding net.ipv6.conf.eth0.forwarding net.ipv6.conf.eth0.accept_ra",
    ].join("\n"),
  );
  return out;
}

function project(example: string, stack: string): CdktfProject {
  const p = new CdktfProject(`examples/${example}/main.ts`, stack, { HOSTNET_INVENTORY: inventory, HOSTNET_UNDERLAY6: JSON.stringify(U6) });
  projects.push(p);
  return p;
}

async function deploy(p: CdktfProject): Promise<{ exitCode: number; output: string }> {
  dirty.add(p);
  return p.deploy();
}

async function destroy(p: CdktfProject): Promise<{ exitCode: number; output: string }> {
  const r = await p.destroy();
  if (r.exitCode === 0) dirty.delete(p);
  return r;
}

async function expectHostsAsBefore(): Promise<void> {
  for (const h of HOSTS) {
    expect(await hostSnapshot(inv, h)).toEqual(before.get(h));
    expect(await snapshot6(h)).toEqual(before6.get(h));
  }
}

/** Stop every process the tests started in namespace pod (the TCP servers). */
async function stopServers(): Promise<void> {
  for (const h of HOSTS) await hostExec(inv, h, "ip netns pids pod 2>/dev/null | xargs -r kill 2>/dev/null; true");
}

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 2, index: INDEX, dir: labDir });
  for (const h of HOSTS) {
    // An IPv6 underlay: the hosts share eth0's segment; nodad so the address works at once.
    await sh(h, `echo 0 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6; ip addr replace ${U6[h]}/64 dev eth0 nodad`);
    // Host a's eth0 forwards IPv6 on its own while "all" is 0: writing all.forwarding (the deploy) overwrites it,
    // and destroy must put it back (snapshot6 holds eth0's forwarding).
    if (h === "a") await sh(h, "sysctl -q -w net.ipv6.conf.eth0.forwarding=1");
    before.set(h, await hostSnapshot(inv, h));
    before6.set(h, await snapshot6(h));
  }
}, 120_000);

afterAll(async () => {
  try {
    if (inv) await stopServers();
    for (const p of projects) {
      if (dirty.has(p)) await p.destroy();
      p.remove();
    }
  } finally {
    await labDown({ name: LAB, dir: labDir });
    rmSync(labDir, { recursive: true, force: true });
  }
}, 300_000);

describe("routed endpoints, dual stack: proxy ARP and proxy NDP, host-gw routes of both families", () => {
  const POD = { a: { v4: "10.63.2.1", v6: "fd00:63:2::1" }, b: { v4: "10.63.3.1", v6: "fd00:63:3::1" } };
  let p: CdktfProject;
  beforeAll(() => {
    p = project("routed-dual-stack", "routed-dual-stack");
  });

  test("deploy gives each namespace a /32 and a /128, an IPv6 default route via fe80::1, and the host proxy NDP for it and a /128 route", async () => {
    const r = await deploy(p);
    expect(r.output).toContain("Apply complete!");
    expect(r.exitCode).toBe(0);
    for (const h of HOSTS) {
      const other = h === "a" ? "b" : "a";
      const out = await sh(
        h,
        `cat /proc/sys/net/ipv6/conf/${VETH}/proxy_ndp; ip -6 neigh show proxy; ip -6 route show ${POD[h].v6}/128; ` +
          `ip -n pod -br addr show dev eth0; ip -n pod -6 route show default; ip -6 route show fd00:63:${h === "a" ? 3 : 2}::/64; sysctl -n net.ipv6.conf.all.forwarding`,
      );
      expect(out.split("\n")[0]).toBe("1");
      expect(out).toContain(`fe80::1 dev ${VETH} proxy`);
      expect(out).toContain(`${POD[h].v6} dev ${VETH} proto 199`);
      expect(out).toMatch(new RegExp(`^eth0@if\\d+\\s+UP\\s+${POD[h].v4.replace(/\./g, "\\.")}/32 ${POD[h].v6}/128`, "m"));
      expect(out).toContain("default via fe80::1 dev eth0");
      expect(out).toContain(`fd00:63:${other === "a" ? 2 : 3}::/64 via ${U6[other]} dev eth0 proto 199`);
      expect(out.trim().split("\n").pop()).toBe("1");
    }
  }, 300_000);

  test("the namespace on a reaches the one on b over IPv6 and IPv4, and back (ping and TCP)", async () => {
    for (const [from, to] of [
      ["a", "b"],
      ["b", "a"],
    ] as const) {
      expect(await ping(inv, from, POD[to].v6, "pod")).toBe(true);
      expect(await ping(inv, from, POD[to].v4, "pod")).toBe(true);
    }
    // Control: an address in b's IPv6 block that nobody has stays silent.
    expect(await ping(inv, "a", "fd00:63:3::200", "pod")).toBe(false);
    await serveTcp(inv, "b", "pod", 8080, "hello over v6");
    expect(await tcpFromHost(inv, "a", POD.b.v6, 8080, "pod")).toBe("hello over v6");
    expect(await tcpFromHost(inv, "a", POD.b.v4, 8080, "pod")).toBe("hello over v6");
  }, 60_000);

  test("the IPv6 gateway fe80::1 resolved, by proxy NDP, to the MAC of the host-side veth", async () => {
    for (const h of HOSTS) {
      const mac = (await sh(h, `cat /sys/class/net/${VETH}/address`)).trim();
      expect(await sh(h, "ip -n pod -6 neigh show fe80::1")).toContain(`fe80::1 dev eth0 lladdr ${mac}`);
    }
  }, 60_000);

  test("hostnet inspect shows the IPv6 addresses and the proto 199 IPv6 routes", async () => {
    const out: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: (l) => out.push(l) };
    expect(await main(["inspect", "a", "--inventory", inventory], io)).toBe(0);
    const text = out.join("\n");
    expect(text).toContain(`${POD.a.v6}/128`);
    expect(text).toContain(`${POD.a.v6} dev ${VETH} proto 199`);
    expect(text).toContain(`fd00:63:3::/64 via ${U6.b} dev eth0 proto 199`);
  }, 60_000);

  test("hostnet check finds a deleted proxy NDP entry; without it the namespace cannot resolve its gateway; put back, check is clean", async () => {
    await sh("a", `ip -6 neigh del proxy fe80::1 dev ${VETH}; ip -n pod -6 neigh flush dev eth0`);
    const drift = await p.hostnet("check", "--no-synth");
    expect(drift.exitCode).not.toBe(0);
    expect(drift.output).toContain(`proxy neighbour entry for fe80::1 on ${VETH} is missing`);
    expect(await ping(inv, "a", POD.b.v6, "pod")).toBe(false);
    await sh("a", `ip -6 neigh add proxy fe80::1 dev ${VETH}; ip -n pod -6 neigh flush dev eth0`);
    expect(await ping(inv, "a", POD.b.v6, "pod")).toBe(true);
    expect((await p.hostnet("check", "--no-synth")).exitCode).toBe(0);
  }, 120_000);

  test("destroy leaves both hosts exactly as they were: IPv6 routes, proxy entries, addresses, forwarding", async () => {
    await stopServers();
    const r = await destroy(p);
    expect(r.output).toContain("Destroy complete!");
    expect(r.exitCode).toBe(0);
    await expectHostsAsBefore();
  }, 300_000);
});

describe("VXLAN over an IPv6 underlay, both families inside", () => {
  const POD = { a: { v4: "10.68.1.2", v6: "fd00:68:1::2" }, b: { v4: "10.68.2.2", v6: "fd00:68:2::2" } };
  let p: CdktfProject;
  beforeAll(() => {
    p = project("vxlan-dual-stack", "vxlan-dual-stack");
  });

  test("deploy makes on each host a VXLAN device with an IPv6 local address flooding to the other host's IPv6 address, MTU 1500 − 70", async () => {
    const r = await deploy(p);
    expect(r.output).toContain("Apply complete!");
    expect(r.exitCode).toBe(0);
    for (const h of HOSTS) {
      const other = h === "a" ? "b" : "a";
      const out = await sh(h, "ip -d link show dev vx67; bridge fdb show dev vx67; ip -br addr show dev vx67");
      expect(out).toContain(`vxlan id 67 local ${U6[h]} dev eth0`);
      expect(out).toContain(`00:00:00:00:00:00 dst ${U6[other]} self permanent`);
      expect(out).toContain("mtu 1430 ");
      expect(out).toMatch(/10\.67\.0\.\d\/24 fd00:67::\d\/64/);
    }
  }, 300_000);

  test("the hosts reach each other's overlay addresses, and the namespaces each other, over IPv6 and IPv4 (ping and TCP)", async () => {
    expect(await ping(inv, "a", "fd00:67::2")).toBe(true);
    expect(await ping(inv, "a", "10.67.0.2")).toBe(true);
    for (const [from, to] of [
      ["a", "b"],
      ["b", "a"],
    ] as const) {
      expect(await ping(inv, from, POD[to].v6, "pod")).toBe(true);
      expect(await ping(inv, from, POD[to].v4, "pod")).toBe(true);
    }
    await serveTcp(inv, "b", "pod", 8081, "through vxlan");
    expect(await tcpFromHost(inv, "a", POD.b.v6, 8081, "pod")).toBe("through vxlan");
    // Control: nobody has fd00:67::9 on the overlay.
    expect(await ping(inv, "a", "fd00:67::9")).toBe(false);
  }, 60_000);

  test("the traffic crosses inside VXLAN: b's device counts it, and the underlay carries IPv6 UDP to port 4789", async () => {
    const rx = async () => Number((await sh("b", "ip -s -j link show dev vx67")).match(/"rx":\{"bytes":(\d+)/)![1]);
    const udp6 = async () => Number((await sh("b", "awk '$1 == \"Udp6InDatagrams\" {print $2}' /proc/net/snmp6")).trim());
    const [r0, u0] = [await rx(), await udp6()];
    expect(await ping(inv, "a", POD.b.v6, "pod")).toBe(true);
    expect(await rx()).toBeGreaterThan(r0);
    expect(await udp6()).toBeGreaterThan(u0);
  }, 60_000);

  test("destroy leaves both hosts exactly as they were", async () => {
    await stopServers();
    const r = await destroy(p);
    expect(r.output).toContain("Destroy complete!");
    expect(r.exitCode).toBe(0);
    await expectHostsAsBefore();
  }, 300_000);
});

describe("host-gw on both families: each host's IPv6 subnet routed via its IPv6 address", () => {
  const POD = { a: { v4: "10.61.0.2", v6: "fd00:61::2" }, b: { v4: "10.62.0.2", v6: "fd00:62::2" } };
  let p: CdktfProject;
  beforeAll(() => {
    p = project("host-gw-dual", "host-gw-dual");
  });

  test("deploy routes the other host's subnets of both families via its address of that family (proto 199) and forwards both", async () => {
    const r = await deploy(p);
    expect(r.output).toContain("Apply complete! Resources: 22 added");
    expect(r.exitCode).toBe(0);
    for (const h of HOSTS) {
      const other = h === "a" ? "b" : "a";
      const routes = await sh(
        h,
        `ip route show ${h === "a" ? "10.62.0.0/24" : "10.61.0.0/24"}; ip -6 route show ${POD[other].v6.replace(/2$/, "")}/64`,
      );
      expect(routes).toContain(`via ${inv.hosts[other].address} dev eth0 proto 199`);
      expect(routes).toContain(`via ${inv.hosts[other].address6} dev eth0 proto 199`);
      expect((await sh(h, "sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding")).split("\n").slice(0, 2)).toEqual(["1", "1"]);
    }
  }, 300_000);

  test("the namespaces reach each other over IPv6 and IPv4, both ways, without encapsulation", async () => {
    for (const [from, to] of [
      ["a", "b"],
      ["b", "a"],
    ] as const) {
      expect(await ping(inv, from, POD[to].v6, "pod")).toBe(true);
      expect(await ping(inv, from, POD[to].v4, "pod")).toBe(true);
    }
    await serveTcp(inv, "b", "pod", 8082, "host-gw v6");
    expect(await tcpFromHost(inv, "a", POD.b.v6, 8082, "pod")).toBe("host-gw v6");
    // Control: an address in b's IPv6 subnet that nobody has stays silent.
    expect(await ping(inv, "a", "fd00:62::99", "pod")).toBe(false);
  }, 60_000);

  test("destroy leaves both hosts exactly as they were", async () => {
    await stopServers();
    const r = await destroy(p);
    expect(r.output).toContain("Destroy complete! Resources: 22 destroyed");
    expect(r.exitCode).toBe(0);
    await expectHostsAsBefore();
  }, 300_000);
});
