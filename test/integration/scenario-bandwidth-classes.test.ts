/**
 * Scenario 10 (examples/bandwidth-classes, note 2's tc classes): an htb qdisc on
 * the server's bridge port shapes traffic into the server namespace by source:
 * alice 20 Mbit/s (class 10), bob 10 Mbit/s (class 11), anyone else 30 Mbit/s
 * (default class 30). iperf3 measures each within ±15%; all traffic stays
 * inside host a. Destroy removes the qdisc and leaves the host as it was.
 */
import { Testing } from "cdktf";
import * as path from "path";
import { BandwidthLimit } from "../../constructs";
import { bandwidthClasses, RATES } from "../../examples/bandwidth-classes/main";
import { hostExec } from "../../src/lab";
import { renderHtb } from "../../src/render/bandwidth";
import { renderPreflight } from "../../src/render/preflight";
import { HtbSpec } from "../../src/render/types";
import { useScenario } from "./support/scenario";

const s = useScenario({ lab: "scu", index: 54, hosts: 1, example: "bandwidth-classes", stack: "bandwidth-classes" });
const probes = s.probes;
const SERVER = "10.93.0.2";

describe("bandwidth classes", () => {
  test("the preflight for this stack passes on the test host (ip, tc, bridge, veth, sch_htb, cls_u32) and names a module it lacks", async () => {
    const modules = ["bridge", "veth", "sch_htb", "cls_u32"];
    const script = (mods: string[]) =>
      ["set -eu", ...renderPreflight({ host: "a", commands: ["ip", "tc"], modules: mods, requireForwarding: false, bridges: ["br-bw"] })].join("\n");
    expect(await hostExec(s.inv, "a", script(modules))).toMatchObject({ exitCode: 0, stderr: "" });
    const r = await hostExec(s.inv, "a", script([...modules, "hnfake_mod"]));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^hostnet: host a: kernel module hnfake_mod is not available/);
  }, 60_000);

  test("cdktf deploy creates the namespaces, the bridge and the htb qdisc with its classes and filters", async () => {
    const r = await s.deploy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) }).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Apply complete! Resources: 12 added");
    const classes = await s.sh("a", "tc class show dev ve-server-veth");
    expect(classes).toMatch(/class htb \w+:10 parent \w+:1 .*rate 20Mbit ceil 20Mbit/);
    expect(classes).toMatch(/class htb \w+:11 parent \w+:1 .*rate 10Mbit ceil 10Mbit/);
    expect(classes).toMatch(/class htb \w+:30 parent \w+:1 .*rate 30Mbit ceil 30Mbit/);
    expect(await s.sh("a", "tc filter show dev ve-server-veth")).toMatch(/flowid \w+:11/);
    await probes.serveIperf("a", "server", SERVER);
  }, 300_000);

  test.each([
    ["alice", "class 10", RATES.alice],
    ["bob", "class 11", RATES.bob],
    ["carol", "the default class 30", RATES.carol],
  ])(
    "%s's traffic to the server is shaped by %s",
    async (from, _cls, rate) => {
      const measured = await probes.iperfRate("a", from, SERVER);
      expect(measured).toBeGreaterThanOrEqual(rate * 0.85);
      expect(measured).toBeLessThanOrEqual(rate * 1.15);
    },
    60_000,
  );

  test("the limit's drift check finds nothing on the host, and names a class deleted by hand", async () => {
    const stack = bandwidthClasses(Testing.app(), path.join(s.inv.dir, "inventory.json"));
    const bw = stack.node.findAll().find((c): c is BandwidthLimit => c instanceof BandwidthLimit)!;
    const check = bw.checks().join("\n");
    expect(await s.sh("a", check)).toBe("");
    const handle = (await s.sh("a", "tc qdisc show dev ve-server-veth root")).split(" ")[2];
    await s.sh("a", `tc filter del dev ve-server-veth parent ${handle} prio 2 && tc class del dev ve-server-veth classid ${handle}11`);
    expect(await s.sh("a", check)).toBe(`htb class ${handle}11 is missing on ve-server-veth`);
  }, 60_000);

  test("control: the other direction (server to alice) is not shaped", async () => {
    const r = await s.sh("a", `ip netns exec alice iperf3 -c ${SERVER} -t 2 -R -J`);
    expect(JSON.parse(r).end.sum_received.bits_per_second).toBeGreaterThan(2 * RATES.carol);
  }, 60_000);

  test("a class matched by port alone shapes IPv6 traffic too (a tc filter per family)", async () => {
    // Two namespaces of their own on host a, joined by a veth with IPv6 addresses; the class is the htb hook's own script.
    const up = [
      "set -eu",
      "ip netns add p6s",
      "ip netns add p6c",
      "ip link add name c0 netns p6c type veth peer name s0 netns p6s",
      "ip -n p6s addr add fd00:93::1/64 dev s0 nodad",
      "ip -n p6c addr add fd00:93::2/64 dev c0 nodad",
      "for n in p6s p6c; do ip -n $n link set dev lo up; done",
      "ip -n p6s link set dev s0 up",
      "ip -n p6c link set dev c0 up",
    ];
    const spec: HtbSpec = {
      netns: "p6c",
      dev: "c0",
      total: "100mbit",
      totalQuantum: 200000,
      classes: [{ id: 10, rate: "5mbit", ceil: "5mbit", quantum: 1514, match: { dport: 5201 } }],
    };
    const shape = [
      "set -eu",
      "hn_own=0",
      'hn_fail() { echo "$*" >&2; exit 1; }',
      ...renderHtb(spec, { stack: "s", path: "s/a/p6", id: "abcd12345678", tag: "hostnet:s:s/a/p6" }).create,
    ];
    try {
      await s.sh("a", up.join("\n"));
      await s.sh("a", shape.join("\n"));
      expect(await s.sh("a", "tc -n p6c filter show dev c0")).toMatch(/protocol ipv6 pref 1001 u32/);
      await s.sh("a", "ip netns exec p6s iperf3 -s -B fd00:93::1 -1 -D -I /run/hn-p6-iperf.pid; sleep 1");
      const r = JSON.parse(await s.sh("a", "ip netns exec p6c iperf3 -c fd00:93::1 -t 3 -J"));
      const rate = r.end.sum_received.bits_per_second as number;
      expect(rate).toBeGreaterThanOrEqual(5e6 * 0.85);
      expect(rate).toBeLessThanOrEqual(5e6 * 1.15);
    } finally {
      await s.sh(
        "a",
        "[ ! -f /run/hn-p6-iperf.pid ] || kill $(cat /run/hn-p6-iperf.pid) 2>/dev/null; rm -f /run/hn-p6-iperf.pid; ip netns del p6c 2>/dev/null; ip netns del p6s 2>/dev/null; true",
      );
    }
  }, 60_000);

  test("cdktf destroy removes the qdisc and leaves the host exactly as it was", async () => {
    const r = await s.destroy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) }).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Destroy complete! Resources: 12 destroyed");
    expect(await s.snapshots()).toEqual(s.before);
  }, 300_000);
});
