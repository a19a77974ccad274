/**
 * Scenario 2 (note 1): a bridge without an address joining three namespaces
 * and the host; each namespace has `default dev eth0`, the host routes the
 * subnet to the bridge. examples/bridge-hosts deployed, probed, destroyed.
 */
import { ping } from "./support/probe";
import { useScenario } from "./support/scenario";

const s = useScenario({ lab: "scb", index: 42, hosts: 1, example: "bridge-hosts", stack: "bridge-hosts" });
const NS = ["n1", "n2", "n3"];
const IP = ["10.65.0.1", "10.65.0.2", "10.65.0.3"];

describe("a bridge joining three namespaces and the host", () => {
  test("cdktf deploy creates the bridge, the namespaces on it and the routes", async () => {
    const r = await s.deploy();
    expect(r.output).toContain("Apply complete! Resources: 13 added");
    expect(r.exitCode).toBe(0);
    const out = await s.sh(
      "a",
      "ip -br link show master br-hosts; echo bridge ipv4: $(ip -4 -o addr show dev br-hosts | wc -l); ip route show 10.65.0.0/24; ip -n n2 route show default",
    );
    for (const n of NS) expect(out).toMatch(new RegExp(`^ve-${n}-veth@if\\d+\\s+UP`, "m"));
    expect(out).toContain("bridge ipv4: 0");
    expect(out).toContain("10.65.0.0/24 dev br-hosts proto 199");
    expect(out).toContain("default dev eth0 proto 199");
  }, 300_000);

  test("every namespace pings every other one", async () => {
    for (const [i, from] of NS.entries()) {
      for (const [j, to] of IP.entries()) if (i !== j) expect([from, to, await ping(s.inv, "a", to, from)]).toEqual([from, to, true]);
    }
  }, 60_000);

  test("the host pings every namespace and every namespace pings the host's address", async () => {
    for (const ip of IP) expect([ip, await ping(s.inv, "a", ip)]).toEqual([ip, true]);
    for (const ns of NS) expect([ns, await ping(s.inv, "a", s.address("a"), ns)]).toEqual([ns, true]);
    // Control: an address on the subnet that nobody has stays silent.
    expect(await ping(s.inv, "a", "10.65.0.200")).toBe(false);
  }, 60_000);

  test("cdktf destroy leaves the host exactly as it was", async () => {
    const r = await s.destroy();
    expect(r.output).toContain("Destroy complete! Resources: 13 destroyed");
    expect(r.exitCode).toBe(0);
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);
});
