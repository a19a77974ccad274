/**
 * Scenario 1 (note 1, note 3): two namespaces joined by one veth pair, no
 * bridge. examples/two-namespaces deployed with cdktf, probed, destroyed.
 */
import { ping } from "./support/probe";
import { useScenario } from "./support/scenario";

const s = useScenario({ lab: "sca", index: 41, hosts: 1, example: "two-namespaces", stack: "two-namespaces" });

describe("two namespaces on one veth pair", () => {
  test("cdktf deploy creates both namespaces and the veth between them, one end in each", async () => {
    const r = await s.deploy();
    expect(r.output).toContain("Apply complete! Resources: 5 added");
    expect(r.exitCode).toBe(0);
    const out = await s.sh(
      "a",
      "ip netns list; ip -n left -br addr show dev eth0; ip -n right -br addr show dev eth0; ip -n left -d link show dev eth0",
    );
    expect(out).toMatch(/^left\b/m);
    expect(out).toMatch(/^right\b/m);
    expect(out).toMatch(/^eth0@if\d+\s+UP\s+10\.64\.0\.1\/24/m);
    expect(out).toMatch(/^eth0@if\d+\s+UP\s+10\.64\.0\.2\/24/m);
    expect(out).toContain("link-netns right");
    expect(out).toContain("veth");
  }, 300_000);

  test("each namespace pings the other, and nothing else answers", async () => {
    expect(await ping(s.inv, "a", "10.64.0.2", "left")).toBe(true);
    expect(await ping(s.inv, "a", "10.64.0.1", "right")).toBe(true);
    // Control: no bridge and no route, so the host cannot reach them and an unused address is silent.
    expect(await ping(s.inv, "a", "10.64.0.1")).toBe(false);
    expect(await ping(s.inv, "a", "10.64.0.9", "left")).toBe(false);
  }, 60_000);

  test("cdktf destroy leaves the host exactly as it was", async () => {
    const r = await s.destroy();
    expect(r.output).toContain("Destroy complete! Resources: 5 destroyed");
    expect(r.exitCode).toBe(0);
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);
});
