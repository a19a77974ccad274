import { formatIp, parseIp6 } from "../../src/ipam/ip";
import { AddressPool6, ipPool } from "../../src/ipam/pool6";

const show = (ip: bigint) => formatIp(6, ip);

describe("AddressPool6", () => {
  test("gateway ::1 by default, lowest free first, ::0 never handed out", () => {
    const p = new AddressPool6("fd00:88::/64");
    expect(show(p.gateway!)).toBe("fd00:88::1");
    expect([p.allocate("a"), p.allocate("b")].map(show)).toEqual(["fd00:88::2", "fd00:88::3"]);
    expect(p.size).toBe(2n ** 64n - 1n);
  });

  test("a released address is the next one handed out; reserved ones are skipped", () => {
    const p = new AddressPool6("fd00:88::/64", null);
    const got = ["a", "b", "c"].map((h) => p.allocate(h));
    expect(got.map(show)).toEqual(["fd00:88::1", "fd00:88::2", "fd00:88::3"]);
    p.reserve("fd00:88::4", "fixed");
    p.release(got[1]);
    expect([p.allocate("d"), p.allocate("e")].map(show)).toEqual(["fd00:88::2", "fd00:88::5"]);
    expect(p.holderOf(parseIp6("fd00:88::4"))).toBe("fixed");
  });

  test.each([
    ["fd00::/127", ["fd00::", "fd00::1"]],
    ["fd00::5/128", ["fd00::5"]],
    ["fd00::/126", ["fd00::1", "fd00::2", "fd00::3"]],
  ])("%s without gateway hands out %j and is then exhausted", (cidr, expected) => {
    const p = new AddressPool6(cidr, null);
    expect(expected.map((_, i) => show(p.allocate(`h${i}`)))).toEqual(expected);
    expect(() => p.allocate("late")).toThrow(
      `subnet ${cidr} is exhausted: all ${expected.length} usable addresses are taken (asked by late). Use a larger subnet or free an address.`,
    );
  });

  test("allocation cost does not grow with the subnet: 10,000 addresses from a /32 in well under a second", () => {
    const p = new AddressPool6("2001:db8::/32");
    const t = Date.now();
    let last = 0n;
    for (let i = 0; i < 10_000; i++) last = p.allocate(`h${i}`);
    expect(show(last)).toBe("2001:db8::2711");
    expect(Date.now() - t).toBeLessThan(1000);
  });

  test("ipPool picks the family from the CIDR", () => {
    expect([ipPool("10.0.0.0/24").family, ipPool("fd00::/64").family]).toEqual([4, 6]);
    expect(show(ipPool("fd00::/64").allocate("x"))).toBe("fd00::2");
    expect(formatIp(4, ipPool("10.0.0.0/24").allocate("x"))).toBe("10.0.0.2");
  });
});
