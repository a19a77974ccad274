/**
 * Scenario 5 (examples/router-namespace, note 2): a router namespace on host a
 * with an inside leg on a private bridge and an outside leg on a's external
 * bridge, forwarding on inside it, and 1:1 NAT (DNAT + SNAT in the router's own
 * tables) between vm's inside address 10.95.1.3 and the outside address
 * 198.19.51.103. Outside clients (a's root namespace, and host b, which routes
 * the outside network via a) reach vm's service by the outside address only.
 */
import { useScenario } from "./support/scenario";

const s = useScenario({ lab: "sct", index: 53, hosts: 2, example: "router-namespace", stack: "router-namespace" });
const probes = s.probes;
const FLOATING = "198.19.51.103";
const TAG = "hostnet:router-namespace:router-namespace/a/router/vm-floating-ip";

describe("router namespace with 1:1 NAT", () => {
  test("cdktf deploy creates both bridges, the router with forwarding, vm, the 1:1 NAT in the router and the routes", async () => {
    const r = await s.deploy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) }).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Apply complete! Resources: 18 added");
    expect((await s.sh("a", "ip netns exec router sysctl -n net.ipv4.ip_forward")).trim()).toBe("1");
    const routerNat = await s.sh("a", "ip netns exec router iptables-save -t nat");
    expect(routerNat).toContain(`-A PREROUTING -d ${FLOATING}/32 -m comment --comment "${TAG}" -j DNAT --to-destination 10.95.1.3`);
    expect(routerNat).toContain(`-A POSTROUTING -s 10.95.1.3/32 ! -d 10.95.1.0/24 -m comment --comment "${TAG}" -j SNAT --to-source ${FLOATING}`);
    // The rules live only in the router's tables.
    expect(await s.sh("a", "iptables-save -t nat")).not.toContain(TAG);
    await probes.serveEcho("a", "vm", 80, "vm");
  }, 300_000);

  test("host a's root namespace, on the outside network, reaches vm by the outside address", async () => {
    expect(await probes.tcpLine("a", FLOATING, 80)).toBe("vm 198.19.51.1");
  }, 30_000);

  test("host b reaches vm by the outside address, and vm sees b's address", async () => {
    expect(await probes.tcpLine("b", FLOATING, 80)).toBe(`vm ${s.address("b")}`);
  }, 30_000);

  test("vm's own connections leave under the outside address (SNAT)", async () => {
    await probes.serveEcho("b", undefined, 7000, "b-saw");
    expect(await probes.tcpLine("a", s.address("b"), 7000, "vm")).toBe(`b-saw ${FLOATING}`);
  }, 30_000);

  test("control: the inside address is not reachable from outside", async () => {
    expect(await probes.tcpLine("b", "10.95.1.3", 80)).toMatch(/^(ERR|TIMEOUT)/);
    expect(await probes.tcpLine("a", "10.95.1.3", 80)).toMatch(/^(ERR|TIMEOUT)/);
  }, 30_000);

  test("cdktf destroy leaves both hosts exactly as they were", async () => {
    const r = await s.destroy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) }).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Destroy complete! Resources: 18 destroyed");
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);
});
