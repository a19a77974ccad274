import { spawnSync } from "child_process";
import { FIREWALL_AWK } from "../../src/render/firewall";
import { Flow, mergeFlows, natFlows, renderFirewallScan } from "../../src/render/firewall";
import { NFT_FIREWALL_AWK } from "../../src/render/nft-firewall";
import { syntaxErrors } from "../support/fake-host";

/** Runs the nft coexistence awk program (real awk) over `nft list ruleset` output. */
function scan(ruleset: string, flows: Flow[], mode: "nftables" | "iptables"): string[] {
  const words = mergeFlows(flows)
    .map((f) => `${f.dir}:${f.cidr}:${f.own ? 1 : 0}`)
    .join(" ");
  const r = spawnSync("awk", ["-v", "own=hostnet_s", "-v", `mode=${mode}`, "-v", `flows=${words}`, NFT_FIREWALL_AWK], {
    input: ruleset,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`awk failed: ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => l);
}

/** One table with one chain, as `nft list ruleset` prints it. */
const table = (head: string, chain: string, type: string, ...rules: string[]) =>
  [`table ${head} {`, `\tchain ${chain} {`, `\t\t${type}`, ...rules.map((r) => `\t\t${r}`), "\t}", "}"].join("\n");

const MASQ: Flow[] = natFlows({ type: "masquerade", source: "10.88.0.0/24", allowForward: true });
const WHY_NFT = "A forwarded packet must be accepted by every base chain on the forward hook, so the accepts in hostnet's table do not help.";

describe("nft coexistence: base chains of other tables that drop the stack's forwarded traffic", () => {
  test.each<[string, string, "nftables" | "iptables", string[]]>([
    [
      "firewalld-style inet table with policy drop",
      table("inet firewalld", "filter_FORWARD", "type filter hook forward priority filter + 10; policy drop;", "ct state established,related accept"),
      "nftables",
      [
        `P nftables: table inet firewalld chain filter_FORWARD (hook forward, policy drop) drops traffic this stack forwards: from 10.88.0.0/24, to 10.88.0.0/24. ${WHY_NFT} ` +
          "Fix: nft insert rule inet firewalld filter_FORWARD ip saddr 10.88.0.0/24 accept; nft insert rule inet firewalld filter_FORWARD ip daddr 10.88.0.0/24 accept.",
      ],
    ],
    [
      "iptables-nft's FORWARD DROP: nft, or firewall iptables",
      table("ip filter", "FORWARD", "type filter hook forward priority filter; policy drop;"),
      "nftables",
      [
        `P nftables: table ip filter chain FORWARD (hook forward, policy drop) drops traffic this stack forwards: from 10.88.0.0/24, to 10.88.0.0/24. ${WHY_NFT} ` +
          "Fix: nft insert rule ip filter FORWARD ip saddr 10.88.0.0/24 accept; nft insert rule ip filter FORWARD ip daddr 10.88.0.0/24 accept, " +
          'or set firewall: "iptables" on the Host (hostnet\'s accepts then go into this chain).',
      ],
    ],
    [
      "a drop rule for the subnet in an accepting chain names the rule",
      table("ip other", "fw", "type filter hook forward priority filter; policy accept;", "ip saddr 10.0.0.0/8 counter drop"),
      "nftables",
      [
        `P nftables: table ip other chain fw (hook forward) drops traffic this stack forwards: from 10.88.0.0/24 (rule "ip saddr 10.0.0.0/8 counter drop"). ${WHY_NFT} ` +
          "Fix: nft insert rule ip other fw ip saddr 10.88.0.0/24 accept.",
      ],
    ],
    [
      "accept rules for the subnet before the drop policy: nothing to say",
      table(
        "inet fw",
        "fwd",
        "type filter hook forward priority 0; policy drop;",
        "ip saddr 10.88.0.0/16 accept",
        'ip daddr 10.88.0.0/24 counter accept comment "x"',
      ),
      "nftables",
      [],
    ],
    ["hostnet's own table is not read", table("inet hostnet_s", "forward", "type filter hook forward priority filter; policy drop;"), "nftables", []],
    [
      "rules with other matches, and chains on other hooks, decide nothing",
      [
        table(
          "inet fw",
          "fwd",
          "type filter hook forward priority 0; policy accept;",
          "tcp dport 22 drop",
          'ip saddr 10.0.0.0/8 iifname "eth0" drop',
          "jump x",
        ),
        table("inet fw2", "in", "type filter hook input priority 0; policy drop;"),
      ].join("\n"),
      "nftables",
      [],
    ],
    [
      "beside iptables, the tables iptables-nft writes are left to the iptables-save reader",
      table("ip filter", "FORWARD", "type filter hook forward priority filter; policy drop;"),
      "iptables",
      [],
    ],
  ])("%s", (_name, ruleset, mode, lines) => {
    expect(scan(ruleset, MASQ, mode)).toEqual(lines);
  });

  test("the scan for an nftables host reads nft's ruleset, and the legacy tables only when the kernel has some", () => {
    const lines = renderFirewallScan(MASQ, { firewall: "nftables", stack: "s" });
    const body = lines.join("\n");
    expect(body).toContain("hn_fwb=nftables");
    expect(body).toContain('nft -s list ruleset 2>/dev/null | awk -v own=hostnet_s -v mode="$hn_fwb"');
    expect(body).toContain("if command -v iptables-legacy-save >/dev/null 2>&1 && grep -qs . /proc/net/ip_tables_names; then");
    expect(syntaxErrors(body)).toBe("");
    expect(syntaxErrors(renderFirewallScan(MASQ, { firewall: "auto", stack: "s" }).join("\n"))).toBe("");
  });
});

const MASQ6: Flow[] = natFlows({ type: "masquerade", source: "fd00:88::/64", allowForward: true, family: 6 });
const DUAL: Flow[] = [...MASQ, ...MASQ6];
const FWD6: Flow[] = natFlows({
  type: "dnat",
  protocol: "tcp",
  hostPort: 8080,
  toAddress: "fd00:88::5",
  toPort: 80,
  fromHost: true,
  allowForward: true,
  family: 6,
});
const WHY_IPT = "A forwarded packet must be accepted by every base chain on the forward hook, so hostnet's iptables rules do not help.";
const FIX6 = (t: string) => `nft insert rule ${t} ip6 saddr fd00:88::/64 accept; nft insert rule ${t} ip6 daddr fd00:88::/64 accept`;
const FIX4 = (t: string) => `nft insert rule ${t} ip saddr 10.88.0.0/24 accept; nft insert rule ${t} ip daddr 10.88.0.0/24 accept`;

describe("nft coexistence over both families: ip6 tables, inet tables and ip6 address matches judge IPv6 flows", () => {
  test.each<[string, string, Flow[], "nftables" | "iptables", string[]]>([
    [
      "an ip6 table's forward policy drop names the IPv6 flows only, fixed with ip6 saddr/daddr",
      table("ip6 fw6", "f6", "type filter hook forward priority filter; policy drop;"),
      DUAL,
      "nftables",
      [
        `P nftables: table ip6 fw6 chain f6 (hook forward, policy drop) drops traffic this stack forwards: from fd00:88::/64, to fd00:88::/64. ${WHY_NFT} ` +
          `Fix: ${FIX6("ip6 fw6 f6")}.`,
      ],
    ],
    [
      "an inet table's policy drop (firewalld) names both families' flows, each with its own match",
      table("inet firewalld", "filter_FORWARD", "type filter hook forward priority filter + 10; policy drop;", "ct state established,related accept"),
      DUAL,
      "nftables",
      [
        `P nftables: table inet firewalld chain filter_FORWARD (hook forward, policy drop) drops traffic this stack forwards: ` +
          `from 10.88.0.0/24, from fd00:88::/64, to 10.88.0.0/24, to fd00:88::/64. ${WHY_NFT} ` +
          "Fix: nft insert rule inet firewalld filter_FORWARD ip saddr 10.88.0.0/24 accept; nft insert rule inet firewalld filter_FORWARD ip6 saddr fd00:88::/64 accept; " +
          "nft insert rule inet firewalld filter_FORWARD ip daddr 10.88.0.0/24 accept; nft insert rule inet firewalld filter_FORWARD ip6 daddr fd00:88::/64 accept.",
      ],
    ],
    [
      "an ip table's policy drop leaves the IPv6 flows alone (the table never sees them)",
      table("ip fw4", "f4", "type filter hook forward priority filter; policy drop;"),
      DUAL,
      "nftables",
      [
        `P nftables: table ip fw4 chain f4 (hook forward, policy drop) drops traffic this stack forwards: from 10.88.0.0/24, to 10.88.0.0/24. ${WHY_NFT} ` +
          `Fix: ${FIX4("ip fw4 f4")}.`,
      ],
    ],
    [
      "ip6 accepts of a covering prefix before an inet policy drop: only the IPv4 flows are named",
      table(
        "inet fw",
        "ff",
        "type filter hook forward priority filter + 10; policy drop;",
        "ip6 saddr fd00:88::/48 accept",
        'ip6 daddr fd00:80::/27 counter accept comment "lab"',
      ),
      DUAL,
      "nftables",
      [
        `P nftables: table inet fw chain ff (hook forward, policy drop) drops traffic this stack forwards: from 10.88.0.0/24, to 10.88.0.0/24. ${WHY_NFT} ` +
          `Fix: nft insert rule inet fw ff ip saddr 10.88.0.0/24 accept; nft insert rule inet fw ff ip daddr 10.88.0.0/24 accept.`,
      ],
    ],
    [
      "ip accepts in an inet table do not accept IPv6 flows",
      table("inet fw", "ff", "type filter hook forward priority 0; policy drop;", "ip saddr 10.88.0.0/24 accept", "ip daddr 10.0.0.0/8 accept"),
      DUAL,
      "nftables",
      [
        `P nftables: table inet fw chain ff (hook forward, policy drop) drops traffic this stack forwards: from fd00:88::/64, to fd00:88::/64. ${WHY_NFT} Fix: ${FIX6("inet fw ff")}.`,
      ],
    ],
    [
      "an ip6 drop rule of a covering /63 names the rule",
      table("ip6 fw6", "f6", "type filter hook forward priority filter; policy accept;", "ip6 saddr fd00:88::/63 counter drop"),
      DUAL,
      "nftables",
      [
        `P nftables: table ip6 fw6 chain f6 (hook forward) drops traffic this stack forwards: from fd00:88::/64 (rule "ip6 saddr fd00:88::/63 counter drop"). ${WHY_NFT} ` +
          "Fix: nft insert rule ip6 fw6 f6 ip6 saddr fd00:88::/64 accept.",
      ],
    ],
    [
      "an ip6 drop of the port forward's /128 target",
      table("inet fw", "ff", "type filter hook forward priority 0; policy accept;", "ip6 daddr fd00:88::5 drop"),
      FWD6,
      "nftables",
      [
        `P nftables: table inet fw chain ff (hook forward) drops traffic this stack forwards: to fd00:88::5/128 (rule "ip6 daddr fd00:88::5 drop"). ${WHY_NFT} ` +
          "Fix: nft insert rule inet fw ff ip6 daddr fd00:88::5/128 accept.",
      ],
    ],
    [
      "drops of a neighbouring /64, of IPv4 subnets and of IPv4-mapped addresses decide nothing for the IPv6 flows",
      table(
        "inet fw",
        "ff",
        "type filter hook forward priority 0; policy accept;",
        "ip6 saddr fd00:89::/64 drop",
        "ip saddr 0.0.0.0/0 drop",
        "ip6 saddr ::ffff:10.0.0.0/104 drop",
        "meta nfproto ipv6 drop",
      ),
      MASQ6,
      "nftables",
      [],
    ],
    [
      "ip6tables-nft's FORWARD DROP (table ip6 filter): nft, or firewall iptables",
      table("ip6 filter", "FORWARD", "type filter hook forward priority filter; policy drop;"),
      MASQ6,
      "nftables",
      [
        `P nftables: table ip6 filter chain FORWARD (hook forward, policy drop) drops traffic this stack forwards: from fd00:88::/64, to fd00:88::/64. ${WHY_NFT} ` +
          `Fix: ${FIX6("ip6 filter FORWARD")}, or set firewall: "iptables" on the Host (hostnet's accepts then go into this chain).`,
      ],
    ],
    [
      "beside iptables: native ip6 and inet tables judge IPv6 flows; ip6tables-nft's table is left to the ip6tables-save reader",
      [
        table("ip6 filter", "FORWARD", "type filter hook forward priority filter; policy drop;"),
        table("ip6 fw6", "f6", "type filter hook forward priority filter; policy drop;"),
      ].join("\n"),
      MASQ6,
      "iptables",
      [
        `P nftables: table ip6 fw6 chain f6 (hook forward, policy drop) drops traffic this stack forwards: from fd00:88::/64, to fd00:88::/64. ${WHY_IPT} ` +
          `Fix: ${FIX6("ip6 fw6 f6")}.`,
      ],
    ],
  ])("%s", (_name, ruleset, flows, mode, lines) => {
    expect(scan(ruleset, flows, mode)).toEqual(lines);
  });
});

