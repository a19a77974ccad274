/**
 * The firewall backend at synth: `firewall` on HostnetStack and Host (and
 * HOSTNET_FIREWALL as the stack's default) changes only what writes rules.
 * Scenarios with no firewall rules synthesize byte-identical plans under every
 * backend; a NatRule's scripts follow its host's choice; `auto` is decided by
 * the host hook on the host, never at synth.
 */
import { Testing } from "cdktf";
import { Bridge, Host, HostnetStack, NatRule, Subnet } from "../../constructs";
import { bridgeHosts } from "../../examples/bridge-hosts/topology";
import { hostGw } from "../../examples/host-gw/topology";
import { macvlanPair } from "../../examples/macvlan/topology";
import { twoNamespaces } from "../../examples/two-namespaces/topology";
import { vxlanOverlay } from "../../examples/vxlan-overlay/topology";
import { newHost, newStack, validationErrors } from "../support/stacks";

Testing.setupJest();

type Firewall = "iptables" | "nftables" | "auto";

const scenarios: Array<[string, (stack: HostnetStack) => void]> = [
  ["two-namespaces", (s) => twoNamespaces(newHost(s))],
  ["bridge-hosts", (s) => bridgeHosts(newHost(s))],
  ["macvlan", (s) => macvlanPair(newHost(s))],
  [
    "host-gw",
    (s) =>
      hostGw([
        { host: newHost(s, "a", { address: "198.18.0.10" }), cidr: "10.70.1.0/24" },
        { host: newHost(s, "b", { address: "198.18.0.11" }), cidr: "10.70.2.0/24" },
      ]),
  ],
  ["vxlan-overlay", (s) => vxlanOverlay(s, [newHost(s, "a", { address: "198.18.0.10" }), newHost(s, "b", { address: "198.18.0.11" })])],
];

function synthWith(firewall: Firewall, build: (stack: HostnetStack) => void): string {
  const { stack } = newStack({ firewall, lockFile: false });
  build(stack);
  expect(validationErrors(stack)).toEqual([]);
  return Testing.synth(stack);
}

describe("scenarios without firewall rules", () => {
  test.each(scenarios)("%s: the plan is byte-identical under iptables, nftables and auto (no integration run needed)", (_name, build) => {
    const ipt = synthWith("iptables", build);
    expect(synthWith("nftables", build)).toBe(ipt);
    expect(synthWith("auto", build)).toBe(ipt);
  });
});

function natStack(stackFirewall: Firewall | undefined, hostFirewall?: Firewall): { stack: HostnetStack; host: Host; rule: NatRule } {
  const { stack } = newStack({ ...(stackFirewall ? { firewall: stackFirewall } : {}), lockFile: false });
  const host = newHost(stack, "a", hostFirewall ? { firewall: hostFirewall } : {});
  const subnet = new Subnet(host, "lan", { cidr: "10.92.0.0/24" });
  const bridge = new Bridge(host, "br-pub", { address: subnet.gateway });
  const rule = NatRule.masquerade(host, "masquerade", { subnet, bridge });
  return { stack, host, rule };
}

