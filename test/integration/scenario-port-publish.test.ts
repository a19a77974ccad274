/**
 * Scenario 4 (examples/port-publish): host port 10080 on host a is published to
 * port 80 in namespace web. It answers host b, host a itself, a neighbour on
 * the same bridge through a's address (hairpin NAT), and web itself (hairpin
 * mode on its bridge port). Destroy leaves both hosts as they were.
 */
import { useScenario } from "./support/scenario";

const s = useScenario({ lab: "scs", index: 52, hosts: 2, example: "port-publish", stack: "port-publish" });
const probes = s.probes;
const TAG = "hostnet:port-publish:port-publish/a/publish-web";
const GATEWAY = "10.92.0.1";

describe("port publish", () => {
  test("cdktf deploy creates two namespaces on a bridge, masquerade, and the port forward with its hairpin rule", async () => {
    const r = await s.deploy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) }).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Apply complete! Resources: 12 added");
    const nat = await s.sh("a", "iptables-save -t nat");
    expect(nat).toContain(
      `-A POSTROUTING -s 10.92.0.0/24 -d 10.92.0.2/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -m comment --comment "${TAG}" -j MASQUERADE`,
    );
    expect(await s.sh("a", "ip -d link show dev ve-web-veth")).toMatch(/hairpin on/);
    await probes.serveEcho("a", "web", 80, "web");
  }, 300_000);

  test("host b reaches the service through a:10080, and the service sees b's own address", async () => {
    expect(await probes.tcpLine("b", s.address("a"), 10080)).toBe(`web ${s.address("b")}`);
  }, 30_000);

  test("host a reaches its own published port", async () => {
    expect(await probes.tcpLine("a", s.address("a"), 10080)).toBe(`web ${s.address("a")}`);
  }, 30_000);

  test("a neighbour on the same bridge reaches the service through a's address, masqueraded to the gateway (hairpin NAT)", async () => {
    expect(await probes.tcpLine("a", s.address("a"), 10080, "peer")).toBe(`web ${GATEWAY}`);
  }, 30_000);

  test("web reaches its own published port (hairpin mode on its bridge port)", async () => {
    expect(await probes.tcpLine("a", s.address("a"), 10080, "web")).toBe(`web ${GATEWAY}`);
  }, 30_000);

  test("control: with hairpin mode off, br_netfilter bridges web's DNATed frame back out of its own port and it is lost", async () => {
    const bridged = (await s.sh("a", "sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null || echo 0")).trim() === "1";
    await s.sh("a", "ip link set dev ve-web-veth type bridge_slave hairpin off");
    try {
      const r = await probes.tcpLine("a", s.address("a"), 10080, "web");
      if (bridged) expect(r).not.toMatch(/^web /);
      else expect(r).toBe(`web ${GATEWAY}`);
    } finally {
      await s.sh("a", "ip link set dev ve-web-veth type bridge_slave hairpin on");
    }
  }, 30_000);

  test("direct traffic between neighbours is not masqueraded", async () => {
    expect(await probes.tcpLine("a", "10.92.0.2", 80, "peer")).toBe("web 10.92.0.3");
  }, 30_000);

  test("where bridged frames skip iptables (bridge-nf-call-iptables=0), the hairpin rule is what answers the neighbour", async () => {
    // With br_netfilter on, conntrack also un-NATs the service's bridged reply, which hides
    // whether the hairpin rule works; hosts without br_netfilter behave like this.
    const key = "net.bridge.bridge-nf-call-iptables";
    const old = (await s.sh("a", `sysctl -n ${key}`)).trim();
    const rule = `POSTROUTING -s 10.92.0.0/24 -d 10.92.0.2/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -m comment --comment ${TAG} -j MASQUERADE`;
    await s.sh("a", `sysctl -q -w ${key}=0`);
    try {
      expect(await probes.tcpLine("a", s.address("a"), 10080, "peer")).toBe(`web ${GATEWAY}`);
      await s.sh("a", `iptables -w -t nat -D ${rule}`);
      try {
        expect(await probes.tcpLine("a", s.address("a"), 10080, "peer")).not.toMatch(/^web /);
      } finally {
        await s.sh("a", `iptables -w -t nat -A ${rule}`);
      }
    } finally {
      await s.sh("a", `sysctl -q -w ${key}=${old}`);
    }
  }, 30_000);

  test("cdktf destroy stops the service and leaves both hosts exactly as they were", async () => {
    const r = await s.destroy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) }).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Destroy complete! Resources: 12 destroyed");
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);
});
