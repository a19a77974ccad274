import * as fs from "fs";
import * as path from "path";
import { formatInspection } from "../../src/inspect/format";
import { bridgesOf, parseInspection, parseLinks, parseNat, parseRoutes, PlaceDump, routeText, splitProbeOutput } from "../../src/inspect/parse";
import { INSPECT_MARK } from "../../src/inspect/probe";

// Recorded with the inspect probe on lab host a after deploying examples/docker-network.
const RECORDED = fs.readFileSync(path.join(__dirname, "fixtures", "docker-network-a.txt"), "utf8");
const TAG = "hostnet:docker-network:docker-network/a/appnet";

describe("parseInspection of a recorded host (examples/docker-network on lab host a)", () => {
  const h = parseInspection(RECORDED);

  test("hostname and namespaces", () => {
    expect(h.hostname).toBe("scv-a");
    expect(h.namespaces).toEqual(["api", "db", "web"]);
  });

  test("every veth end knows where its peer lives, in both directions", () => {
    const where = (l: { netns?: string; name: string }) => `${l.name}@${l.netns ?? "root"}`;
    const pairs = h.links.filter((l) => l.kind === "veth" && l.peer?.found).map((l) => `${where(l)} -> ${l.peer!.name}@${l.peer!.netns ?? "root"}`);
    expect(pairs.sort()).toEqual([
      "eth0@api -> ve-appnet-api@root",
      "eth0@db -> ve-appnet-db@root",
      "eth0@web -> ve-appnet-web@root",
      "ve-appnet-api@root -> eth0@api",
      "ve-appnet-db@root -> eth0@db",
      "ve-appnet-web@root -> eth0@web",
    ]);
  });

  test("the test host's own eth0 has its peer outside the host: not found, ifindex kept", () => {
    const eth0 = h.links.find((l) => l.netns === undefined && l.name === "eth0")!;
    expect(eth0.peer).toEqual({ ifindex: eth0.peer!.ifindex, found: false });
    expect(eth0.addresses).toEqual(["198.18.55.10/24"]);
  });

  test("links carry state, master, addresses and hostnet's tag", () => {
    const port = h.links.find((l) => l.name === "ve-appnet-web")!;
    expect(port).toMatchObject({ kind: "veth", up: true, master: "br-appnet", alias: `${TAG}/web`, addresses: [] });
    expect(h.links.find((l) => l.netns === "web" && l.name === "eth0")).toMatchObject({ addresses: ["10.89.0.2/24"], mtu: 1500 });
    expect(h.links.find((l) => l.netns === "web" && l.name === "lo")).toMatchObject({ kind: "loopback", addresses: ["127.0.0.1/8", "::1/128"] });
  });

  test("bridges with their ports", () => {
    expect(h.bridges).toEqual([{ name: "br-appnet", addresses: ["10.89.0.1/24"], ports: ["ve-appnet-api", "ve-appnet-db", "ve-appnet-web"] }]);
  });

  test("routes per namespace, as ip route prints them", () => {
    expect(h.routes.map((r) => `${r.netns ?? "root"}: ${r.text}`)).toEqual([
      "root: 10.89.0.0/24 dev br-appnet proto kernel scope link src 10.89.0.1",
      "root: 198.18.55.0/24 dev eth0 proto kernel scope link src 198.18.55.10",
      "api: default via 10.89.0.1 dev eth0 proto 199",
      "api: 10.89.0.0/24 dev eth0 proto kernel scope link src 10.89.0.3",
      "db: default via 10.89.0.1 dev eth0 proto 199",
      "db: 10.89.0.0/24 dev eth0 proto kernel scope link src 10.89.0.4",
      "web: default via 10.89.0.1 dev eth0 proto 199",
      "web: 10.89.0.0/24 dev eth0 proto kernel scope link src 10.89.0.2",
    ]);
  });

  test("only the rules hostnet tagged, with table, chain and tag", () => {
    expect(h.nat.map((n) => [n.table, n.chain, n.tag])).toEqual([
      ["filter", "FORWARD", `${TAG}/web-tcp-10080`],
      ["filter", "FORWARD", `${TAG}/web-tcp-10080`],
      ["filter", "FORWARD", `${TAG}/masquerade`],
      ["filter", "FORWARD", `${TAG}/masquerade`],
      ["nat", "PREROUTING", `${TAG}/web-tcp-10080`],
      ["nat", "OUTPUT", `${TAG}/web-tcp-10080`],
      ["nat", "POSTROUTING", `${TAG}/web-tcp-10080`],
      ["nat", "POSTROUTING", `${TAG}/masquerade`],
    ]);
    expect(h.nat[7].rule).toBe("-A POSTROUTING -s 10.89.0.0/24 ! -o br-appnet -j MASQUERADE");
  });

  test("the text output: one line per object, a summary last", () => {
    const lines = formatInspection("host a (198.18.55.10)", h);
    expect(lines[0]).toBe("namespaces             api, db, web");
    expect(lines).toContain("bridge      root       br-appnet  10.89.0.1/24  ports: ve-appnet-api, ve-appnet-db, ve-appnet-web");
    expect(lines).toContain(`link        root       ve-appnet-web  veth  up  master br-appnet  peer eth0 in netns web  [${TAG}/web]`);
    expect(lines).toContain(`link        netns web  eth0  veth  up  10.89.0.2/24  peer ve-appnet-web in root  [${TAG}/web]`);
    expect(lines).toContain("link        root       eth0  veth  up  198.18.55.10/24  peer ifindex 102, outside the namespaces seen");
    expect(lines).toContain("route       netns db   default via 10.89.0.1 dev eth0 proto 199");
    expect(lines).toContain(`rule        root       -t nat -A POSTROUTING -s 10.89.0.0/24 ! -o br-appnet -j MASQUERADE  [${TAG}/masquerade]`);
    // Loopback devices with only 127.0.0.1 are left out.
    expect(lines.filter((l) => / lo {2}/.test(l))).toEqual([]);
    expect(lines[lines.length - 1]).toBe("host a (198.18.55.10): 3 namespaces, 8 links (7 veth ends, 1 bridge), 8 routes, 8 hostnet NAT rules");
  });
});

