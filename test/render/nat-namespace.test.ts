// NAT in a namespace (router namespaces), 1:1 NAT, and hairpin NAT for port forwards.
import { natRules, renderNat, Rule } from "../../src/render/nat";
import { createScript, destroyScript } from "../../src/render/script";
import { NatSpec, ObjectRef } from "../../src/render/types";
import { FakeHost, syntaxErrors } from "../support/fake-host";
import { inNatLock } from "../support/nat-lock";

const ref: ObjectRef = { stack: "s", path: "s/a/router/nat", id: "0123456789ab", tag: "hostnet:s:s/a/router/nat" };
const TAG = ref.tag;
const header = { kind: "static", name: "1:1" };

describe("natRules: 1:1 NAT and hairpin", () => {
  test.each<[string, NatSpec, Rule[]]>([
    [
      "1:1 NAT: DNAT of the outside address (also for local connections), SNAT of the inside one, forwarding both ways",
      { type: "static", inside: "10.95.1.3", outside: "198.19.51.103", allowForward: true },
      [
        { table: "nat", chain: "PREROUTING", spec: ["-d", "198.19.51.103/32", "-j", "DNAT", "--to-destination", "10.95.1.3"] },
        { table: "nat", chain: "OUTPUT", spec: ["-d", "198.19.51.103/32", "-j", "DNAT", "--to-destination", "10.95.1.3"] },
        { table: "nat", chain: "POSTROUTING", spec: ["-s", "10.95.1.3/32", "-j", "SNAT", "--to-source", "198.19.51.103"], first: true },
        { table: "filter", chain: "FORWARD", spec: ["-d", "10.95.1.3/32", "-j", "ACCEPT"] },
        { table: "filter", chain: "FORWARD", spec: ["-s", "10.95.1.3/32", "-j", "ACCEPT"] },
      ],
    ],
    [
      "1:1 NAT without forwarding rules",
      { type: "static", inside: "10.0.0.3", outside: "192.0.2.3", allowForward: false },
      [
        { table: "nat", chain: "PREROUTING", spec: ["-d", "192.0.2.3/32", "-j", "DNAT", "--to-destination", "10.0.0.3"] },
        { table: "nat", chain: "OUTPUT", spec: ["-d", "192.0.2.3/32", "-j", "DNAT", "--to-destination", "10.0.0.3"] },
        { table: "nat", chain: "POSTROUTING", spec: ["-s", "10.0.0.3/32", "-j", "SNAT", "--to-source", "192.0.2.3"], first: true },
      ],
    ],
    [
      "port forward with hairpin: connections from the target's subnet that were DNATed are masqueraded",
      {
        type: "dnat",
        protocol: "tcp",
        hostPort: 10080,
        toAddress: "10.92.0.2",
        toPort: 80,
        fromHost: false,
        allowForward: false,
        hairpinSource: "10.92.0.0/24",
      },
      [
        {
          table: "nat",
          chain: "PREROUTING",
          spec: ["-p", "tcp", "-m", "addrtype", "--dst-type", "LOCAL", "--dport", 10080, "-j", "DNAT", "--to-destination", "10.92.0.2:80"],
        },
        {
          table: "nat",
          chain: "POSTROUTING",
          spec: ["-s", "10.92.0.0/24", "-d", "10.92.0.2", "-p", "tcp", "--dport", 80, "-m", "conntrack", "--ctstate", "DNAT", "-j", "MASQUERADE"],
        },
      ],
    ],
  ])("%s", (_name, spec, rules) => {
    expect(natRules(spec)).toEqual(rules);
  });
});

