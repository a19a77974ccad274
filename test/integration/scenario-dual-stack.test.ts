/**
 * Dual stack on one lab (two hosts with IPv4 and IPv6 management addresses):
 * examples/bridge-nat-dual, then examples/port-publish-dual, then
 * examples/docker-network-dual (a dual-stack Network with a 1:1 NAT66
 * endpoint, dual-stack macvlan children), each deployed,
 * probed over IPv4 and IPv6 (ping and TCP, NAT66 masquerade and port forwards
 * through ip6tables) and destroyed; after each destroy both hosts equal their
 * snapshots, IPv6 included (`ip -br addr`, `ip -6 route`, `ip6tables-save`,
 * IPv6 forwarding).
 */
import { API_OUTSIDE6 } from "../../examples/docker-network-dual/main";
import { ping } from "./support/probe";
import { useScenario } from "./support/scenario";

// The host snapshots (src/lab/snapshot.ts) hold ip -6 route and rule, ip6tables-save and IPv6 forwarding beside IPv4's.
const s = useScenario({ lab: "vb", index: 225, hosts: 2, example: "bridge-nat-dual", stack: "bridge-nat-dual" });
const probes = s.probes;
/** A lab host's IPv6 management address (fd00:198:18:225::10 and ::11). */
const v6 = (host: string) => s.inv.hosts[host].address6!;

const ok = (r: { exitCode: number; output: string }) => ({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) });