/** Runs a script as root in a throwaway network namespace (`unshare -n`): its own nft ruleset and legacy tables, gone with it. */
function inScratchNetns(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("unshare", ["-n", "sh", "-c", script], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("hn_fw_scan with nftables, on real nft and ip6tables-legacy in a scratch network namespace", () => {
  test("an ip6 table's policy drop and the legacy ip6tables FORWARD DROP are both named for the IPv6 flows", () => {
    const setup = [
      "nft -f - <<'EOF'",
      "table ip6 fw6 {",
      "  chain f6 {",
      "    type filter hook forward priority filter; policy drop;",
      "    ip6 saddr fd00:99::/64 accept",
      "  }",
      "}",
      "EOF",
      "ip6tables-legacy -w -P FORWARD DROP",
    ];
    const r = inScratchNetns([...setup, ...renderFirewallScan(DUAL, { firewall: "nftables", stack: "s" }), "hn_fw_scan"].join("\n"));
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").filter((l) => l)).toEqual([
      `P nftables: table ip6 fw6 chain f6 (hook forward, policy drop) drops traffic this stack forwards: from fd00:88::/64, to fd00:88::/64. ${WHY_NFT} ` +
        `Fix: ${FIX6("ip6 fw6 f6")}.`,
      "P ip6tables-legacy: the filter FORWARD policy DROP drops traffic this stack forwards (from fd00:88::/64, to fd00:88::/64) " +
        "(hostnet writes its rules with nftables; a forwarded packet must pass this FORWARD chain too, so the accepts in hostnet's table do not help here). " +
        "Fix: ip6tables-legacy -I FORWARD -s fd00:88::/64 -j ACCEPT; ip6tables-legacy -I FORWARD -d fd00:88::/64 -j ACCEPT, " +
        "or remove the legacy rules if nothing on the host needs them (ip6tables-legacy -P FORWARD ACCEPT; ip6tables-legacy -F FORWARD), " +
        'or set firewall: "iptables" on the Host and, before the first deploy, make ip6tables-legacy the host\'s ip6tables ' +
        "(update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy) so that hostnet's accepts go into this chain.",
    ]);
  });
});

