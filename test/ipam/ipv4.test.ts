import { Address4 } from "ip-address";
import { AddressError, broadcastOf, cidrSize, contains, formatCidr4, formatIp4, maskOf, overlaps, parseCidr4, parseIp4 } from "../../src/ipam/ipv4";

const cidr = (t: string) => parseCidr4(t);

describe("parseIp4 / formatIp4", () => {
  test.each([
    ["0.0.0.0", 0],
    ["10.0.0.1", 0x0a000001],
    ["127.0.0.1", 0x7f000001],
    ["192.168.1.254", 0xc0a801fe],
    ["198.18.0.10", 0xc612000a],
    ["255.255.255.255", 0xffffffff],
  ])("%s is %i and formats back", (text, n) => {
    expect(parseIp4(text)).toBe(n);
    expect(formatIp4(n)).toBe(text);
  });

  test("agrees with ip-address on every octet value in every position", () => {
    for (let pos = 0; pos < 4; pos++) {
      for (let v = 0; v < 256; v++) {
        const parts = [10, 200, 3, 255];
        parts[pos] = v;
        const text = parts.join(".");
        expect(parseIp4(text)).toBe(Number(new Address4(text).bigInt()));
      }
    }
  });

  test("addresses with the top bit set stay unsigned", () => {
    expect(parseIp4("200.0.0.1")).toBeGreaterThan(0);
    expect(formatIp4(parseIp4("128.0.0.0"))).toBe("128.0.0.0");
  });

  test.each([
    ["256.0.0.1", `"256.0.0.1" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`],
    ["1.2.3", `"1.2.3" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`],
    ["1.2.3.4.5", `"1.2.3.4.5" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`],
    ["", `"" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`],
    [" 1.2.3.4", `" 1.2.3.4" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`],
    ["1.2.3.4\n", `"1.2.3.4\n" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`],
    ["1.2.3.4/24", `"1.2.3.4/24" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`],
    ["0x0a.0.0.1", `"0x0a.0.0.1" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`],
    ["١.2.3.4", `"١.2.3.4" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`],
    ["localhost", `"localhost" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`],
    ["010.0.0.1", `"010.0.0.1" is not an IPv4 address. Each part is 0-255 without leading zeros.`],
    ["10.0.0.01", `"10.0.0.01" is not an IPv4 address. Each part is 0-255 without leading zeros.`],
    ["10.00.0.1", `"10.00.0.1" is not an IPv4 address. Each part is 0-255 without leading zeros.`],
    ["::1", `"::1" is an IPv6 address; this value must be IPv4. Use an IPv4 address such as 10.0.0.1.`],
    ["fe80::1", `"fe80::1" is an IPv6 address; this value must be IPv4. Use an IPv4 address such as 10.0.0.1.`],
    ["::ffff:10.0.0.1", `"::ffff:10.0.0.1" is an IPv6 address; this value must be IPv4. Use an IPv4 address such as 10.0.0.1.`],
  ])("%j is refused: %s", (text, message) => {
    expect(() => parseIp4(text)).toThrow(AddressError);
    expect(() => parseIp4(text)).toThrow(message);
  });
});

