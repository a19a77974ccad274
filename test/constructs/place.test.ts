import { Address } from "../../constructs";
import { bridgeSubnetProblem, checkAddressInput } from "../../constructs/place";

describe("checkAddressInput", () => {
  test.each<[string, string[]]>([
    ["10.88.0.2/24", []],
    ["fd00:88::2/64", []],
    ["fd00:88::/127", []],
    ["10.88.0.0/24", ["address 10.88.0.0/24 is the network or broadcast address of its subnet; use a host address."]],
    ["10.88.0.255/24", ["address 10.88.0.255/24 is the network or broadcast address of its subnet; use a host address."]],
    ["fd00:88::/64", ["address fd00:88::/64 is the subnet-router anycast address of its prefix; use a host address (e.g. fd00:88::1/64)."]],
    [
      "fd00:88::2%eth0/64",
      [
        `address: "fd00:88::2%eth0" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1. A zone (%eth0) is not allowed here: name the interface in its own prop.`,
      ],
    ],
    ["fd00:88::2/129", [`address: "fd00:88::2/129" has prefix length 129; IPv6 allows 0-128.`]],
    ["fd00:88::2/64;reboot", [`address: "fd00:88::2/64;reboot" is not a CIDR. Write it as address/prefix, e.g. fd00:88::/64.`]],
  ])("%j", (input, expected) => {
    expect(checkAddressInput(input, "address")).toEqual(expected);
  });
});

describe("checkAddressInput of an Address built by hand", () => {
  test.each<[Address, string[]]>([
    [new Address("fd00:88::2", 64), []],
    [new Address("10.88.0.2", 24), []],
    [
      new Address("fd00:88::2;reboot", 64),
      [`address: "fd00:88::2;reboot" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1.`],
    ],
    [
      new Address("fd00:88::2\nreboot", 64),
      [`address: "fd00:88::2\nreboot" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1.`],
    ],
    [
      new Address("fd00:88::", 64),
      ["address fd00:88::/64 is the subnet-router anycast address of its prefix; use a host address (e.g. fd00:88::1/64)."],
    ],
  ])("%s", (a, expected) => {
    expect(checkAddressInput(a, "address")).toEqual(expected);
  });
});

describe("bridgeSubnetProblem with IPv6", () => {
  const m = { what: "address", joins: "the veth joins", prop: "props.address" };
  test("an IPv6 address outside the bridge's IPv6 subnet is named with the fix", () => {
    expect(bridgeSubnetProblem("fd00:89::2/64", { name: "br0", address: "fd00:88::1/64" }, m)).toBe(
      "address fd00:89::2/64 is not in fd00:88::/64, the subnet of bridge br0 (fd00:88::1/64), which the veth joins: nothing on that bridge, " +
        "its gateway included, could reach it. Set props.address to an address in fd00:88::/64.",
    );
  });

  test.each([
    ["fd00:88::2/64", "fd00:88::1/64"],
    ["fd00:88::2/64", "10.88.0.1/24"],
    ["10.88.0.2/24", "fd00:88::1/64"],
  ])("%s on a bridge at %s: same subnet, or another family (compared with its own)", (address, bridge) => {
    expect(bridgeSubnetProblem(address, { name: "br0", address: new Address(bridge.split("/")[0], Number(bridge.split("/")[1])) }, m)).toBeNull();
  });
});
