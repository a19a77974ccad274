/**
 * Scenario 3 (examples/outbound-masquerade): a namespace on host a reaches host
 * b, and b sees a's address as the source: the namespace's subnet is
 * masqueraded when it leaves a. Deployed with the real cdktf CLI, destroyed,
 * and both hosts end as they were.
 */
import { ping } from "./support/probe";
import { useScenario } from "./support/scenario";

const s = useScenario({ lab: "scr", index: 51, hosts: 2, example: "outbound-masquerade", stack: "outbound-masquerade" });
const probes = s.probes;
const TAG = "hostnet:outbound-masquerade:outbound-masquerade/a/masquerade";

describe("outbound masquerade", () => {
  test("cdktf deploy creates the bridge, the namespace, its veth and route, and the masquerade", async () => {
    const r = await s.deploy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) }).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Apply complete! Resources: 8 added");
    expect(await s.sh("a", "iptables-save -t nat")).toContain(
      `-A POSTROUTING -s 10.91.0.0/24 ! -o br-out -m comment --comment "${TAG}" -j MASQUERADE`,
    );
  }, 300_000);

  test("the namespace reaches host b, and b sees host a's address as the source", async () => {
    expect(await ping(s.inv, "a", s.address("b"), "client")).toBe(true);
    await probes.serveEcho("b", undefined, 7000, "b-saw");
    expect(await probes.tcpLine("a", s.address("b"), 7000, "client")).toBe(`b-saw ${s.address("a")}`);
  }, 60_000);

  test("control: without the masquerade rule the namespace's private source gets no answer from b", async () => {
    const rule = `POSTROUTING -s 10.91.0.0/24 ! -o br-out -m comment --comment ${TAG} -j MASQUERADE`;
    await s.sh("a", `iptables -w -t nat -D ${rule}`);
    try {
      expect(await probes.tcpLine("a", s.address("b"), 7000, "client")).toBe("TIMEOUT");
    } finally {
      await s.sh("a", `iptables -w -t nat -I ${rule}`);
    }
    expect(await probes.tcpLine("a", s.address("b"), 7000, "client")).toBe(`b-saw ${s.address("a")}`);
  }, 60_000);

  test("cdktf destroy leaves both hosts exactly as they were", async () => {
    const r = await s.destroy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) }).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Destroy complete! Resources: 8 destroyed");
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);
});
