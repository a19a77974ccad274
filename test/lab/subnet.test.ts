import { parseIpAddrJson } from "../../src/lab/links";
import { labLayout } from "../../src/lab/naming";
import { cidrOverlaps, ipv4ToInt, subnetProblem } from "../../src/lab/subnet";

describe("ipv4 math", () => {
  test.each([
    ["0.0.0.0", 0],
    ["198.18.0.1", 0xc6120001],
    ["255.255.255.255", 0xffffffff],
  ])("%s is %i", (addr, n) => {
    expect(ipv4ToInt(addr)).toBe(n);
  });

  test.each([
    ["198.18.0.1/24", "198.18.0.0/24", true],
    ["198.18.1.1/24", "198.18.0.0/24", false],
    ["198.19.0.5/15", "198.18.7.0/24", true],
    ["198.18.0.200/32", "198.18.0.0/24", true],
    ["10.0.0.1/8", "198.18.0.0/24", false],
    ["0.0.0.0/0", "198.18.0.0/24", true],
  ])("%s overlaps %s: %s", (a, b, want) => {
    expect(cidrOverlaps(a, b)).toBe(want);
  });
});

describe("subnet conflicts", () => {
  const layout = labLayout({ name: "lab" });

  test("a free subnet has no problem", () => {
    expect(
      subnetProblem(layout, [
        { name: "eth0", ipv4: ["192.0.2.2/24"] },
        { name: "lo", ipv4: ["127.0.0.1/8"] },
      ]),
    ).toBeUndefined();
  });

  test("the lab's own bridge with its own address is fine (lab up again)", () => {
    expect(subnetProblem(layout, [{ name: "hlbr-lab", ipv4: ["198.18.0.1/24"] }])).toBeUndefined();
  });

  test("another lab's bridge on the subnet is named", () => {
    expect(subnetProblem(layout, [{ name: "hlbr-zz", ipv4: ["198.18.0.1/24"] }])).toBe(
      'subnet 198.18.0.0/24 of lab "lab" overlaps 198.18.0.1/24 on bridge hlbr-zz of lab "zz"; pick a free subnet with --index N (198.18.N.0/24).',
    );
  });

  test("any other interface on an overlapping network is named", () => {
    expect(subnetProblem(layout, [{ name: "eth1", ipv4: ["198.19.3.3/15"] }])).toBe(
      'subnet 198.18.0.0/24 of lab "lab" overlaps 198.19.3.3/15 on interface eth1; pick a free subnet with --index N (198.18.N.0/24).',
    );
  });

  test("the lab's bridge on another index means the lab is up with another --index", () => {
    expect(subnetProblem(layout, [{ name: "hlbr-lab", ipv4: ["198.18.3.1/24"] }])).toBe(
      'lab "lab" is already up on 198.18.3.1/24 (bridge hlbr-lab), not 198.18.0.1/24; pass --index 3, or run "hostnet lab down --name lab" first.',
    );
  });
});

describe("ip -j addr parsing", () => {
  test("keeps addresses as CIDR, IPv4 and IPv6 apart, and drops IPv6 link-local", () => {
    const json = JSON.stringify([
      {
        ifname: "lo",
        addr_info: [
          { family: "inet", local: "127.0.0.1", prefixlen: 8 },
          { family: "inet6", local: "::1", prefixlen: 128, scope: "host" },
        ],
      },
      {
        ifname: "br0",
        addr_info: [
          { family: "inet6", local: "fd00:198:18::1", prefixlen: 64, scope: "global" },
          { family: "inet6", local: "fe80::1", prefixlen: 64, scope: "link" },
        ],
      },
      { ifname: "ifb0", addr_info: [] },
      { ifname: "eth0" },
    ]);
    expect([...parseIpAddrJson(json).values()]).toEqual([
      { name: "lo", ipv4: ["127.0.0.1/8"], ipv6: ["::1/128"] },
      { name: "br0", ipv4: [], ipv6: ["fd00:198:18::1/64"] },
      { name: "ifb0", ipv4: [], ipv6: [] },
      { name: "eth0", ipv4: [], ipv6: [] },
    ]);
  });
});
