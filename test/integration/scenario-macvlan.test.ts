/**
 * Scenario 9 (note 5): two namespaces with macvlan children (mode bridge) of
 * one parent on host a; the parent is a bridge with no ports standing in for a
 * NIC. examples/macvlan deployed, probed, destroyed.
 */
import { ping } from "./support/probe";
import { useScenario } from "./support/scenario";

const s = useScenario({ lab: "scf", index: 46, hosts: 1, example: "macvlan", stack: "macvlan" });
const M1 = "10.69.0.1";
const M2 = "10.69.0.2";

describe("two namespaces on macvlan children of one parent", () => {
  test("cdktf deploy creates the parent and a macvlan (mode bridge) in each namespace, each with its own MAC", async () => {
    const r = await s.deploy();
    expect(r.output).toContain("Apply complete! Resources: 7 added");
    expect(r.exitCode).toBe(0);
    const macs: string[] = [];
    for (const [ns, ip] of [
      ["m1", M1],
      ["m2", M2],
    ]) {
      const out = await s.sh("a", `ip -n ${ns} -d link show dev eth0; ip -n ${ns} -br addr show dev eth0; cat /sys/class/net/mv-parent/ifindex`);
      expect(out).toContain("macvlan mode bridge");
      expect(out).toMatch(new RegExp(`^eth0@if(\\d+)\\s+UP\\s+${ip.replace(/\./g, "\\.")}/24`, "m"));
      // The child's link points at the parent's ifindex in the host's root namespace.
      const parentIndex = out.trim().split("\n").pop();
      expect(out).toContain(`eth0@if${parentIndex}`);
      macs.push(/link\/ether (\S+)/.exec(out)![1]);
    }
    expect(macs[0]).not.toBe(macs[1]);
  }, 300_000);

  test("the namespaces ping each other through the parent", async () => {
    expect(await ping(s.inv, "a", M2, "m1")).toBe(true);
    expect(await ping(s.inv, "a", M1, "m2")).toBe(true);
    // Control: an unused address on the segment stays silent.
    expect(await ping(s.inv, "a", "10.69.0.200", "m1")).toBe(false);
  }, 60_000);

  test("cdktf destroy leaves the host exactly as it was", async () => {
    const r = await s.destroy();
    expect(r.output).toContain("Destroy complete! Resources: 7 destroyed");
    expect(r.exitCode).toBe(0);
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);

  test("destroy succeeds when the parent was deleted by hand, taking the macvlan children with it", async () => {
    const r = await s.deploy();
    expect(r.exitCode).toBe(0);
    await s.sh("a", "ip link del dev mv-parent");
    expect((await s.sh("a", "ip -n m1 -br link show type macvlan; ip -n m2 -br link show type macvlan")).trim()).toBe("");
    const d = await s.destroy();
    expect(d.output).toContain("Destroy complete! Resources: 7 destroyed");
    expect(d.exitCode).toBe(0);
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);
});
