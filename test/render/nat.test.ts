import * as fs from "fs";
import * as path from "path";
import { describeRule, natRules, renderNat, Rule } from "../../src/render/nat";
import { createScript, destroyScript } from "../../src/render/script";
import { NatSpec, ObjectRef } from "../../src/render/types";
import { FakeHost, syntaxErrors } from "../support/fake-host";
import { inNatLock } from "../support/nat-lock";

const ref: ObjectRef = { stack: "s", path: "s/a/nat", id: "0123456789ab", tag: "hostnet:s:s/a/nat" };
const TAG = ref.tag;
const header = { kind: "nat", name: "nat" };

describe("natRules", () => {
  test.each<[string, NatSpec, Rule[]]>([
    [
      "masquerade that leaves the bridge alone, with forwarding",
      { type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: true },
      [
        { table: "nat", chain: "POSTROUTING", spec: ["-s", "10.0.0.0/24", "!", "-o", "br0", "-j", "MASQUERADE"] },
        { table: "filter", chain: "FORWARD", spec: ["-s", "10.0.0.0/24", "-j", "ACCEPT"] },
        { table: "filter", chain: "FORWARD", spec: ["-d", "10.0.0.0/24", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"] },
      ],
    ],
    [
      "bare masquerade",
      { type: "masquerade", source: "10.0.0.0/24", allowForward: false },
      [{ table: "nat", chain: "POSTROUTING", spec: ["-s", "10.0.0.0/24", "-j", "MASQUERADE"] }],
    ],
    [
      "snat out of one interface",
      { type: "snat", source: "10.0.0.0/24", toSource: "192.0.2.1", outInterface: "eth0", allowForward: false },
      [{ table: "nat", chain: "POSTROUTING", spec: ["-s", "10.0.0.0/24", "-o", "eth0", "-j", "SNAT", "--to-source", "192.0.2.1"], first: true }],
    ],
    [
      "snat with forwarding",
      { type: "snat", source: "10.0.0.5/32", toSource: "192.0.2.1", allowForward: true },
      [
        { table: "nat", chain: "POSTROUTING", spec: ["-s", "10.0.0.5/32", "-j", "SNAT", "--to-source", "192.0.2.1"], first: true },
        { table: "filter", chain: "FORWARD", spec: ["-s", "10.0.0.5/32", "-j", "ACCEPT"] },
        { table: "filter", chain: "FORWARD", spec: ["-d", "10.0.0.5/32", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"] },
      ],
    ],
    [
      "port forward on any local address, from the host too, with forwarding both ways",
      { type: "dnat", protocol: "tcp", hostPort: 8080, toAddress: "10.0.0.2", toPort: 80, fromHost: true, allowForward: true },
      [
        {
          table: "nat",
          chain: "PREROUTING",
          spec: ["-p", "tcp", "-m", "addrtype", "--dst-type", "LOCAL", "--dport", 8080, "-j", "DNAT", "--to-destination", "10.0.0.2:80"],
        },
        {
          table: "nat",
          chain: "OUTPUT",
          spec: [
            "-p",
            "tcp",
            "-m",
            "addrtype",
            "--dst-type",
            "LOCAL",
            "!",
            "-d",
            "127.0.0.0/8",
            "--dport",
            8080,
            "-j",
            "DNAT",
            "--to-destination",
            "10.0.0.2:80",
          ],
        },
        { table: "filter", chain: "FORWARD", spec: ["-p", "tcp", "-d", "10.0.0.2", "--dport", 80, "-j", "ACCEPT"] },
        // The service's replies are forwarded too; without this a FORWARD policy of DROP eats them.
        {
          table: "filter",
          chain: "FORWARD",
          spec: ["-p", "tcp", "-s", "10.0.0.2", "--sport", 80, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
        },
      ],
    ],
    [
      "udp port forward on one host address only",
      {
        type: "dnat",
        protocol: "udp",
        hostPort: 53,
        hostAddress: "192.0.2.1",
        toAddress: "10.0.0.3",
        toPort: 5353,
        fromHost: false,
        allowForward: false,
      },
      [
        {
          table: "nat",
          chain: "PREROUTING",
          spec: ["-p", "udp", "-d", "192.0.2.1", "--dport", 53, "-j", "DNAT", "--to-destination", "10.0.0.3:5353"],
        },
      ],
    ],
  ])("%s", (_name, spec, rules) => {
    expect(natRules(spec)).toEqual(rules);
  });
});

describe("renderNat", () => {
  test("masquerade: every rule in one iptables-restore when none is there, else check-then-append in order; destroy: one restore, else every copy in reverse order", () => {
    const hooks = renderNat({ type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: true }, ref);
    const c = `-m comment --comment ${TAG}`;
    const rules = [
      ["nat", "POSTROUTING -s 10.0.0.0/24 '!' -o br0 -j MASQUERADE"],
      ["filter", "FORWARD -s 10.0.0.0/24 -j ACCEPT"],
      ["filter", "FORWARD -d 10.0.0.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"],
    ];
    const create = inNatLock(hooks.create);
    expect(create.slice(0, 3)).toEqual([
      "hn_nl=$(printf '\\nx'); hn_nl=${hn_nl%x}",
      "hn_fresh=1",
      // No iptables-save output: rule by rule.
      "hn_ipt=$(iptables-save 2>/dev/null) || { hn_ipt=; hn_fresh=0; }",
    ]);
    // The tables hostnet makes are noted from that one iptables-save.
    expect(create[3]).toContain(`*"$hn_nl"'*nat'"$hn_nl"*) ;; *) [ -f /run/hostnet/.tables/host.nat ] ||`);
    expect(create[4]).toContain(`*"$hn_nl"'*filter'"$hn_nl"*) ;; *) [ -f /run/hostnet/.tables/host.filter ] ||`);
    expect(create[5]).toMatch(/^case "\$hn_ipt\$hn_nl" in .*\) hn_fresh=0 ;; esac$/);
    const input = ["'*nat'", ...rules.slice(0, 1), "COMMIT", "'*filter'", ...rules.slice(1), "COMMIT"]
      .map((r) => (Array.isArray(r) ? `'-A ${r[1].replace("'!'", "!")} ${c}'` : r))
      .join(" ");
    expect(create.slice(6)).toEqual([
      `if [ "$hn_fresh" = 0 ] || ! printf '%s\\n' ${input} | iptables-restore -w --noflush 2>/dev/null; then`,
      ...rules.map(([t, r]) => `  iptables -w -t ${t} -C ${r} ${c} 2>/dev/null || iptables -w -t ${t} -A ${r} ${c}`),
      "fi",
    ]);
    const d = inNatLock(hooks.destroy);
    const each = [...rules]
      .reverse()
      .map(([t, r]) => `while iptables -w -t ${t} -C ${r} ${c} 2>/dev/null; do iptables -w -t ${t} -D ${r} ${c}; done`);
    expect(d.slice(0, 5)).toEqual([
      create[0],
      "hn_each=1",
      "if hn_ipt=$(iptables-save 2>/dev/null); then",
      "  hn_each=0",
      `  case "$hn_ipt$hn_nl" in ${create[5].slice('case "$hn_ipt$hn_nl" in '.length, -" hn_fresh=0 ;; esac".length)}`,
    ]);
    expect(d[5]).toMatch(
      /^ {4}printf '%s\\n' "\$hn_ipt" \| awk -v tag=hostnet:s:s\/a\/nat '[^']*' \| iptables-restore -w --noflush 2>\/dev\/null \|\| hn_each=1 ;;$/,
    );
    // No iptables-save output, or the restore failed: every copy, rule by rule, in reverse order.
    expect(d.slice(6, 13)).toEqual(["  esac", "fi", 'if [ "$hn_each" = 1 ]; then', ...each.map((l) => `  ${l}`), "fi"]);
    expect(d.slice(13)).toEqual([
      "if [ -f /run/hostnet/.tables/host.nat ] && hn_tbl=$(iptables-save -t nat) && ! " +
        "printf '%s\\n' \"$hn_tbl\" | grep -v -e '^#' -e '^\\*nat$' -e '^COMMIT$' -e '^:[A-Z]* ACCEPT ' | grep -q .; then",
      "  printf '*nat\\nCOMMIT\\n' | iptables-restore -w",
      "  rm -f /run/hostnet/.tables/host.nat; rmdir /run/hostnet/.tables 2>/dev/null || true",
      "fi",
      "if [ -f /run/hostnet/.tables/host.filter ] && hn_tbl=$(iptables-save -t filter) && ! " +
        "printf '%s\\n' \"$hn_tbl\" | grep -v -e '^#' -e '^\\*filter$' -e '^COMMIT$' -e '^:[A-Z]* ACCEPT ' | grep -q .; then",
      "  printf '*filter\\nCOMMIT\\n' | iptables-restore -w",
      "  rm -f /run/hostnet/.tables/host.filter; rmdir /run/hostnet/.tables 2>/dev/null || true",
      "fi",
    ]);
  });

  test("a rule word iptables-restore would not read as one word keeps the rule-by-rule scripts", () => {
    const hooks = renderNat({ type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br 0", allowForward: false }, ref);
    expect([...hooks.create, ...hooks.destroy].join("\n")).not.toContain("--noflush");
    expect(hooks.create[hooks.create.length - 2]).toMatch(/^ {2}iptables -w -t nat -C POSTROUTING .* \|\| iptables -w -t nat -A POSTROUTING /);
  });

  test("dnat inside a namespace runs every iptables tool there and skips destroy when the namespace is gone", () => {
    const hooks = renderNat(
      { type: "dnat", protocol: "tcp", hostPort: 80, toAddress: "10.0.0.2", toPort: 8080, fromHost: false, allowForward: false, netns: "edge" },
      ref,
    );
    const all = [...hooks.create, ...hooks.destroy].join("\n");
    expect(all.match(/(?:ip netns exec edge )?iptables(?:-save|-restore)? /g)!.every((w) => w.startsWith("ip netns exec edge "))).toBe(true);
    expect(hooks.destroy[0]).toBe("if ! [ ! -e /run/netns/edge ]; then");
    // A namespace that is gone took its tables along: only the notes go.
    expect(hooks.destroy.slice(-3)).toEqual([
      "else",
      "  rm -f /run/hostnet/.tables/ns-edge.nat; rmdir /run/hostnet/.tables 2>/dev/null || true",
      "fi",
    ]);
  });

  test("every rule line carries the tag as its comment", () => {
    const hooks = renderNat(
      { type: "dnat", protocol: "tcp", hostPort: 8080, toAddress: "10.0.0.2", toPort: 80, fromHost: true, allowForward: true },
      ref,
    );
    for (const line of [...hooks.create, ...hooks.destroy]) {
      for (const part of line.split(/ \|\| | do |; done/).filter((p) => / iptables -w /.test(` ${p}`)))
        expect(part).toContain(`-m comment --comment ${TAG}`);
    }
  });

  test("describeRule lists a rule as iptables-save would", () => {
    const [r] = natRules({ type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: false });
    expect(describeRule(r, TAG)).toBe(`-t nat -A POSTROUTING -s 10.0.0.0/24 '!' -o br0 -j MASQUERADE -m comment --comment ${TAG}`);
  });

  test.each<NatSpec>([
    { type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: true },
    { type: "snat", source: "10.0.0.0/24", toSource: "192.0.2.1", outInterface: "eth0", allowForward: true },
    { type: "dnat", protocol: "udp", hostPort: 53, toAddress: "10.0.0.2", toPort: 53, fromHost: true, allowForward: true, netns: "edge" },
  ])("scripts parse with sh -n and bash -n (%j)", (spec) => {
    const hooks = renderNat(spec, ref);
    for (const s of [createScript(hooks, ref, header), destroyScript(hooks, ref, header)]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });
});

describe("nat hooks on a fake host", () => {
  let host: FakeHost;
  beforeEach(() => (host = new FakeHost()));
  afterEach(() => host.dispose());
  const hooks = renderNat({ type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: true }, ref);
  const create = createScript(hooks, ref, header);
  const destroy = destroyScript(hooks, ref, header);
  const c = `-m comment --comment ${TAG}`;

  test("create appends each rule once, however often it runs", () => {
    host.run(create);
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    expect(host.rules()).toEqual([
      `nat POSTROUTING -s 10.0.0.0/24 ! -o br0 -j MASQUERADE ${c}`,
      `filter FORWARD -s 10.0.0.0/24 -j ACCEPT ${c}`,
      `filter FORWARD -d 10.0.0.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT ${c}`,
    ]);
  });

  test("destroy removes every copy of its rules and leaves other rules", () => {
    host.addRule("filter FORWARD -j DOCKER-USER");
    host.run(create);
    host.addRule(`filter FORWARD -s 10.0.0.0/24 -j ACCEPT ${c}`);
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
    expect(host.rules()).toEqual(["filter FORWARD -j DOCKER-USER"]);
  });

  test("destroy succeeds when the rules were already deleted by hand", () => {
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
    expect(host.rules()).toEqual([]);
  });
});

describe("nat tables hostnet made go with their last rule (fake host)", () => {
  let host: FakeHost;
  beforeEach(() => (host = new FakeHost()));
  afterEach(() => host.dispose());
  const tables = () =>
    fs.existsSync(path.join(host.dir, "tables"))
      ? fs
          .readFileSync(path.join(host.dir, "tables"), "utf8")
          .split("\n")
          .filter((l) => l)
      : [];
  const hasTable = (t: string) => host.run(`iptables-save | grep -qxF '*${t}'`).status === 0;
  const notes = () => (fs.existsSync(host.ledgerPath(".tables")) ? fs.readdirSync(host.ledgerPath(".tables")).sort() : null);
  const refB: ObjectRef = { stack: "s", path: "s/a/fwd", id: "bbbbbbbbbbbb", tag: "hostnet:s:s/a/fwd" };
  const masq = renderNat({ type: "masquerade", source: "10.0.0.0/24", allowForward: true }, ref);
  const fwd = renderNat(
    { type: "dnat", protocol: "tcp", hostPort: 8080, toAddress: "10.0.0.2", toPort: 80, fromHost: false, allowForward: false },
    refB,
  );

  test("on a host without tables: create notes nat and filter; destroy removes both tables, the notes and their folder", () => {
    expect(host.run(createScript(masq, ref, header)).status).toBe(0);
    expect(tables()).toEqual(["nat", "filter"]);
    expect(notes()).toEqual(["host.filter", "host.nat"]);
    expect(host.run(destroyScript(masq, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect([hasTable("nat"), hasTable("filter")]).toEqual([false, false]);
    expect(notes()).toBeNull();
  });

  test("a table that existed before is noted by nobody and stays", () => {
    fs.writeFileSync(path.join(host.dir, "tables"), "filter\n");
    expect(host.run(createScript(masq, ref, header)).status).toBe(0);
    expect(notes()).toEqual(["host.nat"]);
    expect(host.run(destroyScript(masq, ref, header)).status).toBe(0);
    expect([hasTable("nat"), hasTable("filter")]).toEqual([false, true]);
  });

  test("two objects in one table: the first destroy keeps the table for the second, the second removes it", () => {
    host.run(createScript(masq, ref, header));
    host.run(createScript(fwd, refB, header));
    expect(host.run(destroyScript(masq, ref, header)).status).toBe(0);
    expect(hasTable("nat")).toBe(true);
    expect(notes()).toEqual(["host.nat"]);
    expect(host.run(destroyScript(fwd, refB, header)).status).toBe(0);
    expect(hasTable("nat")).toBe(false);
    expect(notes()).toBeNull();
  });

  test("a rule someone else added to a table hostnet made keeps the table (and the note)", () => {
    host.run(createScript(masq, ref, header));
    host.run("iptables -w -t nat -A POSTROUTING -j RETURN");
    expect(host.run(destroyScript(masq, ref, header)).status).toBe(0);
    expect(host.rules()).toEqual(["nat POSTROUTING -j RETURN"]);
    expect(notes()).toEqual(["host.nat"]);
  });
});