describe("renderNat in a namespace", () => {
  test.each<NatSpec>([
    { type: "masquerade", source: "10.0.0.0/24", allowForward: false, netns: "router" },
    { type: "snat", source: "10.0.0.0/24", toSource: "192.0.2.1", allowForward: false, netns: "router" },
    { type: "static", inside: "10.0.0.3", outside: "192.0.2.3", allowForward: false, netns: "router" },
  ])("every rule of a $type runs through ip netns exec, and destroy is skipped when the namespace is gone", (spec) => {
    const hooks = renderNat(spec, ref);
    const rules = natRules(spec);
    const all = [...hooks.create, ...hooks.destroy].join("\n");
    // Every iptables tool, in the create and in the destroy, runs in the namespace.
    expect(all.match(/(?:ip netns exec router )?iptables(?:-save|-restore)? -?/g)!.every((w) => w.startsWith("ip netns exec router "))).toBe(true);
    expect(
      hooks.create.filter((l) => / iptables -w -t \w+ -C .* 2>\/dev\/null \|\| ip netns exec router iptables -w -t \w+ -(A|I \w+ 1) /.test(l)),
    ).toHaveLength(rules.length);
    expect(hooks.destroy[0]).toBe("if ! [ ! -e /run/netns/router ]; then");
    expect(hooks.destroy[hooks.destroy.length - 1]).toBe("fi");
  });

  test("masquerade in a namespace: exact lines", () => {
    const hooks = renderNat({ type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: false, netns: "router" }, ref);
    const rule = `POSTROUTING -s 10.0.0.0/24 '!' -o br0 -j MASQUERADE -m comment --comment ${TAG}`;
    const tagged = `*' --comment "${TAG}" '*|*' --comment "${TAG}"'"$hn_nl"*|*' --comment ${TAG} '*|*' --comment ${TAG}'"$hn_nl"*`;
    expect(inNatLock(hooks.create)).toEqual([
      "hn_nl=$(printf '\\nx'); hn_nl=${hn_nl%x}",
      "hn_fresh=1",
      "hn_ipt=$(ip netns exec router iptables-save 2>/dev/null) || { hn_ipt=; hn_fresh=0; }",
      `case "$hn_nl$hn_ipt$hn_nl" in *"$hn_nl"'*nat'"$hn_nl"*) ;; *) [ -f /run/hostnet/.tables/ns-router.nat ] || { mkdir -p /run/hostnet/.tables; : > /run/hostnet/.tables/ns-router.nat; } ;; esac`,
      `case "$hn_ipt$hn_nl" in ${tagged}) hn_fresh=0 ;; esac`,
      `if [ "$hn_fresh" = 0 ] || ! printf '%s\\n' '*nat' '-A ${rule.replace("'!'", "!")}' COMMIT | ip netns exec router iptables-restore -w --noflush 2>/dev/null; then`,
      `  ip netns exec router iptables -w -t nat -C ${rule} 2>/dev/null || ip netns exec router iptables -w -t nat -A ${rule}`,
      "fi",
    ]);
    // The destroy's body inside the lock, inside the check that the namespace is there.
    const inner = hooks.destroy.slice(1, hooks.destroy.indexOf("else"));
    const d = [hooks.destroy[0], ...inNatLock(inner, "  "), ...hooks.destroy.slice(hooks.destroy.indexOf("else"))];
    const each = `while ip netns exec router iptables -w -t nat -C ${rule} 2>/dev/null; do ip netns exec router iptables -w -t nat -D ${rule}; done`;
    expect(d.slice(0, 7)).toEqual([
      "if ! [ ! -e /run/netns/router ]; then",
      "  hn_nl=$(printf '\\nx'); hn_nl=${hn_nl%x}",
      "  hn_each=1",
      "  if hn_ipt=$(ip netns exec router iptables-save 2>/dev/null); then",
      "    hn_each=0",
      `    case "$hn_ipt$hn_nl" in ${tagged})`,
      expect.stringMatching(
        /^ {6}printf '%s\\n' "\$hn_ipt" \| awk -v tag=hostnet:s:s\/a\/router\/nat '[^']*' \| ip netns exec router iptables-restore -w --noflush 2>\/dev\/null \|\| hn_each=1 ;;$/,
      ),
    ]);
    expect(d.slice(7)).toEqual([
      "    esac",
      "  fi",
      // No iptables-save output, or the restore failed: rule by rule.
      '  if [ "$hn_each" = 1 ]; then',
      `    ${each}`,
      "  fi",
      "  if [ -f /run/hostnet/.tables/ns-router.nat ] && hn_tbl=$(ip netns exec router iptables-save -t nat) && ! " +
        "printf '%s\\n' \"$hn_tbl\" | grep -v -e '^#' -e '^\\*nat$' -e '^COMMIT$' -e '^:[A-Z]* ACCEPT ' | grep -q .; then",
      "    printf '*nat\\nCOMMIT\\n' | ip netns exec router iptables-restore -w",
      "    rm -f /run/hostnet/.tables/ns-router.nat; rmdir /run/hostnet/.tables 2>/dev/null || true",
      "  fi",
      "else",
      "  rm -f /run/hostnet/.tables/ns-router.nat; rmdir /run/hostnet/.tables 2>/dev/null || true",
      "fi",
    ]);
  });

  test("root-namespace specs render as before (no ip netns exec)", () => {
    const hooks = renderNat({ type: "static", inside: "10.0.0.3", outside: "192.0.2.3", allowForward: true }, ref);
    for (const line of [...hooks.create, ...hooks.destroy]) expect(line).not.toContain("ip netns exec");
  });

  test.each<NatSpec>([
    { type: "static", inside: "10.0.0.3", outside: "192.0.2.3", allowForward: true, netns: "router" },
    {
      type: "dnat",
      protocol: "tcp",
      hostPort: 10080,
      toAddress: "10.92.0.2",
      toPort: 80,
      fromHost: true,
      allowForward: true,
      hairpinSource: "10.92.0.0/24",
    },
    { type: "snat", source: "10.0.0.0/24", toSource: "192.0.2.1", allowForward: true, netns: "r o" },
  ])("scripts parse with sh -n and bash -n (%j)", (spec) => {
    const hooks = renderNat(spec, ref);
    for (const s of [createScript(hooks, ref, header), destroyScript(hooks, ref, header)]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });
});

