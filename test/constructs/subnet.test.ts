import { Address, Bridge, Namespace, Subnet, VethPair } from "../../constructs";
import { messages, newHost, newStack } from "../support/stacks";

describe("Subnet allocation", () => {
  test("addresses are handed out in declaration order after the gateway", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const lan = new Subnet(a, "lan", { cidr: "10.88.0.0/24" });
    const got = ["web", "db", "cache"].map((n) => lan.allocate(new Namespace(a, n)).cidr);
    expect(lan.gateway?.cidr).toBe("10.88.0.1/24");
    expect(got).toEqual(["10.88.0.2/24", "10.88.0.3/24", "10.88.0.4/24"]);
  });

  test("a fixed address is skipped by later allocations", () => {
    const { stack } = newStack();
    const lan = new Subnet(newHost(stack), "lan", { cidr: "10.88.0.0/24" });
    expect(lan.address("10.88.0.2", "fixed").ip).toBe("10.88.0.2");
    expect(lan.allocate("next").ip).toBe("10.88.0.3");
  });

  test("a chosen gateway, and no gateway at all", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const withGw = new Subnet(a, "lan", { cidr: "10.88.0.0/24", gateway: "10.88.0.254" });
    const noGw = new Subnet(a, "p2p", { cidr: "192.0.2.0/30", gateway: false });
    expect(withGw.gateway?.ip).toBe("10.88.0.254");
    expect(withGw.allocate("x").ip).toBe("10.88.0.1");
    expect(noGw.gateway).toBeUndefined();
    expect([noGw.allocate("x").cidr, noGw.allocate("y").cidr]).toEqual(["192.0.2.1/30", "192.0.2.2/30"]);
  });

  test("the CIDR is normalized and the prefix kept on every address", () => {
    const { stack } = newStack();
    const lan = new Subnet(newHost(stack), "lan", { cidr: "172.16.0.0/12" });
    expect(lan.cidr).toBe("172.16.0.0/12");
    expect(lan.allocate("x").cidr).toBe("172.16.0.2/12");
    expect(lan.contains("172.31.255.254")).toBe(true);
    expect(lan.contains("172.32.0.1")).toBe(false);
    expect(lan.contains("not an ip")).toBe(false);
  });

  test("exhaustion is a validation error that names the subnet, its size and the asker", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const p2p = new Subnet(a, "p2p", { cidr: "192.0.2.0/30" });
    const one = new Namespace(a, "one");
    const two = new Namespace(a, "two");
    expect(p2p.allocate(one).ip).toBe("192.0.2.2");
    p2p.allocate(two);
    expect(messages(stack)).toEqual([
      "s/a/p2p: subnet 192.0.2.0/30 is exhausted: all 2 usable addresses are taken (asked by s/a/two). Use a larger subnet or free an address.",
    ]);
  });

  test("a subnet with host bits set is reported at validation, and its addresses are inert placeholders", () => {
    const { stack } = newStack();
    const lan = new Subnet(newHost(stack), "lan", { cidr: "10.88.0.1/24" });
    expect(lan.allocate("x").cidr).toBe("0.0.0.0/32");
    expect(messages(stack)).toEqual([`s/a/lan: "10.88.0.1/24" has host bits set; the network is 10.88.0.0/24. Use that.`]);
  });

  test("an IPv6 subnet: gateway ::1 reserved, lowest free first, the subnet-router anycast address never handed out", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const lan6 = new Subnet(a, "lan6", { cidr: "FD00:88:0::/64" });
    expect([lan6.cidr, lan6.family, lan6.prefix]).toEqual(["fd00:88::/64", 6, 64]);
    expect(lan6.gateway?.cidr).toBe("fd00:88::1/64");
    const got = ["web", "db"].map((n) => lan6.allocate(new Namespace(a, n)));
    expect(got.map((x) => [x.family, x.cidr])).toEqual([
      [6, "fd00:88::2/64"],
      [6, "fd00:88::3/64"],
    ]);
    expect(lan6.address("fd00:88::00ff", "fixed").ip).toBe("fd00:88::ff");
    expect(lan6.contains("fd00:88::ffff:ffff:ffff:ffff")).toBe(true);
    expect(lan6.contains("fd00:89::1")).toBe(false);
    expect(lan6.contains("10.88.0.1")).toBe(false);
    expect(messages(stack)).toEqual([]);
  });

  test("a dual-stack holder takes one address from each family's subnet", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const lan = new Subnet(a, "lan", { cidr: "10.88.0.0/24" });
    const lan6 = new Subnet(a, "lan6", { cidr: "fd00:88::/64", gateway: "fd00:88::fe" });
    const web = new Namespace(a, "web");
    expect([lan.allocate(web).cidr, lan6.allocate(web).cidr, lan6.gateway?.ip]).toEqual(["10.88.0.2/24", "fd00:88::1/64", "fd00:88::fe"]);
  });

  test.each([
    [{ cidr: "fd00:88::1/64" }, `s/a/lan: "fd00:88::1/64" has host bits set; the network is fd00:88::/64. Use that.`],
    [
      { cidr: "fd00:88::/64", gateway: "10.88.0.1" },
      `s/a/lan: gateway "10.88.0.1" is IPv4 but subnet fd00:88::/64 is IPv6. Use an IPv6 address inside it (e.g. fd00:88::1), or put it in an IPv4 subnet.`,
    ],
    [
      { cidr: "10.88.0.0/24", gateway: "fd00:88::1" },
      `s/a/lan: gateway "fd00:88::1" is IPv6 but subnet 10.88.0.0/24 is IPv4. Use an IPv4 address inside it (e.g. 10.88.0.1), or put it in an IPv6 subnet.`,
    ],
    [
      { cidr: "fd00:88::/64", gateway: "fd00:89::1" },
      `s/a/lan: gateway fd00:89::1 is outside subnet fd00:88::/64. Pick an address inside it, e.g. fd00:88::1.`,
    ],
    [
      { cidr: "fd00:88::/64", gateway: "fd00:88::" },
      "s/a/lan: address fd00:88:: (for gateway) is the subnet-router anycast address of fd00:88::/64 and cannot be assigned. " +
        "Use an address from fd00:88::1 to fd00:88::ffff:ffff:ffff:ffff.",
    ],
    [
      { cidr: "fd00:88::/64", gateway: "fd00:88::1%eth0" },
      `s/a/lan: "fd00:88::1%eth0" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1. A zone (%eth0) is not allowed here: name the interface in its own prop.`,
    ],
  ])("a bad IPv6 subnet %j is reported with the fix", (props, message) => {
    const { stack } = newStack();
    new Subnet(newHost(stack), "lan", props);
    expect(messages(stack)).toEqual([message]);
  });

  test("an address of the other family, and the anycast address, are refused by address()", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const lan6 = new Subnet(a, "lan6", { cidr: "fd00:88::/64" });
    lan6.address("10.88.0.5", "v4");
    lan6.address("fd00:88::", "anycast");
    lan6.address("fd00:88::2", "one");
    lan6.address("FD00:88::0002", "two");
    expect(messages(stack)).toEqual([
      `s/a/lan6: address (for v4) "10.88.0.5" is IPv4 but subnet fd00:88::/64 is IPv6. Use an IPv6 address inside it (e.g. fd00:88::1), or put it in an IPv4 subnet.`,
      "s/a/lan6: address fd00:88:: (for anycast) is the subnet-router anycast address of fd00:88::/64 and cannot be assigned. " +
        "Use an address from fd00:88::1 to fd00:88::ffff:ffff:ffff:ffff.",
      "s/a/lan6: address fd00:88::2 is assigned twice: to one and to two. Give one of them another address.",
    ]);
  });

  test("allocated addresses reach the scripts with the subnet's prefix", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const lan = new Subnet(a, "lan", { cidr: "10.88.0.0/24" });
    const br = new Bridge(a, "br0", { address: lan.gateway });
    const web = new Namespace(a, "web");
    const v = new VethPair(a, "v", { a: { namespace: web, address: lan.allocate(web) }, b: { bridge: br } });
    expect(br.createScript()).toContain("\naddr replace 10.88.0.1/24 dev br0\n");
    expect(v.createScript()).toContain("\naddr replace 10.88.0.2/24 dev eth0\n");
  });
});