describe("a NatRule follows its host's backend", () => {
  const old = process.env.HOSTNET_FIREWALL;
  afterEach(() => (old === undefined ? delete process.env.HOSTNET_FIREWALL : (process.env.HOSTNET_FIREWALL = old)));

  test("default: iptables, as before (no nft in the scripts)", () => {
    delete process.env.HOSTNET_FIREWALL;
    const { stack, host, rule } = natStack(undefined);
    expect(validationErrors(stack)).toEqual([]);
    expect(host.firewall).toBe("iptables");
    expect(rule.createScript()).toContain("iptables -w -t nat -C POSTROUTING");
    expect(rule.createScript()).not.toContain("nft");
    expect(rule.summary().detail).toBe("nat POSTROUTING, filter FORWARD, filter FORWARD");
  });

  test("the stack's nftables: one nft -f per create and destroy, the table named after the stack, nft in the preflight", () => {
    const { stack, host, rule } = natStack("nftables");
    expect(validationErrors(stack)).toEqual([]);
    // The create's transaction and its fallback for a create run again, then the ledger's copy of the destroy.
    expect(rule.createScript().match(/nft -f -/g)).toHaveLength(3);
    expect(rule.createScript()).toContain("add table inet hostnet_s");
    expect(rule.createScript()).not.toContain("iptables -w");
    expect(rule.summary().detail).toBe("nft inet hostnet_s postrouting, forward");
    expect(host.createScript()).toMatch(/for c in [^;]*nft/);
  });

  test("HOSTNET_FIREWALL sets the stack's default; a Host's own choice wins", () => {
    process.env.HOSTNET_FIREWALL = "nftables";
    expect(natStack(undefined).host.firewall).toBe("nftables");
    expect(natStack(undefined, "iptables").host.firewall).toBe("iptables");
    expect(natStack("auto", "iptables").rule.createScript()).not.toContain("nft");
  });

  test("auto: both renderings, the choice made by the host hook, which records it and removes the record with the last object", () => {
    const { stack, host, rule } = natStack("auto");
    expect(validationErrors(stack)).toEqual([]);
    expect(rule.createScript()).toContain('if [ "$hn_fwb" = nftables ]; then');
    expect(host.createScript()).toContain("firewall auto chose");
    expect(host.createScript()).toContain("/run/hostnet/s/.firewall");
    expect(host.destroyScript()).toContain("rm -f /run/hostnet/s/.firewall");
    expect(rule.summary().detail).toBe(
      "auto (on the host at deploy: nftables where nft exists and iptables is nf_tables-backed or absent): " +
        "nft inet hostnet_s postrouting, forward; else iptables nat POSTROUTING, filter FORWARD, filter FORWARD",
    );
  });

  test("a host without rules records nothing, whatever it asks for", () => {
    const { stack } = newStack({ firewall: "auto", lockFile: false });
    const host = newHost(stack);
    twoNamespaces(host);
    expect(host.createScript()).not.toContain(".firewall");
  });
});

describe("hostile values never reach nft's input", () => {
  test.each<[string, (host: Host) => void, string]>([
    [
      "an outInterface that would close nft's string",
      (h) => NatRule.snat(h, "snat", { source: "10.0.0.0/24", toSource: "192.0.2.1", outInterface: 'x";flush"' }),
      'may hold only letters, digits, "_", "-" and "."',
    ],
    [
      "an address that would add a statement",
      (h) => NatRule.portForward(h, "pf", { hostPort: 80, to: "10.0.0.2 accept; flush ruleset" }),
      "is not an IP address",
    ],
    [
      "a line break in an address",
      (h) => NatRule.oneToOne(h, "nat", { inside: "10.0.0.5", outside: "16.158.1.5\nflush ruleset" }),
      "is not an IP address",
    ],
  ])("%s: a synth problem naming the construct, nothing rendered to run", (_name, build, message) => {
    const { stack } = newStack({ firewall: "nftables", lockFile: false });
    build(newHost(stack));
    const problems = validationErrors(stack);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join("\n")).toContain(message);
    expect(problems.every((p) => p.startsWith("s/a/"))).toBe(true);
  });
});

describe("a firewall value that is not a backend stops synth", () => {
  const old = process.env.HOSTNET_FIREWALL;
  afterEach(() => (old === undefined ? delete process.env.HOSTNET_FIREWALL : (process.env.HOSTNET_FIREWALL = old)));

  test("on a Host: the path, the value and the fix", () => {
    const { stack } = newStack({ lockFile: false });
    newHost(stack, "a", { firewall: "nft" as Firewall });
    expect(validationErrors(stack)).toEqual([
      `s/a: firewall "nft" is not a firewall backend; use "iptables", "nftables" or "auto". Fix props.firewall.`,
    ]);
  });

  test("from HOSTNET_FIREWALL: names the variable", () => {
    process.env.HOSTNET_FIREWALL = "pf";
    const { stack } = newStack({ lockFile: false });
    expect(validationErrors(stack)).toEqual([
      `s: firewall "pf" is not a firewall backend; use "iptables", "nftables" or "auto". Fix the HOSTNET_FIREWALL environment variable.`,
    ]);
  });
});
