import { cidrProblem, familyMismatchProblem, ipProblem, parseCidr, parseIp } from "../../src/validate/address";

describe("address props parse to a value or a problem, never an exception", () => {
  test.each([
    ["10.0.0.1", { value: 0x0a000001 }],
    ["10.0.0.01", { problem: `"10.0.0.01" is not an IPv4 address. Each part is 0-255 without leading zeros.` }],
    ["fe80::1", { problem: `"fe80::1" is an IPv6 address; this value must be IPv4. Use an IPv4 address such as 10.0.0.1.` }],
    ["", { problem: `"" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.` }],
  ])("parseIp(%j)", (text, expected) => {
    expect(parseIp(text)).toEqual(expected);
  });

  test.each([
    ["10.0.0.0/24", true, { value: { network: 0x0a000000, prefix: 24, address: 0x0a000000 } }],
    ["10.0.0.5/24", false, { value: { network: 0x0a000000, prefix: 24, address: 0x0a000005 } }],
    ["10.0.0.5/24", true, { problem: `"10.0.0.5/24" has host bits set; the network is 10.0.0.0/24. Use that.` }],
    ["10.0.0.0/08", true, { problem: `"10.0.0.0/08" has a prefix length with a leading zero; write it as 10.0.0.0/8.` }],
    ["10.0.0.0", true, { problem: `"10.0.0.0" is not a CIDR. Write it as address/prefix, e.g. 10.0.0.0/24.` }],
  ])("parseCidr(%j, strict %p)", (text, strict, expected) => {
    expect(parseCidr(text, strict)).toEqual(expected);
  });

  test("ipProblem and cidrProblem name the prop", () => {
    expect(ipProblem("10.0.0.1", "via")).toBeNull();
    expect(ipProblem("x", "via")).toBe(`via: "x" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`);
    expect(cidrProblem("10.0.0.0/24", "destination")).toBeNull();
    expect(cidrProblem("10.0.0.1/24", "destination")).toBe(`destination: "10.0.0.1/24" has host bits set; the network is 10.0.0.0/24. Use that.`);
    expect(cidrProblem("10.0.0.1/24", "destination", false)).toBeNull();
  });
});

describe("familyMismatchProblem", () => {
  test.each<[string, 4 | 6, string | null]>([
    ["10.0.0.1", 6, "via: 10.0.0.1 is IPv4 but the destination fd00:1::/64 is IPv6. Use an IPv6 value, or one of each family in its own prop."],
    ["fd00::1", 4, "via: fd00::1 is IPv6 but the destination fd00:1::/64 is IPv4. Use an IPv4 value, or one of each family in its own prop."],
    ["fd00:1::/64", 4, "via: fd00:1::/64 is IPv6 but the destination fd00:1::/64 is IPv4. Use an IPv4 value, or one of each family in its own prop."],
    ["fd00::1", 6, null],
    ["10.0.0.0/8", 4, null],
    ["not an address", 6, null],
  ])("%j expected IPv%j", (text, family, expected) => {
    expect(familyMismatchProblem(text, family, "via", "the destination fd00:1::/64")).toBe(expected);
  });
});
