import { renderRoutedEndpoint, RoutedEndpointSpec } from "../../src/render/routed-endpoint";
import { createScript, destroyScript } from "../../src/render/script";
import { ObjectRef } from "../../src/render/types";
import { syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "s", path: "s/a/pod", id: "0123456789ab", tag: "hostnet:s:s/a/pod" };
const TAG = ref.tag;
const spec: RoutedEndpointSpec = { hostName: "rt-pod", netns: "pod", name: "eth0", address: "10.63.0.1", gateway: "169.254.1.1", mtu: 1500 };

describe("renderRoutedEndpoint", () => {
  test("veth into the namespace, /32 inside, default via the gateway onlink, proxy ARP and a /32 route on the host", () => {
    expect(renderRoutedEndpoint(spec, ref)).toEqual({
      create: [
        `if hn_l=$(ip -o link show dev rt-pod 2>/dev/null); then`,
        `  case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) hn_ok=1 ;; *'\\    alias '*) hn_ok=0 ;; *) hn_ok=$hn_own ;; esac`,
        `  [ "$hn_ok" = 1 ] || hn_fail 'interface rt-pod already exists in the root namespace and ` +
          `hostnet did not create it for this object; remove it or choose another name'`,
        "else",
        "  if ip -n pod link show dev eth0 >/dev/null 2>&1; then hn_fail 'interface eth0 already exists in namespace pod; remove it or choose another name for this endpoint'; fi",
        "  ip link add name rt-pod type veth peer name eth0 netns pod",
        "fi",
        `ip link set dev rt-pod alias ${TAG}`,
        `ip -n pod link set dev eth0 alias ${TAG}`,
        "ip link set dev rt-pod mtu 1500",
        "ip -n pod link set dev eth0 mtu 1500",
        "ip -n pod addr replace 10.63.0.1/32 dev eth0",
        "ip -n pod link set dev eth0 up",
        "ip link set dev rt-pod up",
        "echo 1 > /proc/sys/net/ipv4/conf/rt-pod/proxy_arp",
        "echo 0 > /proc/sys/net/ipv4/neigh/rt-pod/proxy_delay",
        "ip -n pod route replace default via 169.254.1.1 dev eth0 onlink",
        "cur=$(ip route show exact 10.63.0.1/32)",
        `if [ -n "$cur" ] && ! printf '%s\\n' "$cur" | grep -q ' proto 199'; then hn_fail 'a route to 10.63.0.1/32 already exists in the ` +
          `root namespace and hostnet did not add it; remove it or give this endpoint another address'; fi`,
        "ip route replace 10.63.0.1/32 dev rt-pod scope link proto 199",
      ],
      destroy: [
        `if hn_l=$(ip -o link show dev rt-pod 2>/dev/null); then`,
        `  case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) ip link del dev rt-pod ;; esac`,
        "fi",
      ],
    });
  });

  test("another gateway, inner name and MTU", () => {
    const c = renderRoutedEndpoint({ ...spec, name: "veth0", gateway: "169.254.0.1", mtu: 1440 }, ref).create;
    expect(c).toContain("ip -n pod route replace default via 169.254.0.1 dev veth0 onlink");
    expect(c).toContain("ip -n pod link set dev veth0 mtu 1440");
    expect(c).toContain("  ip link add name rt-pod type veth peer name veth0 netns pod");
  });

  test("a dotted interface name keeps its dot in the /proc path (a sysctl key would need it as a slash)", () => {
    const c = renderRoutedEndpoint({ ...spec, hostName: "rt.pod" }, ref).create;
    expect(c).toContain("echo 1 > /proc/sys/net/ipv4/conf/rt.pod/proxy_arp");
  });

  test("scripts parse with sh -n and bash -n", () => {
    const hooks = renderRoutedEndpoint(spec, ref);
    const header = { kind: "routed", name: "rt-pod~eth0" };
    for (const s of [createScript(hooks, ref, header), destroyScript(hooks, ref, header)]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });
});

describe("renderRoutedEndpoint, IPv6 (Calico's IPv6 mode)", () => {
  const dual: RoutedEndpointSpec = { ...spec, address6: "fd00:63::1", gateway6: "fe80::1" };
  const v6only: RoutedEndpointSpec = { ...dual, address: undefined };
  const inPod = (file: string) => `ip netns exec pod sh -c 'echo 0 > ${file}'`;

  test("dual stack: no DAD on either end, a /128 beside the /32, proxy NDP for fe80::1 on the host end, a /128 route back", () => {
    const c = renderRoutedEndpoint(dual, ref).create;
    expect(c).toEqual(
      expect.arrayContaining([
        inPod("/proc/sys/net/ipv6/conf/eth0/disable_ipv6"),
        inPod("/proc/sys/net/ipv6/conf/eth0/accept_dad"),
        "echo 0 > /proc/sys/net/ipv6/conf/rt-pod/disable_ipv6",
        "echo 0 > /proc/sys/net/ipv6/conf/rt-pod/accept_dad",
        "ip -n pod addr replace 10.63.0.1/32 dev eth0",
        "ip -n pod addr replace fd00:63::1/128 dev eth0 nodad",
        "echo 1 > /proc/sys/net/ipv6/conf/rt-pod/proxy_ndp",
        "echo 0 > /proc/sys/net/ipv6/neigh/rt-pod/proxy_delay",
        "ip -6 neigh replace proxy fe80::1 dev rt-pod",
        "ip -n pod -6 route replace default via fe80::1 dev eth0",
        "cur=$(ip -6 route show exact fd00:63::1/128)",
        "ip -6 route replace fd00:63::1/128 dev rt-pod proto 199",
        // The IPv4 half is unchanged.
        "ip -n pod route replace default via 169.254.1.1 dev eth0 onlink",
        "ip route replace 10.63.0.1/32 dev rt-pod scope link proto 199",
      ]),
    );
    // DAD is off before the links come up (the link-local address of an up link would go through DAD first).
    expect(c.indexOf("echo 0 > /proc/sys/net/ipv6/conf/rt-pod/accept_dad")).toBeLessThan(c.indexOf("ip link set dev rt-pod up"));
    expect(c.indexOf(inPod("/proc/sys/net/ipv6/conf/eth0/accept_dad"))).toBeLessThan(c.indexOf("ip -n pod link set dev eth0 up"));
  });

  test("IPv6 only: no /32, no proxy ARP, no IPv4 default route", () => {
    const c = renderRoutedEndpoint(v6only, ref).create.join("\n");
    expect(c).not.toContain("/32");
    expect(c).not.toContain("proxy_arp");
    expect(c).not.toContain("169.254.1.1");
    expect(c).toContain("ip -6 route replace fd00:63::1/128 dev rt-pod proto 199");
  });

  test("IPv4 only renders no IPv6 line", () => {
    expect(renderRoutedEndpoint(spec, ref).create.join("\n")).not.toMatch(/ipv6|-6 /);
  });

  test("destroy deletes the host end only: the /128 route and the proxy entry go with it", () => {
    expect(renderRoutedEndpoint(dual, ref).destroy).toEqual(renderRoutedEndpoint(spec, ref).destroy);
  });

  test("dual-stack scripts parse with sh -n and bash -n", () => {
    const hooks = renderRoutedEndpoint(dual, ref);
    const header = { kind: "routed", name: "rt-pod~eth0" };
    for (const s of [createScript(hooks, ref, header), destroyScript(hooks, ref, header)]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });
});
