/**
 * Scenario 8 (note 3, Calico): routed /32 endpoints with proxy ARP on hosts a
 * (10.63.0.0/24) and b (10.63.1.0/24): no bridge, the namespace's default
 * route goes via 169.254.1.1, which the host-side veth answers by proxy ARP;
 * the hosts route each other's blocks. examples/routed-proxy-arp deployed,
 * probed, destroyed.
 */
import { ping } from "./support/probe";
import { useScenario } from "./support/scenario";

const s = useScenario({ lab: "sce", index: 45, hosts: 2, example: "routed-proxy-arp", stack: "routed-proxy-arp" });
const POD = { a: "10.63.0.1", b: "10.63.1.1" };
const VETH = "rt-pod-ep";

describe("Calico-style routed /32 endpoints with proxy ARP on two hosts", () => {
  test("cdktf deploy gives each namespace a /32 and a default route via 169.254.1.1 onlink, and each host proxy_arp=1 on the veth and a /32 route into it", async () => {
    const r = await s.deploy();
    expect(r.output).toContain("Apply complete! Resources: 14 added");
    expect(r.exitCode).toBe(0);
    for (const h of ["a", "b"] as const) {
      const out = await s.sh(
        h,
        `cat /proc/sys/net/ipv4/conf/${VETH}/proxy_arp; ip route show ${POD[h]}/32; ip -n pod -br addr show dev eth0; ip -n pod route show; ip -o link show dev ${VETH}`,
      );
      const [proxyArp] = out.split("\n");
      expect(proxyArp).toBe("1");
      expect(out).toContain(`${POD[h]} dev ${VETH} proto 199 scope link`);
      expect(out).toMatch(new RegExp(`^eth0@if\\d+\\s+UP\\s+${POD[h].replace(/\./g, "\\.")}/32`, "m"));
      expect(out).toContain("default via 169.254.1.1 dev eth0 onlink");
      expect(out).not.toContain(" master "); // no bridge
    }
  }, 300_000);

  test("the namespace on a pings the namespace on b and back", async () => {
    expect(await ping(s.inv, "a", POD.b, "pod")).toBe(true);
    expect(await ping(s.inv, "b", POD.a, "pod")).toBe(true);
    // Control: an address in b's block that nobody has stays silent.
    expect(await ping(s.inv, "a", "10.63.1.200", "pod")).toBe(false);
  }, 60_000);

  test("the gateway 169.254.1.1 resolved, by proxy ARP, to the MAC of the host-side veth", async () => {
    for (const h of ["a", "b"] as const) {
      const mac = (await s.sh(h, `cat /sys/class/net/${VETH}/address`)).trim();
      const neigh = await s.sh(h, "ip -n pod neigh show 169.254.1.1");
      expect(neigh).toContain(`169.254.1.1 dev eth0 lladdr ${mac}`);
    }
  }, 60_000);

  test("control: with proxy_arp off the namespace cannot resolve its gateway; back on, it can", async () => {
    await s.sh("a", `echo 0 > /proc/sys/net/ipv4/conf/${VETH}/proxy_arp; ip -n pod neigh flush dev eth0`);
    expect(await ping(s.inv, "a", POD.b, "pod")).toBe(false);
    await s.sh("a", `echo 1 > /proc/sys/net/ipv4/conf/${VETH}/proxy_arp; ip -n pod neigh flush dev eth0`);
    expect(await ping(s.inv, "a", POD.b, "pod")).toBe(true);
  }, 60_000);

  test("cdktf destroy leaves both hosts exactly as they were: no veth, no /32 route, no proxy_arp entry, ip_forward back", async () => {
    const r = await s.destroy();
    expect(r.output).toContain("Destroy complete! Resources: 14 destroyed");
    expect(r.exitCode).toBe(0);
    expect(await s.snapshots()).toEqual(s.before);
    for (const h of ["a", "b"]) expect((await s.sh(h, `[ -e /proc/sys/net/ipv4/conf/${VETH} ] && echo present || echo gone`)).trim()).toBe("gone");
  }, 300_000);
});
