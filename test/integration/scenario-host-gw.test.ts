/**
 * Scenario 7 (notes 3 and 5, flannel host-gw): each host its own subnet on a
 * bridge with a namespace (10.61.0.0/24 on a, 10.62.0.0/24 on b); each host
 * routes the other's subnet via the other's lab address and forwards.
 * examples/host-gw deployed, probed, destroyed.
 */
import { ping } from "./support/probe";
import { useScenario } from "./support/scenario";

const s = useScenario({ lab: "scd", index: 44, hosts: 2, example: "host-gw", stack: "host-gw" });
const POD = { a: "10.61.0.2", b: "10.62.0.2" };

describe("host-gw routing between two hosts", () => {
  test("cdktf deploy gives each host its subnet, a route to the other subnet via the other host, and forwarding", async () => {
    const r = await s.deploy();
    expect(r.output).toContain("Apply complete! Resources: 16 added");
    expect(r.exitCode).toBe(0);
    const a = await s.sh("a", "ip route show 10.62.0.0/24; sysctl -n net.ipv4.ip_forward; ip -br addr show dev br-gw");
    expect(a).toContain(`10.62.0.0/24 via ${s.address("b")} dev eth0 proto 199`);
    expect(a).toMatch(/^1$/m);
    expect(a).toContain("10.61.0.1/24");
    const b = await s.sh("b", "ip route show 10.61.0.0/24; sysctl -n net.ipv4.ip_forward");
    expect(b).toContain(`10.61.0.0/24 via ${s.address("a")} dev eth0 proto 199`);
    expect(b).toMatch(/^1$/m);
  }, 300_000);

  test("the namespace on a pings the namespace on b and back, two routers on the way (TTL 62)", async () => {
    expect(await ping(s.inv, "a", POD.b, "pod")).toBe(true);
    expect(await ping(s.inv, "b", POD.a, "pod")).toBe(true);
    const out = await s.sh("a", `ip netns exec pod ping -c 1 -W 2 ${POD.b}`);
    expect(out).toContain("ttl=62");
    // Control: an address in b's subnet that nobody has stays silent.
    expect(await ping(s.inv, "a", "10.62.0.200", "pod")).toBe(false);
  }, 60_000);

  test("the hosts reach each other's namespaces through the same routes", async () => {
    expect(await ping(s.inv, "a", POD.b)).toBe(true);
    expect(await ping(s.inv, "b", POD.a)).toBe(true);
  }, 60_000);

  test("cdktf destroy leaves both hosts exactly as they were (ip_forward back to 0)", async () => {
    const r = await s.destroy();
    expect(r.output).toContain("Destroy complete! Resources: 16 destroyed");
    expect(r.exitCode).toBe(0);
    expect(await s.snapshots()).toEqual(s.before);
    expect(s.before.get("a")).toContain("net.ipv4.ip_forward = 0");
  }, 300_000);
});
