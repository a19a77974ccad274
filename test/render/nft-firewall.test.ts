import { spawnSync } from "child_process";
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
    expect(body).toContain("grep -qs . /proc/net/ip_tables_names || return 0");
    expect(syntaxErrors(body)).toBe("");
    expect(syntaxErrors(renderFirewallScan(MASQ, { firewall: "auto", stack: "s" }).join("\n"))).toBe("");
  });
});