describe("bridge-nat on both families", () => {
  test("deploy: both gateways on the bridge, an IPv6 default route per namespace, masquerade through ip6tables", async () => {
    const r = await s.deploy();
    expect(ok(r)).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Apply complete! Resources: 17 added");
    expect(await s.sh("a", "ip6tables-save -t nat")).toContain(
      `-A POSTROUTING -s fd00:88::/64 ! -o br-lan -m comment --comment "hostnet:bridge-nat-dual:bridge-nat-dual/a/masquerade6" -j MASQUERADE`,
    );
    expect(await s.sh("a", "ip -n db -6 route show default")).toContain("default via fd00:88::1 dev eth0 proto 199");
    expect((await s.sh("a", "sysctl -n net.ipv6.conf.all.forwarding")).trim()).toBe("1");
    // Added without DAD, so never tentative: usable the moment the create returns.
    expect(await s.sh("a", "ip -n web -6 addr show dev eth0 scope global")).toMatch(/inet6 fd00:88::2\/64 scope global nodad/);
    expect(await s.sh("a", "ip -6 addr show dev br-lan scope global")).toMatch(/inet6 fd00:88::1\/64 scope global nodad/);
    await probes.serveEcho("a", "web", 80, "web");
    await probes.serveEcho("b", undefined, 8080, "b");
  }, 300_000);

  test("the first ping over IPv6 works at once (no DAD wait): db -> web, db -> gateway, and ::1 inside web", async () => {
    expect(await ping(s.inv, "a", "fd00:88::2", "db")).toBe(true);
    expect(await ping(s.inv, "a", "fd00:88::1", "db")).toBe(true);
    expect(await ping(s.inv, "a", "::1", "web")).toBe(true);
    expect(await ping(s.inv, "a", "10.88.0.2", "db")).toBe(true);
  }, 30_000);

  test("TCP over IPv6 and IPv4 between namespaces on the bridge", async () => {
    expect(await probes.tcpLine("a", "fd00:88::2", 80, "db")).toBe("web fd00:88::3");
    expect(await probes.tcpLine("a", "10.88.0.2", 80, "db")).toBe("web 10.88.0.3");
  }, 30_000);

  test("NAT66: db reaches host b over IPv6, masqueraded to a's IPv6 address (and over IPv4 to a's IPv4 one)", async () => {
    expect(await probes.tcpLine("a", v6("b"), 8080, "db")).toBe(`b ${v6("a")}`);
    expect(await probes.tcpLine("a", s.address("b"), 8080, "db")).toBe(`b ${s.address("a")}`);
  }, 30_000);

  test("host b reaches web's published port over IPv6 ([fd00:88::2]:80) and IPv4, and web sees b's own address", async () => {
    expect(await probes.tcpLine("b", v6("a"), 10080)).toBe(`web ${v6("b")}`);
    expect(await probes.tcpLine("b", s.address("a"), 10080)).toBe(`web ${s.address("b")}`);
  }, 30_000);

  test("destroy leaves both hosts as they were, IPv6 addresses, routes, ip6tables and forwarding included", async () => {
    await probes.stopAll();
    const r = await s.destroy();
    expect(ok(r)).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Destroy complete! Resources: 17 destroyed");
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);
});

describe("port-publish on both families", () => {
  test("deploy: the IPv6 port forward DNATs to [fd00:92::2]:80 with its hairpin rule", async () => {
    s.useExample("port-publish-dual", "port-publish-dual");
    const r = await s.deploy();
    expect(ok(r)).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Apply complete! Resources: 17 added");
    const nat = await s.sh("a", "ip6tables-save -t nat");
    expect(nat).toContain("-j DNAT --to-destination [fd00:92::2]:80");
    expect(nat).toMatch(/-A OUTPUT .*! -d ::1\/128 .*--dport 10080 .*-j DNAT --to-destination \[fd00:92::2\]:80/);
    expect(nat).toContain("-A POSTROUTING -s fd00:92::/64 -d fd00:92::2/128 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT");
    await probes.serveEcho("a", "web", 80, "web");
  }, 300_000);

  test("host b reaches the service through [a]:10080 over IPv6 and a:10080 over IPv4", async () => {
    expect(await probes.tcpLine("b", v6("a"), 10080)).toBe(`web ${v6("b")}`);
    expect(await probes.tcpLine("b", s.address("a"), 10080)).toBe(`web ${s.address("b")}`);
  }, 30_000);

  test("host a reaches its own published port over IPv6 (OUTPUT chain)", async () => {
    expect(await probes.tcpLine("a", v6("a"), 10080)).toBe(`web ${v6("a")}`);
  }, 30_000);

  test("a neighbour and web itself reach the service through a's IPv6 address, masqueraded to the IPv6 gateway (hairpin)", async () => {
    expect(await probes.tcpLine("a", v6("a"), 10080, "peer")).toBe("web fd00:92::1");
    expect(await probes.tcpLine("a", v6("a"), 10080, "web")).toBe("web fd00:92::1");
  }, 30_000);

  test("direct IPv6 traffic between neighbours is not masqueraded", async () => {
    expect(await probes.tcpLine("a", "fd00:92::2", 80, "peer")).toBe("web fd00:92::3");
  }, 30_000);

  test("destroy leaves both hosts as they were, IPv6 included", async () => {
    await probes.stopAll();
    const r = await s.destroy();
    expect(ok(r)).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Destroy complete! Resources: 17 destroyed");
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);
});

describe("docker-network-dual: a dual-stack Network with a 1:1 NAT66 endpoint, and dual-stack macvlan children, on real hosts", () => {
  test("deploy: both gateways on the network's bridge, both addresses on each macvlan child, api's SNAT first in POSTROUTING", async () => {
    s.useExample("docker-network-dual", "docker-network-dual");
    const r = await s.deploy();
    expect(ok(r)).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Apply complete! Resources: 26 added");
    expect(await s.sh("a", "ip -n mv1 -br addr show dev eth0")).toMatch(/10\.91\.0\.2\/24 fd00:91::2\/64 fe80::/);
    expect(await s.sh("a", "ip -n mv1 -d link show dev eth0")).toContain("macvlan mode bridge");
    const nat = await s.sh("a", "ip6tables-save -t nat");
    expect(nat).toMatch(/-A PREROUTING -d fd00:90:ff::3\/128 .*-j DNAT --to-destination fd00:90::3/);
    // Whichever Terraform made first, the 1:1 NAT's SNAT is before the network's masquerade.
    const postrouting = nat.split("\n").filter((l) => l.startsWith("-A POSTROUTING"));
    expect(postrouting[0]).toMatch(/^-A POSTROUTING -s fd00:90::3\/128 .*-j SNAT --to-source fd00:90:ff::3$/);
    expect(postrouting.some((l) => l.includes("-s fd00:90::/64") && l.endsWith("-j MASQUERADE"))).toBe(true);
    for (const ns of ["web", "api"]) await probes.serveEcho("a", ns, 80, ns);
    await probes.serveEcho("b", undefined, 8093, "b");
  }, 300_000);

  test("the Network over IPv6: api reaches web, host b reaches web's published port [a]:10090, and web leaves masqueraded", async () => {
    expect(await probes.tcpLine("a", "fd00:90::2", 80, "api")).toBe("web fd00:90::3");
    expect(await probes.tcpLine("b", v6("a"), 10090)).toBe(`web ${v6("b")}`);
    expect(await probes.tcpLine("b", s.address("a"), 10090)).toBe(`web ${s.address("b")}`);
    expect(await probes.tcpLine("a", v6("b"), 8093, "web")).toBe(`b ${v6("a")}`);
  }, 30_000);

  test("1:1 NAT66: host b reaches api at its public address and is seen as itself; api leaves from its public address, not masqueraded", async () => {
    expect(await probes.tcpLine("b", API_OUTSIDE6, 80)).toBe(`api ${v6("b")}`);
    expect(await probes.tcpLine("a", v6("b"), 8093, "api")).toBe(`b ${API_OUTSIDE6}`);
  }, 30_000);

  test("the macvlan children reach each other over IPv6 and IPv4 inside their parent", async () => {
    expect(await ping(s.inv, "a", "fd00:91::3", "mv1")).toBe(true);
    expect(await ping(s.inv, "a", "10.91.0.3", "mv1")).toBe(true);
  }, 30_000);

  test("destroy leaves both hosts as they were, IPv6 included", async () => {
    await probes.stopAll();
    const r = await s.destroy();
    expect(ok(r)).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Destroy complete! Resources: 26 destroyed");
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);
});
