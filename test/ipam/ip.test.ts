import { AddressError } from "../../src/ipam/ipv4";
import {
  canonicalIp,
  cidrContains,
  cidrsOverlap,
  familyOf,
  formatAnyCidr,
  formatIp,
  isLinkLocal6,
  lastOf,
  parseAnyCidr,
  parseAnyIp,
  parseIp6,
} from "../../src/ipam/ip";
import { anyCidrProblem, anyIpProblem } from "../../src/validate/address";

describe("addresses of both families", () => {
  test.each([
    ["10.0.0.1", 4],
    ["10.0.0.0/24", 4],
    ["fd00:88::1", 6],
    ["fd00:88::/64", 6],
    ["::ffff:1.2.3.4", 6],
    ["web", undefined],
    ["", undefined],
  ])("familyOf(%j) is %j", (text, family) => {
    expect(familyOf(text)).toBe(family);
  });

  test.each([
    ["fd00:88::1", "fd00:88::1"],
    ["FD00:0088:0:0::1", "fd00:88::1"],
    ["fd00:0:0:1:0:0:0:1", "fd00:0:0:1::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::", "::"],
    ["::1", "::1"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["fd00:1:0:2:3:4:5:6", "fd00:1:0:2:3:4:5:6"],
    ["10.1.2.3", "10.1.2.3"],
    // IPv4-mapped: dotted decimal for the IPv4 part (RFC 5952 section 5), as ip(8) prints it.
    ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
    ["::FFFF:a00:1", "::ffff:10.0.0.1"],
    ["0:0:0:0:0:ffff:c000:201", "::ffff:192.0.2.1"],
    ["::fffe:a00:1", "::fffe:a00:1"],
    ["1::ffff:a00:1", "1::ffff:a00:1"],
  ])("canonical form of %j is %j (RFC 5952)", (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical);
  });

  test.each(["fe80::1%eth0", "[fd00::1]", "1::2::3", "fd00::g", ":::", "fd00::1; reboot", "fd00::1\n", "12345::", "$(id)", "10.0.0.256", ""])(
    "%j is refused with an AddressError that names it",
    (text) => {
      let err: unknown;
      try {
        parseAnyIp(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AddressError);
      expect((err as Error).message).toContain(JSON.stringify(text).slice(1, -1).split("\\n")[0]);
    },
  );

  test("a zone gets its own fix", () => {
    expect(() => parseIp6("fe80::1%eth0")).toThrow(/zone/);
  });

  test.each([
    ["fd00:88::/64", 6, "fd00:88::/64"],
    ["fd00:88::1/64", undefined, "host bits set; the network is fd00:88::/64"],
    ["fd00:88::/129", undefined, "IPv6 allows 0-128"],
    ["fd00:88::/064", undefined, "leading zero"],
    ["10.0.0.0/24", 4, "10.0.0.0/24"],
    ["fd00:88::", undefined, "not a CIDR"],
  ])("parseAnyCidr(%j)", (text, family, expected) => {
    if (family) {
      const c = parseAnyCidr(text);
      expect(c.family).toBe(family);
      expect(formatAnyCidr(c)).toBe(expected);
    } else {
      expect(() => parseAnyCidr(text)).toThrow(expected);
    }
  });

  test("non-strict CIDR keeps the address as written", () => {
    const c = parseAnyCidr("fd00:88::5/64", false);
    expect(formatIp(6, c.address)).toBe("fd00:88::5");
    expect(formatAnyCidr(c)).toBe("fd00:88::/64");
  });

  test("containment and overlap never cross families", () => {
    const v6 = parseAnyCidr("fd00:88::/64");
    const v4 = parseAnyCidr("10.0.0.0/8");
    expect(cidrContains(v6, parseAnyIp("fd00:88::ffff"))).toBe(true);
    expect(cidrContains(v6, parseAnyIp("fd00:89::1"))).toBe(false);
    expect(cidrContains(v4, parseAnyIp("::a00:1"))).toBe(false);
    expect(cidrsOverlap(v6, parseAnyCidr("fd00::/16"))).toBe(true);
    expect(cidrsOverlap(v6, parseAnyCidr("fd00:89::/64"))).toBe(false);
    expect(cidrsOverlap(v4, parseAnyCidr("::/0"))).toBe(false);
    expect(formatIp(6, lastOf(v6))).toBe("fd00:88::ffff:ffff:ffff:ffff");
    expect(formatIp(4, lastOf(parseAnyCidr("10.1.0.0/16")))).toBe("10.1.255.255");
  });

  test("link-local is fe80::/10", () => {
    expect(isLinkLocal6(parseAnyIp("fe80::1"))).toBe(true);
    expect(isLinkLocal6(parseAnyIp("febf::1"))).toBe(true);
    expect(isLinkLocal6(parseAnyIp("fec0::1"))).toBe(false);
    expect(isLinkLocal6(parseAnyIp("10.0.0.1"))).toBe(false);
  });

  test("problems as data name the prop", () => {
    expect(anyIpProblem("fd00::1", "address")).toBeNull();
    expect(anyIpProblem("fd00::zz", "address")).toMatch(/^address: "fd00::zz" is not an IPv6 address/);
    expect(anyCidrProblem("fd00::1/64", "cidr")).toMatch(/^cidr: .*host bits/);
  });
});
