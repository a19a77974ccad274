/**
 * Scenario 6 (note 3, flannel vxlan): namespaces on hosts a and b in one subnet
 * (10.66.0.0/24) over VXLAN; on each host the VXLAN device is a port of a bridge
 * and floods to the other host by unicast. examples/vxlan-overlay deployed,
 * probed (reachability and the MTU edge), destroyed.
 */
import { ping } from "./support/probe";
import { useScenario } from "./support/scenario";

const s = useScenario({ lab: "scc", index: 43, hosts: 2, example: "vxlan-overlay", stack: "vxlan-overlay" });
const POD = { a: "10.66.0.1", b: "10.66.0.2" };
const MTU = 1450;

/** ping with Don't Fragment and an ICMP payload of `size` bytes (IP packet = size + 28). */
async function pingDf(from: "a" | "b", to: string, size: number): Promise<{ ok: boolean; out: string }> {
  const r = await s.sh(from, `ip netns exec pod ping -c 1 -W 2 -M do -s ${size} ${to} 2>&1; echo "exit=$?"`);
  return { ok: r.includes("exit=0"), out: r };
}

describe("one subnet across two hosts over VXLAN", () => {
  test("cdktf deploy creates on each host a bridge, a VXLAN port flooding to the other host, and a namespace on it", async () => {
    const r = await s.deploy();
    expect(r.output).toContain("Apply complete! Resources: 12 added");
    expect(r.exitCode).toBe(0);
    for (const [h, other] of [
      ["a", "b"],
      ["b", "a"],
    ] as const) {
      const out = await s.sh(h, "ip -d link show dev vx66; bridge fdb show dev vx66; ip -br link show master br-vx");
      expect(out).toContain(`mtu ${MTU} `);
      expect(out).toContain("master br-vx");
      expect(out).toContain(`vxlan id 66 local ${s.address(h)} dev eth0 srcport 0 0 dstport 4789 nolearning`);
      expect(out).toContain(`00:00:00:00:00:00 dst ${s.address(other)} self permanent`);
      expect(out).toMatch(/^ve-pod-veth@if\d+\s+UP/m);
    }
  }, 300_000);

  test("the namespace on a pings the namespace on b and back", async () => {
    expect(await ping(s.inv, "a", POD.b, "pod")).toBe(true);
    expect(await ping(s.inv, "b", POD.a, "pod")).toBe(true);
    // Control: an address on the segment that nobody has stays silent.
    expect(await ping(s.inv, "a", "10.66.0.200", "pod")).toBe(false);
  }, 60_000);

  test("the namespace's MTU is the VXLAN MTU: a full-size packet with DF crosses, one byte more does not", async () => {
    for (const h of ["a", "b"]) {
      expect(await s.sh(h, "ip -n pod -o link show dev eth0")).toContain(`mtu ${MTU} `);
      expect(await s.sh(h, "ip -o link show dev br-vx")).toContain(`mtu ${MTU} `);
    }
    const fits = await pingDf("a", POD.b, MTU - 28);
    expect(fits.out).toContain(`${MTU - 28}(${MTU}) bytes of data`);
    expect(fits.ok).toBe(true);
    const tooBig = await pingDf("a", POD.b, MTU - 28 + 1);
    expect(tooBig.ok).toBe(false);
    expect(tooBig.out).toContain(`mtu=${MTU}`);
  }, 60_000);

  test("the namespaces' traffic reaches b through its VXLAN device (the device's receive counter rises)", async () => {
    const rx = async () => Number((await s.sh("b", "ip -s -j link show dev vx66")).match(/"rx":\{"bytes":(\d+)/)![1]);
    const before = await rx();
    expect(await ping(s.inv, "a", POD.b, "pod")).toBe(true);
    expect(await rx()).toBeGreaterThan(before);
  }, 60_000);

  test("cdktf destroy leaves both hosts exactly as they were", async () => {
    const r = await s.destroy();
    expect(r.output).toContain("Destroy complete! Resources: 12 destroyed");
    expect(r.exitCode).toBe(0);
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);

  test("destroy succeeds when the VXLAN device on a was deleted by hand", async () => {
    const r = await s.deploy();
    expect(r.exitCode).toBe(0);
    await s.sh("a", "ip link del dev vx66");
    const d = await s.destroy();
    expect(d.output).toContain("Destroy complete! Resources: 12 destroyed");
    expect(d.exitCode).toBe(0);
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);
});
