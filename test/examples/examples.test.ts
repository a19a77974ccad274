/** Every scenario example synthesizes on stand-in hosts: no validation errors, the expected objects. */
import { bridgeHosts } from "../../examples/bridge-hosts/topology";
import { hostGw } from "../../examples/host-gw/topology";
import { macvlanPair } from "../../examples/macvlan/topology";
import { routedProxyArp } from "../../examples/routed-proxy-arp/topology";
import { twoNamespaces } from "../../examples/two-namespaces/topology";
import { vxlanOverlay } from "../../examples/vxlan-overlay/topology";
import { Host, HostnetStack } from "../../constructs";
import { newHost, newStack, synthJson, validationErrors } from "../support/stacks";

function kinds(...hosts: Host[]): string[] {
  return hosts.flatMap((h) => h.netObjects.map((o) => `${h.node.id}:${o.kind}:${o.objectName}`));
}

function twoHosts(stack: HostnetStack): [Host, Host] {
  return [newHost(stack, "a"), newHost(stack, "b", { address: "198.18.0.11" })];
}

describe("scenario examples synthesize", () => {
  test("two-namespaces: two namespaces and one veth pair between them", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const t = twoNamespaces(a);
    expect(validationErrors(stack)).toEqual([]);
    expect(kinds(a)).toEqual(["a:netns:left", "a:netns:right", "a:veth:eth0~eth0"]);
    expect([t.leftAddress.cidr, t.rightAddress.cidr]).toEqual(["10.64.0.1/24", "10.64.0.2/24"]);
    expect(Object.keys(synthJson(stack).resource.terraform_data)).toHaveLength(5);
  });

  test("bridge-hosts: a bridge, three namespaces on it with default dev eth0, and the host's route to the subnet", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    bridgeHosts(a);
    expect(validationErrors(stack)).toEqual([]);
    expect(kinds(a)).toEqual([
      "a:bridge:br-hosts",
      "a:netns:n1",
      "a:veth:eth0~ve-n1-veth",
      "a:route:default dev eth0",
      "a:netns:n2",
      "a:veth:eth0~ve-n2-veth",
      "a:route:default dev eth0",
      "a:netns:n3",
      "a:veth:eth0~ve-n3-veth",
      "a:route:default dev eth0",
      "a:route:10.65.0.0/24 dev br-hosts",
    ]);
  });

  test("vxlan-overlay: per host a bridge, a vxlan port flooding to the other host, a namespace; one IPAM pool for both hosts", () => {
    const { stack } = newStack();
    const [a, b] = twoHosts(stack);
    const t = vxlanOverlay(stack, [a, b]);
    expect(validationErrors(stack)).toEqual([]);
    expect(t.members.map((m) => [m.address.cidr, m.vxlan.mtu, m.vxlan.peers])).toEqual([
      ["10.66.0.1/24", 1450, ["198.18.0.11"]],
      ["10.66.0.2/24", 1450, ["198.18.0.10"]],
    ]);
    expect(kinds(a)).toEqual(["a:bridge:br-vx", "a:vxlan:vx66", "a:netns:pod", "a:veth:eth0~ve-pod-veth"]);
  });

  test("host-gw: per host a subnet on a bridge with a namespace, a route to the other subnet via the other host, forwarding", () => {
    const { stack } = newStack();
    const [a, b] = twoHosts(stack);
    hostGw([
      { host: a, cidr: "10.61.0.0/24" },
      { host: b, cidr: "10.62.0.0/24" },
    ]);
    expect(validationErrors(stack)).toEqual([]);
    expect(kinds(a)).toEqual([
      "a:bridge:br-gw",
      "a:netns:pod",
      "a:veth:eth0~ve-pod-veth",
      "a:route:default via 10.61.0.1",
      "a:route:10.62.0.0/24 via 198.18.0.11",
      "a:sysctl:net.ipv4.ip_forward=1",
    ]);
    expect(kinds(b)).toContain("b:route:10.61.0.0/24 via 198.18.0.10");
  });

  test("routed-proxy-arp: per host a /32 endpoint, the gateway route when asked for, and host-gw routes between the blocks", () => {
    const { stack } = newStack();
    const [a, b] = twoHosts(stack);
    routedProxyArp([
      { host: a, block: "10.63.0.0/24", gatewayDev: "eth0" },
      { host: b, block: "10.63.1.0/24" },
    ]);
    expect(validationErrors(stack)).toEqual([]);
    expect(kinds(a)).toEqual([
      "a:netns:pod",
      "a:routed:rt-pod-ep~eth0",
      "a:sysctl:net.ipv4.ip_forward=1",
      "a:route:169.254.1.1/32 dev eth0",
      "a:route:10.63.1.0/24 via 198.18.0.11",
    ]);
    expect(kinds(b)).toEqual(["b:netns:pod", "b:routed:rt-pod-ep~eth0", "b:sysctl:net.ipv4.ip_forward=1", "b:route:10.63.0.0/24 via 198.18.0.10"]);
  });

  test("macvlan: a portless bridge as parent and two namespaces with macvlan children", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    macvlanPair(a);
    expect(validationErrors(stack)).toEqual([]);
    expect(kinds(a)).toEqual(["a:bridge:mv-parent", "a:netns:m1", "a:macvlan:eth0", "a:netns:m2", "a:macvlan:eth0"]);
  });
});