describe("parseCidr4", () => {
  test.each([
    ["10.0.0.0/8", 0x0a000000, 8],
    ["10.88.0.0/24", 0x0a580000, 24],
    ["192.0.2.4/30", 0xc0000204, 30],
    ["192.0.2.4/31", 0xc0000204, 31],
    ["192.0.2.7/32", 0xc0000207, 32],
    ["0.0.0.0/0", 0, 0],
  ])("%s is network %i / %i", (text, network, prefix) => {
    expect(parseCidr4(text)).toEqual({ network, prefix, address: network });
    expect(formatCidr4(parseCidr4(text))).toBe(text);
  });

  test("non-strict keeps the address and masks the network", () => {
    expect(parseCidr4("10.88.0.7/24", false)).toEqual({ network: 0x0a580000, prefix: 24, address: 0x0a580007 });
  });

  test.each([
    ["10.88.0.1/24", `"10.88.0.1/24" has host bits set; the network is 10.88.0.0/24. Use that.`],
    ["11.0.0.0/7", `"11.0.0.0/7" has host bits set; the network is 10.0.0.0/7. Use that.`],
    ["10.1.0.0/8", `"10.1.0.0/8" has host bits set; the network is 10.0.0.0/8. Use that.`],
    ["10.0.0.0/33", `"10.0.0.0/33" has prefix length 33; IPv4 allows 0-32.`],
    ["10.0.0.0/99", `"10.0.0.0/99" has prefix length 99; IPv4 allows 0-32.`],
    ["10.0.0.0", `"10.0.0.0" is not a CIDR. Write it as address/prefix, e.g. 10.0.0.0/24.`],
    ["10.0.0.0/", `"10.0.0.0/" is not a CIDR. Write it as address/prefix, e.g. 10.0.0.0/24.`],
    ["10.0.0.0/ 8", `"10.0.0.0/ 8" is not a CIDR. Write it as address/prefix, e.g. 10.0.0.0/24.`],
    ["10.0.0.0/8/8", `"10.0.0.0/8/8" is not a CIDR. Write it as address/prefix, e.g. 10.0.0.0/24.`],
    ["10.0.0.0/-1", `"10.0.0.0/-1" is not a CIDR. Write it as address/prefix, e.g. 10.0.0.0/24.`],
    ["10.0.0.0/255.0.0.0", `"10.0.0.0/255.0.0.0" is not a CIDR. Write it as address/prefix, e.g. 10.0.0.0/24.`],
    // iproute2 reads a prefix with a leading zero as octal, and refuses "08" and "09".
    ["10.0.0.0/08", `"10.0.0.0/08" has a prefix length with a leading zero; write it as 10.0.0.0/8.`],
    ["10.0.0.0/00", `"10.0.0.0/00" has a prefix length with a leading zero; write it as 10.0.0.0/0.`],
    ["010.0.0.0/8", `"010.0.0.0" is not an IPv4 address. Each part is 0-255 without leading zeros.`],
    ["2001:db8::/32", `"2001:db8::/32" is an IPv6 prefix; this value must be an IPv4 CIDR. Use one such as 10.0.0.0/24.`],
    ["2001:db8::/128", `"2001:db8::/128" is an IPv6 prefix; this value must be an IPv4 CIDR. Use one such as 10.0.0.0/24.`],
    ["fe80::/64", `"fe80::/64" is an IPv6 prefix; this value must be an IPv4 CIDR. Use one such as 10.0.0.0/24.`],
  ])("%j is refused: %s", (text, message) => {
    expect(() => parseCidr4(text)).toThrow(AddressError);
    expect(() => parseCidr4(text)).toThrow(message);
  });
});

describe("masks, sizes and membership", () => {
  test.each([
    [0, 0],
    [1, 0x80000000],
    [8, 0xff000000],
    [24, 0xffffff00],
    [31, 0xfffffffe],
    [32, 0xffffffff],
  ])("maskOf(%i) is %i", (prefix, mask) => {
    expect(maskOf(prefix)).toBe(mask);
  });

  test.each([
    ["10.0.0.0/8", 16777216, "10.255.255.255"],
    ["10.88.0.0/24", 256, "10.88.0.255"],
    ["192.0.2.4/31", 2, "192.0.2.5"],
    ["192.0.2.7/32", 1, "192.0.2.7"],
    ["0.0.0.0/0", 4294967296, "255.255.255.255"],
  ])("%s has %i addresses and broadcast %s", (text, size, bcast) => {
    expect(cidrSize(cidr(text))).toBe(size);
    expect(formatIp4(broadcastOf(cidr(text)))).toBe(bcast);
  });

  test.each([
    ["10.88.0.0/24", "10.88.0.0", true],
    ["10.88.0.0/24", "10.88.0.255", true],
    ["10.88.0.0/24", "10.88.1.0", false],
    ["10.88.0.0/24", "10.87.255.255", false],
    ["192.0.2.7/32", "192.0.2.7", true],
    ["192.0.2.7/32", "192.0.2.6", false],
    ["0.0.0.0/0", "255.255.255.255", true],
    ["128.0.0.0/1", "255.0.0.1", true],
    ["128.0.0.0/1", "127.255.255.255", false],
  ])("%s contains %s: %p", (c, ip, want) => {
    expect(contains(cidr(c), parseIp4(ip))).toBe(want);
  });

  test.each([
    ["10.0.0.0/24", "10.0.0.0/24", true],
    ["10.0.0.0/8", "10.88.0.0/24", true],
    ["10.88.0.0/24", "10.0.0.0/8", true],
    ["10.88.0.0/24", "10.88.1.0/24", false],
    ["10.88.0.0/23", "10.88.1.0/24", true],
    ["192.0.2.4/31", "192.0.2.6/31", false],
    ["192.0.2.5/32", "192.0.2.4/31", true],
    ["0.0.0.0/0", "203.0.113.0/24", true],
    ["128.0.0.0/1", "10.0.0.0/8", false],
  ])("%s overlaps %s: %p", (a, b, want) => {
    expect(overlaps(cidr(a), cidr(b))).toBe(want);
    expect(overlaps(cidr(b), cidr(a))).toBe(want);
  });
});