// Hand-made dumps (shapes as iproute2 6.1 prints them) for the cases the recording lacks.
const link = (ifindex: number, ifname: string, extra: object = {}) => ({
  ifindex,
  ifname,
  flags: ["BROADCAST", "UP"],
  mtu: 1500,
  operstate: "UP",
  link_type: "ether",
  ...extra,
});
const veth = (ifindex: number, ifname: string, peer: number, nsid?: number) =>
  link(ifindex, ifname, { link_index: peer, ...(nsid !== undefined ? { link_netnsid: nsid } : {}), linkinfo: { info_kind: "veth" } });
const place = (netns: string | undefined, links: object[], nsids: object[] = []): PlaceDump => ({
  ...(netns !== undefined ? { netns } : {}),
  link: JSON.stringify(links),
  addr: "[]",
  route: "[]",
  nsid: JSON.stringify(nsids),
  nat: "",
});
const peers = (places: PlaceDump[]) =>
  parseLinks(places).map(
    (l) => `${l.name}@${l.netns ?? "root"} -> ${l.peer ? (l.peer.found ? `${l.peer.name}@${l.peer.netns ?? "root"}` : `? ${l.peer.ifindex}`) : "-"}`,
  );

describe("parseLinks: finding each veth's peer (note 4's peer_ifindex)", () => {
  test("a veth between two named namespaces, resolved through each side's nsid map", () => {
    expect(
      peers([
        place(undefined, []),
        place("ns1", [veth(2, "veth-ns1", 2, 0)], [{ nsid: 0, name: "ns2" }]),
        place("ns2", [veth(2, "veth-ns2", 2, 0)], [{ nsid: 0, name: "ns1" }]),
      ]),
    ).toEqual(["veth-ns1@ns1 -> veth-ns2@ns2", "veth-ns2@ns2 -> veth-ns1@ns1"]);
  });

  test("both ends in one namespace (no link_netnsid)", () => {
    expect(peers([place(undefined, [veth(5, "a", 6), veth(6, "b", 5)])])).toEqual(["a@root -> b@root", "b@root -> a@root"]);
  });

  test("equal ifindexes in several namespaces: the nsid decides", () => {
    const places = [
      place(undefined, []),
      place(
        "x",
        [veth(3, "x0", 3, 0)],
        [
          { nsid: 0, name: "y" },
          { nsid: 1, name: "z" },
        ],
      ),
      place("y", [veth(3, "y0", 3, 0)], [{ nsid: 0, name: "x" }]),
      place("z", [veth(3, "z0", 3, 4)], [{ nsid: 4, name: "w" }]),
      place("w", [veth(3, "w0", 3, 2)], [{ nsid: 2, name: "z" }]),
    ];
    expect(peers(places)).toEqual(["x0@x -> y0@y", "y0@y -> x0@x", "z0@z -> w0@w", "w0@w -> z0@z"]);
  });

  test("the root namespace has no name inside a namespace: found by the ifindex pointing back", () => {
    expect(
      peers([place(undefined, [veth(9, "ve-web", 2, 0)], [{ nsid: 0, name: "web" }]), place("web", [veth(2, "eth0", 9, 0)], [{ nsid: 0 }])]),
    ).toEqual(["ve-web@root -> eth0@web", "eth0@web -> ve-web@root"]);
  });

  test("a peer nobody saw, or two that fit equally, stays unresolved", () => {
    expect(peers([place(undefined, [veth(2, "eth0", 40, 7)])])).toEqual(["eth0@root -> ? 40"]);
    expect(
      peers([
        place(undefined, []),
        place("p", [veth(2, "p0", 3, 0)], [{ nsid: 0 }]),
        place("q", [veth(3, "q0", 2, 0)], [{ nsid: 0 }]),
        place("r", [veth(3, "r0", 2, 0)], [{ nsid: 0 }]),
      ])[0],
    ).toBe("p0@p -> ? 3");
  });

  test("non-veth links have no peer; a bridge lists its ports of the same namespace only", () => {
    const ls = parseLinks([
      place(undefined, [link(3, "br0", { linkinfo: { info_kind: "bridge" } }), link(4, "p1", { master: "br0" }), link(5, "p2", { master: "br0" })]),
      place("x", [link(4, "p9", { master: "br0" })]),
    ]);
    expect(ls.map((l) => l.peer)).toEqual([undefined, undefined, undefined, undefined]);
    expect(bridgesOf(ls)).toEqual([{ name: "br0", addresses: [], ports: ["p1", "p2"] }]);
  });
});

