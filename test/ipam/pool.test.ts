import { formatIp4, parseIp4 } from "../../src/ipam/ipv4";
import { AddressPool } from "../../src/ipam/pool";

const allocN = (p: AddressPool, n: number) => Array.from({ length: n }, (_, i) => formatIp4(p.allocate(`h${i}`)));

describe("AddressPool gateway", () => {
  test("defaults to the first usable address and is never handed out", () => {
    const p = new AddressPool("10.88.0.0/24");
    expect(formatIp4(p.gateway!)).toBe("10.88.0.1");
    expect(p.holderOf(parseIp4("10.88.0.1"))).toBe("gateway");
    expect(allocN(p, 3)).toEqual(["10.88.0.2", "10.88.0.3", "10.88.0.4"]);
  });

  test("a given gateway is reserved and allocation starts below it", () => {
    const p = new AddressPool("10.88.0.0/24", "10.88.0.254");
    expect(formatIp4(p.gateway!)).toBe("10.88.0.254");
    expect(allocN(p, 2)).toEqual(["10.88.0.1", "10.88.0.2"]);
  });

  test("null means no gateway: the first usable address is handed out", () => {
    const p = new AddressPool("10.88.0.0/24", null);
    expect(p.gateway).toBeUndefined();
    expect(allocN(p, 1)).toEqual(["10.88.0.1"]);
  });

  test.each([
    ["10.88.0.0/24", "10.89.0.1", "gateway 10.89.0.1 is outside subnet 10.88.0.0/24. Pick an address inside it, e.g. 10.88.0.1."],
    [
      "10.88.0.0/24",
      "10.88.0.0",
      "address 10.88.0.0 (for gateway) is the network address of 10.88.0.0/24 and cannot be assigned. Use an address from 10.88.0.1 to 10.88.0.254.",
    ],
    [
      "10.88.0.0/24",
      "10.88.0.255",
      "address 10.88.0.255 (for gateway) is the broadcast address of 10.88.0.0/24 and cannot be assigned. Use an address from 10.88.0.1 to 10.88.0.254.",
    ],
    ["10.88.0.0/24", "10.88.0.x", `"10.88.0.x" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`],
  ])("subnet %s refuses gateway %s", (cidr, gw, message) => {
    expect(() => new AddressPool(cidr, gw)).toThrow(message);
  });
});

describe("AddressPool allocation", () => {
  test("hands out the lowest free address first, reusing none", () => {
    const p = new AddressPool("10.0.0.0/29");
    p.reserve("10.0.0.3", "fixed");
    expect(allocN(p, 4)).toEqual(["10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6"]);
  });

  test("never hands out the network or broadcast address; a /30 has two usable addresses", () => {
    const p = new AddressPool("192.0.2.0/30", null);
    expect(p.size).toBe(2);
    expect(allocN(p, 2)).toEqual(["192.0.2.1", "192.0.2.2"]);
    expect(() => p.allocate("third")).toThrow(
      "subnet 192.0.2.0/30 is exhausted: all 2 usable addresses are taken (asked by third). Use a larger subnet or free an address.",
    );
  });

  test("a /31 has no network or broadcast address: both are usable (RFC 3021)", () => {
    const p = new AddressPool("192.0.2.4/31", null);
    expect(p.size).toBe(2);
    expect(allocN(p, 2)).toEqual(["192.0.2.4", "192.0.2.5"]);
    expect(() => p.allocate("x")).toThrow("subnet 192.0.2.4/31 is exhausted: all 2 usable addresses are taken (asked by x).");
  });

  test("a /31 with the default gateway leaves the other address", () => {
    const p = new AddressPool("192.0.2.4/31");
    expect(formatIp4(p.gateway!)).toBe("192.0.2.4");
    expect(allocN(p, 1)).toEqual(["192.0.2.5"]);
  });

  test("a /32 holds exactly one address", () => {
    const p = new AddressPool("192.0.2.7/32", null);
    expect(p.size).toBe(1);
    expect(allocN(p, 1)).toEqual(["192.0.2.7"]);
    expect(() => p.allocate("y")).toThrow("subnet 192.0.2.7/32 is exhausted: all 1 usable addresses are taken (asked by y).");
  });

  test("a /32 whose only address is the gateway is exhausted at once", () => {
    expect(() => new AddressPool("192.0.2.7/32").allocate("z")).toThrow("subnet 192.0.2.7/32 is exhausted");
  });

  test("a /24 yields 253 addresses besides the gateway, then the exhaustion error names the asker", () => {
    const p = new AddressPool("10.88.0.0/24");
    const got = allocN(p, 253);
    expect(got[0]).toBe("10.88.0.2");
    expect(got[252]).toBe("10.88.0.254");
    expect(new Set(got).size).toBe(253);
    expect(() => p.allocate("s/a/late")).toThrow(
      "subnet 10.88.0.0/24 is exhausted: all 254 usable addresses are taken (asked by s/a/late). Use a larger subnet or free an address.",
    );
  });

  test("allocation crosses bitmap word boundaries (a /26 past address 32)", () => {
    const p = new AddressPool("10.0.0.0/26");
    const got = allocN(p, 61);
    expect(got.slice(29, 33)).toEqual(["10.0.0.31", "10.0.0.32", "10.0.0.33", "10.0.0.34"]);
    expect(got[60]).toBe("10.0.0.62");
  });

  test("a /8 works and a /7 is refused", () => {
    expect(formatIp4(new AddressPool("10.0.0.0/8").allocate("a"))).toBe("10.0.0.2");
    expect(() => new AddressPool("10.0.0.0/7")).toThrow("subnet 10.0.0.0/7 is larger than /8; hostnet manages subnets of /8 to /32.");
  });

  test("addresses high in the IPv4 space stay unsigned", () => {
    const p = new AddressPool("240.0.0.0/30");
    expect(allocN(p, 1)).toEqual(["240.0.0.2"]);
  });
});