describe("Address family", () => {
  test.each([
    ["10.88.0.2", 24, 4, "10.88.0.2/24"],
    ["fd00:88::2", 64, 6, "fd00:88::2/64"],
    ["FD00:0088:0000::0002", 64, 6, "fd00:88::2/64"],
  ])("new Address(%j, %j) is family %j with cidr %j", (ip, prefix, family, cidr) => {
    const a = new Address(ip, prefix);
    expect([a.family, a.cidr, a.toString()]).toEqual([family, cidr, cidr]);
  });

  test("an allocated address knows its family before it is settled", () => {
    const { stack } = newStack();
    const lan = new Subnet(newHost(stack), "lan", { cidr: "10.88.0.0/24" });
    const early = lan.allocate("first");
    expect(early.family).toBe(4);
    const later = lan.allocate("second");
    // Reading family did not settle the subnet: the second ask is part of the one settlement.
    expect([early.ip, later.ip]).toEqual(["10.88.0.2", "10.88.0.3"]);
    expect(lan.gateway?.family).toBe(4);
    expect(messages(stack)).toEqual([]);
  });
});

describe("hostile IPv6 subnet values are refused at synth, naming the value", () => {
  test.each([
    ["fd00::/64;reboot", `s/a/lan: "fd00::/64;reboot" is not a CIDR. Write it as address/prefix, e.g. fd00:88::/64.`],
    ["fd00::/64\nreboot", `s/a/lan: "fd00::/64\nreboot" is not a CIDR. Write it as address/prefix, e.g. fd00:88::/64.`],
    [
      "[fd00::]/64",
      `s/a/lan: "[fd00::]" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1. Write it without brackets.`,
    ],
    [
      "fe80::%eth0/64",
      `s/a/lan: "fe80::%eth0" is not an IPv6 address. Write it as hex groups separated by ":", e.g. fd00:88::1. A zone (%eth0) is not allowed here: name the interface in its own prop.`,
    ],
    ["fd00::/064", `s/a/lan: "fd00::/064" has a prefix length with a leading zero; write it as fd00::/64.`],
    ["fd00::/$(id)", `s/a/lan: "fd00::/$(id)" is not a CIDR. Write it as address/prefix, e.g. fd00:88::/64.`],
  ])("%j", (cidr, message) => {
    const { stack } = newStack();
    const lan = new Subnet(newHost(stack), "lan", { cidr });
    expect([lan.family, lan.allocate("x").cidr]).toEqual([6, "::/128"]);
    expect(messages(stack)).toEqual([message]);
  });
});