describe("parseRoutes and routeText", () => {
  test.each([
    [{ dst: "default", gateway: "10.0.0.1", dev: "eth0", protocol: "199", flags: [] }, "default via 10.0.0.1 dev eth0 proto 199"],
    [
      { dst: "10.0.0.0/24", dev: "br0", protocol: "kernel", scope: "link", prefsrc: "10.0.0.1", flags: [] },
      "10.0.0.0/24 dev br0 proto kernel scope link src 10.0.0.1",
    ],
    [{ dst: "192.0.2.0/24", gateway: "10.0.0.9", dev: "eth0", metric: 100, flags: [] }, "192.0.2.0/24 via 10.0.0.9 dev eth0 metric 100"],
    [{ type: "blackhole", dst: "10.9.0.0/16", protocol: "boot", flags: [] }, "blackhole 10.9.0.0/16"],
  ])("%j", (r, text) => {
    expect(routeText(r as never)).toBe(text);
  });

  test("netns is set for a namespace's routes only", () => {
    expect(parseRoutes(`[{"dst":"default","gateway":"10.0.0.1","dev":"eth0"}]`, "web")).toEqual([
      { netns: "web", dst: "default", gateway: "10.0.0.1", dev: "eth0", text: "default via 10.0.0.1 dev eth0" },
    ]);
    expect(parseRoutes("[]")).toEqual([]);
    expect(parseRoutes("")).toEqual([]);
  });
});

