/**
 * Source NAT rules whose sources overlap in one place. An SNAT (like a 1:1
 * NAT's SNAT) goes first in POSTROUTING, so an address or subnet inside a
 * masqueraded subnet leaves as its own address whatever order Terraform
 * creates them in. Overlaps where that order would not decide are refused at
 * synth, naming both objects: they were a race (the rule created last, or
 * first, won).
 */
import { Bridge, Host, Namespace, NatRule, Network, Subnet } from "../../constructs";
import { messages, newHost, newStack } from "../support/stacks";

function problems(build: (a: Host) => void): string[] {
  const { stack } = newStack();
  const a = newHost(stack, "a");
  build(a);
  return messages(stack);
}

describe("source NAT rules that overlap in one place", () => {
  test("an SNAT of one address of a masqueraded Network: accepted, and its rule goes first in POSTROUTING", () => {
    let snat: NatRule | undefined;
    const m = problems((a) => {
      const net = new Network(a, "net", { subnet: "10.60.0.0/24" });
      const web = net.connect(new Namespace(a, "web"));
      snat = NatRule.snat(a, "out", { source: web.address!, toSource: "198.19.60.5" });
    });
    expect(m).toEqual([]);
    expect(snat!.createScript()).toContain("-I POSTROUTING 1 -s 10.60.0.2/32");
  });

  test("a masquerade inside the source of an SNAT (it would never apply): a problem naming both", () => {
    const m = problems((a) => {
      NatRule.snat(a, "out", { source: "10.61.0.0/16", toSource: "198.19.61.5" });
      NatRule.masquerade(a, "masq", { subnet: "10.61.3.0/24" });
    });
    expect(m).toEqual([
      "s/a/masq: masquerade of 10.61.3.0/24 overlaps the SNAT of 10.61.0.0/16 by s/a/out in the root namespace: the SNAT goes first in " +
        "POSTROUTING, so the masquerade of 10.61.3.0/24 inside it would never apply. Give them sources that do not overlap, or make the " +
        "SNAT's source the addresses it alone should translate.",
    ]);
  });

  test("two SNATs, or an SNAT and a 1:1 NAT, of overlapping sources: the one created last would win, a problem", () => {
    const twoSnats = problems((a) => {
      NatRule.snat(a, "one", { source: "10.62.0.0/24", toSource: "198.19.62.5" });
      NatRule.snat(a, "two", { source: "10.62.0.7/32", toSource: "198.19.62.6" });
    });
    expect(twoSnats).toHaveLength(1);
    expect(twoSnats[0]).toMatch(
      /^s\/a\/two: SNAT of 10\.62\.0\.7\/32 overlaps the SNAT of 10\.62\.0\.0\/24 by s\/a\/one in the root namespace: both go first/,
    );
    const withStatic = problems((a) => {
      const r = new Namespace(a, "router");
      NatRule.snat(a, "x", { source: "10.63.0.0/24", toSource: "198.19.63.5", namespace: r });
      NatRule.oneToOne(a, "fip", { inside: "10.63.0.9", outside: "198.19.63.9", namespace: r });
    });
    expect(withStatic).toHaveLength(1);
    expect(withStatic[0]).toMatch(
      /^s\/a\/fip: 1:1 NAT of 10\.63\.0\.9\/32 overlaps the SNAT of 10\.63\.0\.0\/24 by s\/a\/x in netns router: both go first/,
    );
  });

  test("overlaps that never meet, or where going first is what is meant, are accepted", () => {
    const m = problems((a) => {
      const lan = new Subnet(a, "lan", { cidr: "10.64.0.0/24" });
      const br = new Bridge(a, "br", { address: lan.allocate("gw") });
      // Two masquerades translate alike.
      NatRule.masquerade(a, "m1", { subnet: lan, bridge: br });
      NatRule.masquerade(a, "m2", { subnet: "10.64.0.0/16" });
      // SNATs of the masqueraded subnet (inside both masquerades: they go first, as meant), through different interfaces.
      NatRule.snat(a, "s1", { source: lan, toSource: "198.19.64.5", outInterface: "eth8" });
      NatRule.snat(a, "s2", { source: lan, toSource: "198.19.64.6", outInterface: "eth9" });
      // The same sources in another place (a namespace's own tables).
      NatRule.snat(a, "s3", { source: "10.64.0.0/16", toSource: "198.19.64.7", namespace: new Namespace(a, "other") });
      // Another family.
      NatRule.snat(a, "s6", { source: "fd00:64::/64", toSource: "fd00:ff::5" });
    });
    expect(m).toEqual([]);
  });

  test("an SNAT through the interface a masquerade inside it leaves out never meets it: accepted", () => {
    const m = problems((a) => {
      const lan = new Subnet(a, "lan", { cidr: "10.65.0.0/24" });
      const br = new Bridge(a, "br", { name: "hnb65", address: lan.allocate("gw") });
      NatRule.masquerade(a, "m", { subnet: lan, bridge: br });
      NatRule.snat(a, "s", { source: "10.65.0.0/16", toSource: "198.19.65.5", outInterface: "hnb65" });
    });
    expect(m).toEqual([]);
  });
});
