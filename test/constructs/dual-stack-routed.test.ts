/**
 * Issue 15, dual stack for the routed constructs: RoutedEndpoint in Calico's IPv6
 * mode (a /128, default via fe80::1 answered by proxy NDP), HostGw with IPv6
 * routes via the other hosts' IPv6 addresses, Vxlan with IPv6 inside the overlay
 * and an IPv6 underlay. Synth and validation only; test/integration/vc-dual-stack
 * runs them on lab hosts.
 */
import { Testing } from "cdktf";
import { Namespace, RoutedEndpoint, Subnet } from "../../constructs";
import { messages, newHost, newStack, validationErrors } from "../support/stacks";
import { scriptsOf } from "../support/scripts";

Testing.setupJest();

describe("RoutedEndpoint, dual stack", () => {
  test("an IPv4 and an IPv6 address: a /32 and a /128, both forwarding sysctls, the IPv6 address in canonical form", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const pod = new Namespace(a, "pod");
    const ep = new RoutedEndpoint(a, "ep", { namespace: pod, address: ["10.63.0.5", "FD00:63:0::0005"] });
    expect(validationErrors(stack)).toEqual([]);
    expect(ep.cidrs).toEqual(["10.63.0.5/32", "fd00:63::5/128"]);
    expect(ep.dependencies().map((d) => d.node.path)).toEqual(["s/a/pod", "s/a/ip-forward", "s/a/ip6-forward"]);
    expect(ep.spec()).toMatchObject({ address: "10.63.0.5", address6: "fd00:63::5", gateway6: "fe80::1" });
    const create = scriptsOf(stack, "s/a/ep").create;
    expect(create).toContain("ip -6 neigh replace proxy fe80::1 dev rt-ep");
    expect(create).toContain("ip -6 route replace fd00:63::5/128 dev rt-ep proto 199");
    expect(scriptsOf(stack, "s/a/ip6-forward").create).toContain("sysctl -q -w net.ipv6.conf.all.forwarding=1");
  });

  test("IPv6 only: no IPv4 forwarding, no IPv4 default route", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const ep = new RoutedEndpoint(a, "ep", { namespace: new Namespace(a, "pod"), address: "fd00:63::5/128" });
    expect(validationErrors(stack)).toEqual([]);
    expect(ep.dependencies().map((d) => d.node.path)).toEqual(["s/a/pod", "s/a/ip6-forward"]);
    expect(ep.routes()).toEqual([{ destination: "default", via: "fe80::1", namespace: ep.namespace, onlink: true }]);
    expect(ep.spec().address).toBeUndefined();
  });

  test("an IPAM address from an IPv6 subnet is carried as a /128", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const pod = new Namespace(a, "pod");
    const block = new Subnet(a, "block", { cidr: "10.63.0.0/24", gateway: false });
    const ep = new RoutedEndpoint(a, "ep", { namespace: pod, address: [block.allocate(pod), "fd00:63::1"] });
    expect(validationErrors(stack)).toEqual([]);
    expect(ep.cidrs).toEqual(["10.63.0.1/32", "fd00:63::1/128"]);
  });

  test.each([
    [
      { address: "fd00:63::5/64" },
      "s/a/ep: address fd00:63::5/64 has prefix /64; a routed endpoint carries a /128. Write fd00:63::5 or fd00:63::5/128.",
    ],
    [
      { address: ["10.63.0.5", "10.63.0.6"] },
      "s/a/ep: address[1] 10.63.0.6 is a second IPv4 address (after 10.63.0.5); a routed endpoint has one address per family. Remove one.",
    ],
    [
      { address: ["fd00:63::5", "fd00:63::6"] },
      "s/a/ep: address[1] fd00:63::6 is a second IPv6 address (after fd00:63::5); a routed endpoint has one address per family. Remove one.",
    ],
    [
      { address: "fe80::5" },
      "s/a/ep: address fe80::5 is link-local; a routed endpoint needs a routable address (e.g. from fd00::/8). Use another address.",
    ],
    [
      { address: "fd00:63::5", gateway6: "fd00:63::1" },
      "s/a/ep: gateway6 fd00:63::1 is not link-local (fe80::/10); the host-side veth answers for it by proxy NDP on that link only. " +
        "Leave props.gateway6 unset (fe80::1) or use another fe80:: address.",
    ],
    [
      { address: "fd00:63::5", gateway6: "fe80::1%eth0" },
      's/a/ep: gateway6: "fe80::1%eth0" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1. ' +
        "A zone (%eth0) is not allowed here: name the interface in its own prop.",
    ],
    [
      { address: "fd00:63::5;reboot" },
      's/a/ep: address: "fd00:63::5;reboot" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1.',
    ],
    [
      { address: "[fd00:63::5]" },
      's/a/ep: address: "[fd00:63::5]" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1. Write it without brackets.',
    ],
    [{ address: [] }, "s/a/ep: has no address. Set props.address to an address, or a list of one IPv4 and one IPv6 address."],
  ])("bad props %j are refused", (props, message) => {
    const { stack } = newStack();
    const a = newHost(stack);
    new RoutedEndpoint(a, "ep", { namespace: new Namespace(a, "pod"), ...(props as any) });
    expect(messages(stack)).toEqual([message]);
  });

  test("the IPv4 gateway is not checked on an IPv6-only endpoint (it has no IPv4 default route)", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new RoutedEndpoint(a, "ep", { namespace: new Namespace(a, "pod"), address: "fd00:63::5", gateway: "nonsense" });
    expect(validationErrors(stack)).toEqual([]);
  });

  test("a newline in an IPv6 address is refused at synth, never reaching a script", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new RoutedEndpoint(a, "ep", { namespace: new Namespace(a, "pod"), address: "fd00::5\nip link del eth0" });
    expect(messages(stack)).toHaveLength(1);
    expect(messages(stack)[0]).toContain("is not an IPv6 address");
  });
});
