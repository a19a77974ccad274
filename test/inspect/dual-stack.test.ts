/** `hostnet inspect` shows IPv6 (issue 15): addresses, IPv6 routes, proxy NDP entries and ip6tables rules; the probe asks for them. */
import { formatInspection } from "../../src/inspect/format";
import { parseAddrs, parseInspection, parseNat, parseProxies, parseRoutes } from "../../src/inspect/parse";
import { INSPECT_MARK, INSPECT_SCRIPT } from "../../src/inspect/probe";

// Recorded on this machine (iproute2 6.1): a routed endpoint's namespace end with a /128, and the host side.
const ADDR =
  '[{"ifindex":2,"link":"rt-x","ifname":"y","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"operstate":"UP","link_type":"ether",' +
  '"addr_info":[{"family":"inet","local":"10.63.0.1","prefixlen":32,"scope":"global"},' +
  '{"family":"inet6","local":"fd00:63::1","prefixlen":128,"scope":"global","nodad":true},' +
  '{"family":"inet6","local":"fe80::fccc:9cff:fed1:3b85","prefixlen":64,"scope":"link","tentative":true}]}]';
const ROUTE6 =
  '[{"dst":"fd00:63::1","dev":"rt-x","protocol":"199","metric":1024,"flags":[],"pref":"medium"},' +
  '{"dst":"fd00:63:3::/64","gateway":"fd00:e7::b","dev":"eth0","protocol":"199","metric":1024,"flags":[],"pref":"medium"},' +
  '{"dst":"fe80::/64","dev":"rt-x","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},' +
  '{"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"}]';
const PROXY6 = '[{"dst":"fe80::1","dev":"rt-x","proxy":null}]';
const NAT6 = ["*nat", '-A POSTROUTING -s fd00:88::/64 ! -o br0 -j MASQUERADE -m comment --comment "hostnet:s:s/a/nat"'].join("\n");

describe("inspect, IPv6", () => {
  test("the probe lists IPv6 routes, proxy neighbours and ip6tables rules of every namespace", () => {
    expect(INSPECT_SCRIPT).toContain('echo "$M route6"; hn_ip -6 -j route show table main');
    expect(INSPECT_SCRIPT).toContain('echo "$M proxy6"; hn_ip -6 -j neigh show proxy');
    expect(INSPECT_SCRIPT).toContain('echo "$M nat6"; hn_ex ip6tables-save');
  });

  test("addresses: IPv4 then IPv6, without the link-local one", () => {
    expect(parseAddrs(ADDR).get("y")).toEqual(["10.63.0.1/32", "fd00:63::1/128"]);
  });

  test("IPv6 routes without the kernel's fe80::/64 on every link, marked as IPv6", () => {
    expect(parseRoutes(ROUTE6, undefined, 6).map((r) => [r.text, r.family])).toEqual([
      ["fd00:63::1 dev rt-x proto 199 metric 1024", 6],
      ["fd00:63:3::/64 via fd00:e7::b dev eth0 proto 199 metric 1024", 6],
    ]);
  });

  test("proxy neighbour entries", () => {
    expect(parseProxies(PROXY6, "pod")).toEqual([{ netns: "pod", address: "fe80::1", dev: "rt-x" }]);
  });

  test("ip6tables rules carry their family", () => {
    expect(parseNat(NAT6, undefined, 6)).toEqual([
      { table: "nat", chain: "POSTROUTING", rule: "-A POSTROUTING -s fd00:88::/64 ! -o br0 -j MASQUERADE", tag: "hostnet:s:s/a/nat", family: 6 },
    ]);
  });

  test("the text output has route6, proxy6 and rule6 lines and counts the proxy entries", () => {
    const out = [
      `${INSPECT_MARK} host a`,
      `${INSPECT_MARK} place `,
      `${INSPECT_MARK} link`,
      '[{"ifindex":2,"ifname":"y","flags":["UP"],"mtu":1500,"operstate":"UP","link_type":"ether"}]',
      `${INSPECT_MARK} addr`,
      ADDR,
      `${INSPECT_MARK} route`,
      "[]",
      `${INSPECT_MARK} route6`,
      ROUTE6,
      `${INSPECT_MARK} proxy6`,
      PROXY6,
      `${INSPECT_MARK} nsid`,
      "[]",
      `${INSPECT_MARK} nat`,
      `${INSPECT_MARK} nat6`,
      NAT6,
      `${INSPECT_MARK} end`,
    ].join("\n");
    const lines = formatInspection("host a", parseInspection(out));
    expect(lines).toEqual(
      expect.arrayContaining([
        "link        root  y  ether  up  10.63.0.1/32  fd00:63::1/128",
        "route6      root  fd00:63:3::/64 via fd00:e7::b dev eth0 proto 199 metric 1024",
        "proxy6      root  fe80::1 dev rt-x",
        "rule6       root  -t nat -A POSTROUTING -s fd00:88::/64 ! -o br0 -j MASQUERADE  [hostnet:s:s/a/nat]",
      ]),
    );
    expect(lines[lines.length - 1]).toBe(
      "host a: 0 namespaces, 1 link (0 veth ends, 0 bridges), 2 routes, 1 hostnet NAT rule, 1 IPv6 proxy neighbour",
    );
  });
});
