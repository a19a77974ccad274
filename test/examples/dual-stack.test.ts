/** The dual-stack scenario examples (issue 15) synthesize on stand-in hosts: no validation errors, the expected objects. */
import { routedDualStack } from "../../examples/routed-dual-stack/topology";
import { vxlanDualStack } from "../../examples/vxlan-dual-stack/topology";
import { Host, HostnetStack } from "../../constructs";
import { newHost, newStack, validationErrors } from "../support/stacks";
import { scriptsOf } from "../support/scripts";

function twoHosts(stack: HostnetStack): [Host, Host] {
  return [newHost(stack, "a"), newHost(stack, "b", { address: "198.18.0.11" })];
}

describe("dual-stack scenario examples synthesize", () => {
  test("routed-dual-stack: a /32 and a /128 per namespace, IPv4 routes via the hosts' IPv4 addresses, IPv6 via their IPv6 ones", () => {
    const { stack } = newStack();
    const [a, b] = twoHosts(stack);
    const t = routedDualStack([
      { host: a, blocks: ["10.63.2.0/24", "fd00:63:2::/64"], address6: "fd00:18::a", gatewayDev: "eth0" },
      { host: b, blocks: ["10.63.3.0/24", "fd00:63:3::/64"], address6: "fd00:18::b", gatewayDev: "eth0" },
    ]);
    expect(validationErrors(stack)).toEqual([]);
    expect(t.members.map((m) => m.endpoint.cidrs)).toEqual([
      ["10.63.2.1/32", "fd00:63:2::1/128"],
      ["10.63.3.1/32", "fd00:63:3::1/128"],
    ]);
    expect(t.gateways[0].routes.map((r) => `${r.destination} via ${r.via}`)).toEqual([
      "10.63.3.0/24 via 198.18.0.11",
      "fd00:63:3::/64 via fd00:18::b",
    ]);
    expect(scriptsOf(stack, "s/a/pod-ep").create).toContain("ip -6 neigh replace proxy fe80::1 dev rt-pod-ep");
  });

  test("vxlan-dual-stack: an IPv6 underlay, overlay addresses of both families, routes to the other block via the overlay", () => {
    const { stack } = newStack();
    const [a, b] = twoHosts(stack);
    const t = vxlanDualStack(
      [a, b].map((host, i) => ({
        host,
        underlay6: `fd00:18::${i === 0 ? "a" : "b"}`,
        overlay: [`10.67.0.${i + 1}/24`, `fd00:67::${i + 1}/64`] as const,
        blocks: [`10.68.${i + 1}.0/24`, `fd00:68:${i + 1}::/64`] as const,
        endpoint: [`10.68.${i + 1}.2`, `fd00:68:${i + 1}::2`] as const,
        gatewayDev: "eth0",
      })),
    );
    expect(validationErrors(stack)).toEqual([]);
    const [va] = t.members.map((m) => m.vxlan);
    expect([va.mtu, va.peers]).toEqual([1430, ["fd00:18::b"]]);
    expect(t.gateways[0].routes.map((r) => `${r.destination} via ${r.via}`)).toEqual(["10.68.2.0/24 via 10.67.0.2", "fd00:68:2::/64 via fd00:67::2"]);
    // The routes wait for the VXLAN device: their next hops are on its subnets.
    expect(t.gateways[0].routes[1].dependencies().map((d) => d.node.path)).toContain("s/a/vx67");
  });
});