describe("the legacy backend beside nftables: a fix that fits nftables", () => {
  const legacy = (writer: string, tool?: string) => {
    const words = mergeFlows(MASQ)
      .map((f) => `${f.dir}:${f.cidr}:${f.own ? 1 : 0}`)
      .join(" ");
    const vars = [
      "-v",
      "b=iptables-legacy",
      "-v",
      "active=0",
      "-v",
      `writer=${writer}`,
      "-v",
      `flows=${words}`,
      ...(tool ? ["-v", `tool=${tool}`] : []),
    ];
    const save = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", "COMMIT", ""].join("\n");
    const r = spawnSync("awk", [...vars, FIREWALL_AWK], { input: save, encoding: "utf8" });
    return r.stdout.split("\n").filter((l) => l);
  };

  test("under nftables: accept the flows there, remove the legacy rules, or move the stack to iptables-legacy; no alternatives switch alone", () => {
    expect(legacy("nftables")).toEqual([
      "P iptables-legacy: the filter FORWARD policy DROP drops traffic this stack forwards (from 10.88.0.0/24, to 10.88.0.0/24) " +
        "(hostnet writes its rules with nftables; a forwarded packet must pass this FORWARD chain too, so the accepts in hostnet's table do not help here). " +
        "Fix: iptables-legacy -I FORWARD -s 10.88.0.0/24 -j ACCEPT; iptables-legacy -I FORWARD -d 10.88.0.0/24 -j ACCEPT, " +
        "or remove the legacy rules if nothing on the host needs them (iptables-legacy -P FORWARD ACCEPT; iptables-legacy -F FORWARD), " +
        'or set firewall: "iptables" on the Host and, before the first deploy, make iptables-legacy the host\'s iptables ' +
        "(update-alternatives --set iptables /usr/sbin/iptables-legacy) so that hostnet's accepts go into this chain.",
    ]);
  });

  test("under iptables-nft the switch names the tool of the family: ip6tables for ip6tables-legacy", () => {
    expect(legacy("ip6tables-nft", "ip6tables")[0]).toContain("(update-alternatives --set ip6tables /usr/sbin/iptables-legacy)");
    expect(legacy("iptables-nft")[0]).toContain("(update-alternatives --set iptables /usr/sbin/iptables-legacy)");
  });
});
