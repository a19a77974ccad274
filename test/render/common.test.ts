import {
  deleteOwnedLink,
  ensureLink,
  inNetns,
  ip,
  ledgerDir,
  ledgerFile,
  netnsGone,
  netnsPresent,
  tc,
  unlessNetnsGone,
  where,
} from "../../src/render/common";

describe("command helpers", () => {
  test.each([
    [undefined, ["link", "show", "dev", "br0"], "ip link show dev br0"],
    ["web", ["link", "show", "dev", "br0"], "ip -n web link show dev br0"],
    ["web", ["link", "set", "dev", "eth0", "mtu", 9000], "ip -n web link set dev eth0 mtu 9000"],
    [undefined, ["addr", "replace", "10.0.0.1/24", "dev", "a b"], "ip addr replace 10.0.0.1/24 dev 'a b'"],
  ] as const)("ip(%p, %j) is %s", (netns, words, want) => {
    expect(ip(netns, ...words)).toBe(want);
  });

  test.each([
    [undefined, "iptables -w -L", "iptables -w -L"],
    ["web", "iptables -w -L", "ip netns exec web iptables -w -L"],
  ] as const)("inNetns(%p) is %s", (netns, _words, want) => {
    expect(inNetns(netns, "iptables", "-w", "-L")).toBe(want);
  });

  test.each([
    [undefined, null],
    ["web", "[ ! -e /run/netns/web ]"],
  ] as const)("netnsGone(%p) is %p", (netns, want) => {
    expect(netnsGone(netns)).toBe(want);
  });

  test.each([
    [undefined, "tc qdisc show dev eth0"],
    ["web", "tc -n web qdisc show dev eth0"],
  ] as const)("tc(%p) is %s", (netns, want) => {
    expect(tc(netns, "qdisc", "show", "dev", "eth0")).toBe(want);
  });

  test.each([
    ["web", "[ -e /run/netns/web ]"],
    ["a b", "[ -e '/run/netns/a b' ]"],
  ] as const)("netnsPresent(%p) is %s", (netns, want) => {
    expect(netnsPresent(netns)).toBe(want);
  });

  test.each([
    [undefined, [], ["x"]],
    ["web", [], ["if ! [ ! -e /run/netns/web ]; then", "  x", "fi"]],
    [undefined, ["y"], ["x"]],
    ["web", ["y"], ["if ! [ ! -e /run/netns/web ]; then", "  x", "else", "  y", "fi"]],
  ] as const)("unlessNetnsGone(%p, [x], %j) is %j", (netns, orElse, want) => {
    expect(unlessNetnsGone(netns, ["x"], [...orElse])).toEqual(want);
  });

  test.each([
    [undefined, "the root namespace"],
    ["web", "namespace web"],
  ] as const)("where(%p) is %s", (netns, want) => {
    expect(where(netns)).toBe(want);
  });

  test("ledger paths live under /run/hostnet/<stack>", () => {
    expect(ledgerDir("lab")).toBe("/run/hostnet/lab");
    expect(ledgerFile({ stack: "lab", path: "lab/a/br", id: "0123456789ab", tag: "t" })).toBe("/run/hostnet/lab/0123456789ab.down");
  });
});

describe("ensureLink", () => {
  test("checks ownership by alias, runs the add lines only when the link is absent, then tags it", () => {
    expect(ensureLink("web", "br0", "hostnet:s:s/a/br0", ["ip -n web link add name br0 type bridge", "echo second"], "interface")).toEqual([
      `if hn_l=$(ip -n web -o link show dev br0 2>/dev/null); then`,
      `  case "$hn_l\\\\    " in *'\\    alias 'hostnet:s:s/a/br0'\\    '*) hn_ok=1 ;; *'\\    alias '*) hn_ok=0 ;; *) hn_ok=$hn_own ;; esac`,
      `  [ "$hn_ok" = 1 ] || hn_fail 'interface br0 already exists in namespace web ` +
        `and hostnet did not create it for this object; remove it or choose another name'`,
      "else",
      "  ip -n web link add name br0 type bridge",
      "  echo second",
      "fi",
      "ip -n web link set dev br0 alias hostnet:s:s/a/br0",
    ]);
  });

  test("a tag that needs quoting is quoted in the comparison and the alias", () => {
    const lines = ensureLink(undefined, "br0", "hostnet:s:s/a/x~12345678", [], "interface");
    expect(lines[1]).toContain(`*'\\    alias ''hostnet:s:s/a/x~12345678''\\    '*) hn_ok=1`);
    expect(lines[lines.length - 1]).toBe("ip link set dev br0 alias 'hostnet:s:s/a/x~12345678'");
  });
});

describe("deleteOwnedLink", () => {
  test("in the root namespace: deletes only a link that carries the tag", () => {
    expect(deleteOwnedLink(undefined, "br0", "hostnet:s:s/a/br0")).toEqual([
      `if hn_l=$(ip -o link show dev br0 2>/dev/null); then`,
      `  case "$hn_l\\\\    " in *'\\    alias 'hostnet:s:s/a/br0'\\    '*) ip link del dev br0 ;; esac`,
      "fi",
    ]);
  });

  test("in a namespace: does nothing when the namespace is gone", () => {
    expect(deleteOwnedLink("web", "eth0", "hostnet:s:s/a/v")).toEqual([
      "if ! [ ! -e /run/netns/web ]; then",
      `  if hn_l=$(ip -n web -o link show dev eth0 2>/dev/null); then`,
      `    case "$hn_l\\\\    " in *'\\    alias 'hostnet:s:s/a/v'\\    '*) ip -n web link del dev eth0 ;; esac`,
      "  fi",
      "fi",
    ]);
  });
});