describe("AddressPool.reserve", () => {
  test("records the holder", () => {
    const p = new AddressPool("10.88.0.0/24");
    expect(formatIp4(p.reserve("10.88.0.9", "s/a/web"))).toBe("10.88.0.9");
    expect(p.holderOf(parseIp4("10.88.0.9"))).toBe("s/a/web");
    expect(p.reserve(parseIp4("10.88.0.10"), "n")).toBe(parseIp4("10.88.0.10"));
  });

  test.each([
    ["10.88.0.9", "address 10.88.0.9 is assigned twice: to s/a/web and to s/a/db. Give one of them another address."],
    ["10.88.0.1", "address 10.88.0.1 is assigned twice: to gateway and to s/a/db. Give one of them another address."],
  ])("reserving %s twice names both holders", (ip, message) => {
    const p = new AddressPool("10.88.0.0/24");
    p.reserve("10.88.0.9", "s/a/web");
    expect(() => p.reserve(ip, "s/a/db")).toThrow(message);
  });

  test("an allocated address cannot be reserved again", () => {
    const p = new AddressPool("10.88.0.0/24");
    p.allocate("s/a/web");
    expect(() => p.reserve("10.88.0.2", "s/a/db")).toThrow("address 10.88.0.2 is assigned twice: to s/a/web and to s/a/db.");
  });

  test("a reserved address is skipped by allocation", () => {
    const p = new AddressPool("10.88.0.0/24");
    p.reserve("10.88.0.2", "fixed");
    expect(allocN(p, 1)).toEqual(["10.88.0.3"]);
  });

  test.each([
    ["10.89.0.5", "address 10.89.0.5 (for h) is outside subnet 10.88.0.0/24. Use an address inside it or allocate one with subnet.allocate()."],
    [
      "10.88.0.0",
      "address 10.88.0.0 (for h) is the network address of 10.88.0.0/24 and cannot be assigned. Use an address from 10.88.0.1 to 10.88.0.254.",
    ],
    [
      "10.88.0.255",
      "address 10.88.0.255 (for h) is the broadcast address of 10.88.0.0/24 and cannot be assigned. Use an address from 10.88.0.1 to 10.88.0.254.",
    ],
    ["::1", `"::1" is an IPv6 address; this value must be IPv4. Use an IPv4 address such as 10.0.0.1.`],
  ])("refuses %s", (ip, message) => {
    expect(() => new AddressPool("10.88.0.0/24").reserve(ip, "h")).toThrow(message);
  });

  test("in a /31 both ends can be reserved", () => {
    const p = new AddressPool("192.0.2.4/31", null);
    expect(formatIp4(p.reserve("192.0.2.4", "a"))).toBe("192.0.2.4");
    expect(formatIp4(p.reserve("192.0.2.5", "b"))).toBe("192.0.2.5");
  });
});

describe("AddressPool subnet parsing", () => {
  test.each([
    ["10.88.0.1/24", `"10.88.0.1/24" has host bits set; the network is 10.88.0.0/24. Use that.`],
    ["fd00::/64", `"fd00::/64" is an IPv6 prefix; this value must be an IPv4 CIDR.`],
  ])("refuses %s", (cidr, message) => {
    expect(() => new AddressPool(cidr)).toThrow(message);
  });
});

describe("AddressPool.release", () => {
  test("frees an address for the next allocation and never frees the gateway", () => {
    const p = new AddressPool("10.0.0.0/29");
    allocN(p, 3);
    p.release(parseIp4("10.0.0.3"));
    p.release(parseIp4("10.0.0.1"));
    p.release(parseIp4("10.0.0.6"));
    expect(p.holderOf(parseIp4("10.0.0.3"))).toBeUndefined();
    expect(p.holderOf(parseIp4("10.0.0.1"))).toBe("gateway");
    expect(allocN(p, 1)).toEqual(["10.0.0.3"]);
  });
});