describe("1:1 NAT in a namespace on a fake host", () => {
  let host: FakeHost;
  beforeEach(() => (host = new FakeHost()));
  afterEach(() => host.dispose());
  const hooks = renderNat({ type: "static", inside: "10.95.1.3", outside: "198.19.51.103", allowForward: true, netns: "router" }, ref);
  const c = `-m comment --comment ${TAG}`;

  test("create adds the five rules once; destroy removes them; destroy succeeds once the namespace is gone", () => {
    host.addNetns("router");
    const create = createScript(hooks, ref, header);
    host.run(create);
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    // The SNAT is inserted at the top of POSTROUTING (before any masquerade of the subnet around it).
    expect(host.rules()).toEqual([
      `nat POSTROUTING -s 10.95.1.3/32 -j SNAT --to-source 198.19.51.103 ${c}`,
      `nat PREROUTING -d 198.19.51.103/32 -j DNAT --to-destination 10.95.1.3 ${c}`,
      `nat OUTPUT -d 198.19.51.103/32 -j DNAT --to-destination 10.95.1.3 ${c}`,
      `filter FORWARD -d 10.95.1.3/32 -j ACCEPT ${c}`,
      `filter FORWARD -s 10.95.1.3/32 -j ACCEPT ${c}`,
    ]);
    // Every iptables call went through the router namespace.
    const log = host.log();
    expect(log.filter((l) => l.startsWith("ip netns exec router iptables"))).toHaveLength(
      log.filter((l) => /^iptables(-save|-restore)? /.test(l)).length,
    );
    expect(host.run(destroyScript(hooks, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect(host.rules()).toEqual([]);
    host.run(create);
    host.deleteNetns("router");
    host.clearLog();
    expect(host.run(destroyScript(hooks, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect(host.log()).toEqual([]);
  });
});