describe("parseNat", () => {
  test("quoted and unquoted tags, only tagged rules, the table from the header", () => {
    const text = [
      "*nat",
      '-A POSTROUTING -s 10.0.0.0/24 -m comment --comment "hostnet:s:s/a/m" -j MASQUERADE',
      "-A PREROUTING -d 192.0.2.3/32 -m comment --comment hostnet:s:s/a/router/nat -j DNAT --to-destination 10.0.0.3",
      '-A POSTROUTING -s 10.1.0.0/24 -m comment --comment "docker" -j MASQUERADE',
      "*filter",
      '-A FORWARD -s 10.0.0.0/24 -m comment --comment "hostnet:s:s/a/m" -j ACCEPT',
    ].join("\n");
    expect(parseNat(text, "router")).toEqual([
      { netns: "router", table: "nat", chain: "POSTROUTING", rule: "-A POSTROUTING -s 10.0.0.0/24 -j MASQUERADE", tag: "hostnet:s:s/a/m" },
      {
        netns: "router",
        table: "nat",
        chain: "PREROUTING",
        rule: "-A PREROUTING -d 192.0.2.3/32 -j DNAT --to-destination 10.0.0.3",
        tag: "hostnet:s:s/a/router/nat",
      },
      { netns: "router", table: "filter", chain: "FORWARD", rule: "-A FORWARD -s 10.0.0.0/24 -j ACCEPT", tag: "hostnet:s:s/a/m" },
    ]);
  });
});

describe("nft rules in the inspection", () => {
  // As the probe's awk prints the rules of a hostnet_<stack> table (jumps left out).
  const text = [
    "*nft inet hostnet_s",
    '-A o_0123456789ab_post ip saddr 10.0.0.0/24 oifname != "br0" masquerade -m comment --comment "hostnet:s:s/a/m"',
    '-A o_0123456789ab_fwd ip daddr 10.0.0.0/24 ct state established,related accept -m comment --comment "hostnet:s:s/a/m"',
  ].join("\n");

  test("parseNat reads them with the table and the object's chain", () => {
    expect(parseNat(text).map((n) => [n.table, n.chain, n.tag])).toEqual([
      ["nft inet hostnet_s", "o_0123456789ab_post", "hostnet:s:s/a/m"],
      ["nft inet hostnet_s", "o_0123456789ab_fwd", "hostnet:s:s/a/m"],
    ]);
  });

  test("the text output shows them as nft lists them", () => {
    const h = { hostname: "a", namespaces: [], links: [], bridges: [], routes: [], proxies: [], nat: parseNat(text) };
    expect(formatInspection("host a", h).filter((l) => l.startsWith("rule"))).toEqual([
      'rule        root  inet hostnet_s o_0123456789ab_post: ip saddr 10.0.0.0/24 oifname != "br0" masquerade  [hostnet:s:s/a/m]',
      "rule        root  inet hostnet_s o_0123456789ab_fwd: ip daddr 10.0.0.0/24 ct state established,related accept  [hostnet:s:s/a/m]",
    ]);
  });
});

describe("splitProbeOutput", () => {
  test("output cut short (no end marker) is an error that says to run again", () => {
    const cut = RECORDED.slice(0, RECORDED.indexOf(`${INSPECT_MARK} place web`));
    expect(() => splitProbeOutput(cut)).toThrow(
      "the inspect probe's output is incomplete (3 namespaces read); the connection may have dropped. Run it again.",
    );
  });

  test("a namespace name with spaces survives", () => {
    const out = [
      `${INSPECT_MARK} host h`,
      `${INSPECT_MARK} place `,
      `${INSPECT_MARK} link`,
      "[]",
      `${INSPECT_MARK} place my ns`,
      `${INSPECT_MARK} link`,
      "[]",
      `${INSPECT_MARK} end`,
    ].join("\n");
    expect(splitProbeOutput(out).places.map((p) => p.netns)).toEqual([undefined, "my ns"]);
  });

  test("JSON that iproute2 did not write is reported with the namespace", () => {
    const out = [`${INSPECT_MARK} host h`, `${INSPECT_MARK} place web`, `${INSPECT_MARK} link`, "Option -j is unknown", `${INSPECT_MARK} end`].join(
      "\n",
    );
    expect(() => parseInspection(out)).toThrow(/^cannot read links of namespace web: .*Is iproute2 new enough for -j \(JSON\)\?$/);
  });
});
