import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Bridge, NatRule, Subnet } from "../../constructs";
import { checkHost, checkNat, checkRoutedEndpoint, checkStackedLink, checkVxlan, NOT_CHECKED } from "../../src/render/check";
import { RoutedEndpointSpec } from "../../src/render/routed-endpoint";
import { StackedLinkSpec } from "../../src/render/stacked-link";
import { VxlanSpec } from "../../src/render/vxlan";
import { syntaxErrors } from "../support/fake-host";
import { newHost, newStack } from "../support/stacks";

const TAG = "hostnet:s:s/a/x";

const VX: VxlanSpec = {
  name: "vx66",
  vni: 66,
  port: 4789,
  local: "198.18.0.10",
  parent: "eth0",
  mtu: 1450,
  peers: ["198.18.0.11"],
  master: "br-vx",
  addresses: [],
};
const RT: RoutedEndpointSpec = { hostName: "rt-pod", netns: "pod", name: "eth0", address: "10.63.0.5", gateway: "169.254.1.1", mtu: 1500 };
const MV: StackedLinkSpec = { type: "macvlan", mode: "bridge", name: "eth1", netns: "mv", parent: "br-vx", mtu: 1450, addresses: ["10.9.0.5/24"] };

/**
 * Runs a probe with real sh, grep, sed and cat, and fake `ip` and `bridge` that
 * print what the files in a temp folder hold for their arguments (the text the
 * real tools print, as recorded on this machine), and of `tools` (say nft,
 * iptables) made the same way; /run/netns, /run/hostnet and /proc/sys are
 * folders of that temp folder.
 */
function runProbe(lines: string[], outputs: Record<string, string>, files: Record<string, string> = {}, tools: readonly string[] = []): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-check-"));
  try {
    fs.mkdirSync(path.join(dir, "bin"));
    fs.mkdirSync(path.join(dir, "out"));
    const fake = `#!/bin/sh\nf="${dir}/out/$(echo "$(basename "$0") $*" | tr / %)"\n[ -f "$f" ] || exit 1\ncat "$f"\n`;
    for (const t of ["ip", "bridge", ...tools]) fs.writeFileSync(path.join(dir, "bin", t), fake, { mode: 0o755 });
    for (const t of ["sh", "cat", "grep", "sed", "basename", "tr"]) {
      const real = ["/usr/bin", "/bin"].map((d) => path.join(d, t)).find((p) => fs.existsSync(p));
      if (real) fs.symlinkSync(real, path.join(dir, "bin", t));
    }
    for (const [args, text] of Object.entries(outputs)) fs.writeFileSync(path.join(dir, "out", args.split("/").join("%")), text);
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    const script = lines
      .join("\n")
      .split("/run/netns/")
      .join(`${dir}/run/netns/`)
      .split("/proc/sys/")
      .join(`${dir}/proc/sys/`)
      .split("/run/hostnet/")
      .join(`${dir}/run/hostnet/`);
    const r = spawnSync(path.join(dir, "bin", "sh"), ["-c", script], { encoding: "utf8", env: { PATH: path.join(dir, "bin") } });
    if (r.status !== 0) throw new Error(`probe exited ${r.status}: ${r.stderr}`);
    return r.stdout.split("\n").filter((l) => l);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// What `ip -o link show` and `ip -d -o link show` print (one line each), as on this machine.
const link = (name: string, flags: string, mtu: number, extra = "") =>
  `4: ${name}: <${flags}> mtu ${mtu} qdisc noqueue ${extra}state UP mode DEFAULT group default qlen 1000\\    link/ether 4a:f5:6b:20:c2:c0 brd ff:ff:ff:ff:ff:ff\\    alias ${TAG}\n`;
const alias = (name: string) =>
  `4: ${name}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue\n    link/ether 4a:f5:6b:20:c2:c0 brd ff:ff:ff:ff:ff:ff\n    alias ${TAG}\n`;
const VX_DETAIL =
  `4: vx66: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master br-vx state UNKNOWN\\    link/ether ` +
  `4a:f5:6b:20:c2:c0 brd ff:ff:ff:ff:ff:ff promiscuity 1 \\    vxlan id 66 local 198.18.0.10 dev eth0 srcport 0 0 dstport 4789 nolearning ` +
  `ttl auto ageing 300\n`;

function vxlanHost(over: Record<string, string> = {}): Record<string, string> {
  return {
    "ip -o link show dev vx66": link("vx66", "BROADCAST,MULTICAST,UP,LOWER_UP", 1450, "master br-vx "),
    "ip link show dev vx66": alias("vx66"),
    "ip -d -o link show dev vx66": VX_DETAIL,
    "bridge fdb show dev vx66": "00:00:00:00:00:00 dst 198.18.0.11 self permanent\n",
    ...over,
  };
}

describe("checkVxlan", () => {
  test("a device as planned: nothing", () => {
    expect(runProbe(checkVxlan(VX, TAG), vxlanHost())).toEqual([]);
  });

  test.each([
    ["the device is gone", { "ip -o link show dev vx66": "" }, ["vxlan vx66 is missing in the root namespace"]],
    [
      "another VNI and port",
      { "ip -d -o link show dev vx66": VX_DETAIL.replace("id 66", "id 67").replace("dstport 4789", "dstport 8472") },
      ["vxlan vx66: VNI is not 66", "vxlan vx66: UDP port is not 4789"],
    ],
    [
      "another local address and parent",
      { "ip -d -o link show dev vx66": VX_DETAIL.replace("local 198.18.0.10 dev eth0", "local 198.18.0.99 dev eth1") },
      ["vxlan vx66: local address is not 198.18.0.10", "vxlan vx66: parent device is not eth0"],
    ],
    [
      "the peer's flood entry deleted",
      { "bridge fdb show dev vx66": "" },
      ["vxlan vx66 does not flood to peer 198.18.0.11 (its fdb entry is missing)"],
    ],
    [
      "out of its bridge",
      { "ip -o link show dev vx66": link("vx66", "BROADCAST,MULTICAST,UP,LOWER_UP", 1450) },
      ["vxlan vx66 is not a port of br-vx"],
    ],
  ])("%s", (_what, over, want) => {
    const outputs = vxlanHost(over as Record<string, string>);
    for (const [k, v] of Object.entries(outputs)) if (v === "") delete outputs[k];
    expect(runProbe(checkVxlan(VX, TAG), outputs)).toEqual(want);
  });

  test("the script parses", () => {
    expect(syntaxErrors(checkVxlan(VX, TAG).join("\n"))).toBe("");
  });
});

describe("checkVxlan, IPv6 underlay and dual-stack addresses", () => {
  const VX6: VxlanSpec = {
    ...VX,
    local: "fd00:18::a",
    peers: ["fd00:18::b"],
    mtu: 1430,
    master: undefined,
    addresses: ["10.67.0.1/24", "fd00:67::1/64"],
  };
  const DETAIL6 =
    `4: vx66: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1430 qdisc noqueue state UNKNOWN\\    link/ether ` +
    `4a:f5:6b:20:c2:c0 brd ff:ff:ff:ff:ff:ff promiscuity 0 \\    vxlan id 66 local fd00:18::a dev eth0 srcport 0 0 dstport 4789 nolearning ` +
    `ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx\n`;
  const ADDRS =
    "4: vx66    inet 10.67.0.1/24 scope global vx66\\       valid_lft forever preferred_lft forever\n" +
    "4: vx66    inet6 fd00:67::1/64 scope global \\       valid_lft forever preferred_lft forever\n";
  const host6 = (over: Record<string, string> = {}) => {
    const o: Record<string, string> = {
      "ip -o link show dev vx66": link("vx66", "BROADCAST,MULTICAST,UP,LOWER_UP", 1430),
      "ip link show dev vx66": alias("vx66"),
      "ip -o addr show dev vx66": ADDRS,
      "ip -d -o link show dev vx66": DETAIL6,
      "bridge fdb show dev vx66": "00:00:00:00:00:00 dst fd00:18::b self permanent\n",
      ...over,
    };
    for (const [k, v] of Object.entries(o)) if (v === "") delete o[k];
    return o;
  };

  test("a device as planned: nothing", () => {
    expect(runProbe(checkVxlan(VX6, TAG), host6())).toEqual([]);
  });

  test.each([
    [
      "the IPv6 peer's flood entry deleted",
      { "bridge fdb show dev vx66": "" },
      ["vxlan vx66 does not flood to peer fd00:18::b (its fdb entry is missing)"],
    ],
    ["the IPv6 address removed", { "ip -o addr show dev vx66": ADDRS.split("\n")[0] + "\n" }, ["vxlan vx66 lacks address fd00:67::1/64"]],
    [
      "another IPv6 local address",
      { "ip -d -o link show dev vx66": DETAIL6.replace("local fd00:18::a ", "local fd00:18::99 ") },
      ["vxlan vx66: local address is not fd00:18::a"],
    ],
  ])("%s", (_what, over, want) => {
    expect(runProbe(checkVxlan(VX6, TAG), host6(over))).toEqual(want);
  });
});

describe("checkRoutedEndpoint", () => {
  const host = (drop: string[] = [], proxy = "1"): [Record<string, string>, Record<string, string>] => {
    const outputs: Record<string, string> = {
      "ip -o link show dev rt-pod": link("rt-pod", "BROADCAST,MULTICAST,UP,LOWER_UP", 1500),
      "ip link show dev rt-pod": alias("rt-pod"),
      "ip -n pod -o link show dev eth0": link("eth0", "BROADCAST,MULTICAST,UP,LOWER_UP", 1500),
      "ip -n pod link show dev eth0": alias("eth0"),
      "ip -n pod -o addr show dev eth0": "2: eth0    inet 10.63.0.5/32 scope global eth0\\       valid_lft forever preferred_lft forever\n",
      "ip -n pod route show default": "default via 169.254.1.1 dev eth0 onlink \n",
      "ip route show exact 10.63.0.5/32 proto 199": "10.63.0.5 dev rt-pod scope link \n",
    };
    for (const d of drop) delete outputs[d];
    return [outputs, { "run/netns/pod": "", "proc/sys/net/ipv4/conf/rt-pod/proxy_arp": `${proxy}\n` }];
  };

  test("an endpoint as planned: nothing", () => {
    expect(runProbe(checkRoutedEndpoint(RT, TAG), ...host())).toEqual([]);
  });

  test.each([
    [
      "the /32 route back deleted",
      ["ip route show exact 10.63.0.5/32 proto 199"],
      "1",
      ["route to 10.63.0.5/32 dev rt-pod is missing in the root namespace"],
    ],
    ["proxy ARP turned off", [], "0", ["proxy_arp is off on rt-pod"]],
    [
      "the default route in the namespace deleted",
      ["ip -n pod route show default"],
      "1",
      ["default route via 169.254.1.1 dev eth0 is missing in namespace pod"],
    ],
    ["the /32 removed from eth0", ["ip -n pod -o addr show dev eth0"], "1", ["veth end eth0 lacks address 10.63.0.5/32"]],
    [
      "the host end deleted (and the namespace end with it)",
      ["ip -o link show dev rt-pod", "ip link show dev rt-pod", "ip -n pod -o link show dev eth0", "ip -n pod link show dev eth0"],
      "1",
      ["veth end rt-pod is missing in the root namespace", "veth end eth0 is missing in namespace pod"],
    ],
  ])("%s", (_what, drop, proxy, want) => {
    expect(runProbe(checkRoutedEndpoint(RT, TAG), ...host(drop, proxy))).toEqual(want);
  });
});

describe("checkRoutedEndpoint, dual stack", () => {
  const RT6: RoutedEndpointSpec = { ...RT, address6: "fd00:63::5", gateway6: "fe80::1" };
  const ADDRS =
    "2: eth0    inet 10.63.0.5/32 scope global eth0\\       valid_lft forever preferred_lft forever\n" +
    "2: eth0    inet6 fd00:63::5/128 scope global \\       valid_lft forever preferred_lft forever\n";
  const host = (drop: string[] = [], ndp = "1"): [Record<string, string>, Record<string, string>] => {
    const outputs: Record<string, string> = {
      "ip -o link show dev rt-pod": link("rt-pod", "BROADCAST,MULTICAST,UP,LOWER_UP", 1500),
      "ip link show dev rt-pod": alias("rt-pod"),
      "ip -n pod -o link show dev eth0": link("eth0", "BROADCAST,MULTICAST,UP,LOWER_UP", 1500),
      "ip -n pod link show dev eth0": alias("eth0"),
      "ip -n pod -o addr show dev eth0": ADDRS,
      "ip -n pod route show default": "default via 169.254.1.1 dev eth0 onlink \n",
      "ip -n pod -6 route show default": "default via fe80::1 dev eth0 metric 1024 pref medium\n",
      "ip route show exact 10.63.0.5/32 proto 199": "10.63.0.5 dev rt-pod scope link \n",
      "ip -6 route show exact fd00:63::5/128 proto 199": "fd00:63::5 dev rt-pod metric 1024 pref medium\n",
      "ip -6 neigh show proxy fe80::1 dev rt-pod": "fe80::1 dev rt-pod proxy \n",
    };
    for (const d of drop) delete outputs[d];
    return [
      outputs,
      { "run/netns/pod": "", "proc/sys/net/ipv4/conf/rt-pod/proxy_arp": "1\n", "proc/sys/net/ipv6/conf/rt-pod/proxy_ndp": `${ndp}\n` },
    ];
  };

  test("an endpoint as planned: nothing", () => {
    expect(runProbe(checkRoutedEndpoint(RT6, TAG), ...host())).toEqual([]);
  });

  test.each([
    [
      "the /128 route back deleted",
      ["ip -6 route show exact fd00:63::5/128 proto 199"],
      "1",
      ["route to fd00:63::5/128 dev rt-pod is missing in the root namespace"],
    ],
    ["proxy NDP turned off", [], "0", ["proxy_ndp is off on rt-pod"]],
    [
      "the proxy entry for the gateway deleted",
      ["ip -6 neigh show proxy fe80::1 dev rt-pod"],
      "1",
      ["proxy neighbour entry for fe80::1 on rt-pod is missing (the namespace cannot resolve its IPv6 gateway)"],
    ],
    [
      "the IPv6 default route deleted",
      ["ip -n pod -6 route show default"],
      "1",
      ["IPv6 default route via fe80::1 dev eth0 is missing in namespace pod"],
    ],
  ])("%s", (_what, drop, ndp, want) => {
    expect(runProbe(checkRoutedEndpoint(RT6, TAG), ...host(drop, ndp))).toEqual(want);
  });

  test("the /128 removed from eth0 (the /32 kept)", () => {
    const [outputs, files] = host();
    outputs["ip -n pod -o addr show dev eth0"] = ADDRS.split("\n")[0] + "\n";
    expect(runProbe(checkRoutedEndpoint(RT6, TAG), outputs, files)).toEqual(["veth end eth0 lacks address fd00:63::5/128"]);
  });

  test("the script parses", () => {
    expect(syntaxErrors(checkRoutedEndpoint(RT6, TAG).join("\n"))).toBe("");
  });
});

describe("checkStackedLink", () => {
  const MV_DETAIL =
    `5: eth1@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP\\    link/ether 9a:6b:6b:2b:bb:dd brd ` +
    `ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 0 \\    macvlan mode bridge bcqueuelen 1000\n`;
  const outputs = (detail: string) => ({
    "ip -n mv -o link show dev eth1": link("eth1@if4", "BROADCAST,MULTICAST,UP,LOWER_UP", 1450),
    "ip -n mv link show dev eth1": alias("eth1"),
    "ip -n mv -o addr show dev eth1":
      "5: eth1    inet 10.9.0.5/24 brd 10.9.0.255 scope global eth1\\       valid_lft forever preferred_lft forever\n",
    "ip -n mv -d -o link show dev eth1": detail,
  });
  const files = { "run/netns/mv": "" };

  test("exact lines: the link checks and its type and mode", () => {
    expect(checkStackedLink(MV, TAG).slice(-3)).toEqual([
      "  d=$(ip -n mv -d -o link show dev eth1 2>/dev/null)",
      `  if case "$d" in *" macvlan "*"mode bridge "*) true;; *) false;; esac; then :; else echo 'macvlan eth1: is not a macvlan in mode bridge'; fi`,
      "fi",
    ]);
  });

  test("as planned: nothing; in another mode: named", () => {
    expect(runProbe(checkStackedLink(MV, TAG), outputs(MV_DETAIL), files)).toEqual([]);
    expect(runProbe(checkStackedLink(MV, TAG), outputs(MV_DETAIL.replace("mode bridge", "mode private")), files)).toEqual([
      "macvlan eth1: is not a macvlan in mode bridge",
    ]);
  });

  test("gone from its namespace: missing, nothing else", () => {
    expect(runProbe(checkStackedLink(MV, TAG), {}, files)).toEqual(["macvlan eth1 is missing in namespace mv"]);
  });

  test("ipvlan: iproute2 prints two spaces before the mode", () => {
    const iv: StackedLinkSpec = { ...MV, type: "ipvlan", mode: "l2" };
    const detail = MV_DETAIL.replace("macvlan mode bridge bcqueuelen 1000", "ipvlan  mode l2 bridge");
    expect(runProbe(checkStackedLink(iv, TAG), outputs(detail), files)).toEqual([]);
    expect(runProbe(checkStackedLink(iv, TAG), outputs(detail.replace("mode l2", "mode l3")), files)).toEqual([
      "ipvlan eth1: is not a ipvlan in mode l2",
    ]);
  });
});

describe("iptables missing on the host", () => {
  test("a NAT object's probe says it could not check instead of listing every rule as missing", () => {
    const lines = checkNat({ type: "masquerade", source: "10.0.0.0/24", allowForward: true }, TAG);
    expect(runProbe(lines, {})).toEqual([`${NOT_CHECKED} iptables is missing on the host`]);
  });

  test("the host-wide probe names it once, with the fix", () => {
    expect(runProbe(checkHost({ iptables: true, flows: [] }), {})).toEqual([
      "iptables is missing on the host, so none of this stack's iptables rules can be there or be checked; install iptables, then run hostnet check again",
    ]);
    expect(checkHost({ iptables: false, flows: [] })).toEqual([]);
  });
});

describe("the host-wide tool line follows the host's firewall backend", () => {
  const IPT =
    "iptables is missing on the host, so none of this stack's iptables rules can be there or be checked; install iptables, then run hostnet check again";
  const NFT =
    "nft is missing on the host, so none of this stack's nftables rules can be there or be checked; install nftables (it gives nft), then run hostnet check again";
  const NOTE = "run/hostnet/s/.firewall";
  const host = (firewall: "iptables" | "nftables" | "auto", iptables = false) =>
    checkHost({ iptables, flows: [], backend: { firewall, stack: "s" } });
  test.each<[string, string[], Record<string, string>, string[], string[]]>([
    ["nftables, nft missing: nft is named, not iptables", host("nftables"), {}, ["iptables"], [NFT]],
    ["nftables, nft there, no iptables at all: nothing to say", host("nftables"), {}, ["nft"], []],
    ["auto recorded nftables, nft missing: nft is named", host("auto"), { [NOTE]: "nftables\n" }, ["iptables"], [NFT]],
    ["auto recorded nftables on an nft-only host: nothing to say", host("auto"), { [NOTE]: "nftables\n" }, ["nft"], []],
    ["auto recorded iptables, iptables missing: iptables is named", host("auto"), { [NOTE]: "iptables\n" }, ["nft"], [IPT]],
    ["auto without a note on an nft-only host decides nftables: nothing to say", host("auto"), {}, ["nft"], []],
    ["auto without a note on a host with neither: iptables (what auto would choose) is named", host("auto"), {}, [], [IPT]],
    ["iptables: as before", host("iptables", true), {}, ["nft"], [IPT]],
  ])("%s", (_name, lines, files, tools, expected) => {
    expect(runProbe(lines, {}, files, tools)).toEqual(expected);
  });

  test("the auto line parses", () => {
    expect(syntaxErrors(host("auto").join("\n"))).toBe("");
  });
});

describe("a NAT object's probe under auto reads the host's backend", () => {
  const rule = () => {
    const { stack } = newStack({ firewall: "auto", lockFile: false });
    const host = newHost(stack);
    const subnet = new Subnet(host, "lan", { cidr: "10.92.0.0/24" });
    return NatRule.masquerade(host, "masquerade", { subnet, bridge: new Bridge(host, "br-pub", { address: subnet.gateway }) });
  };

  test("no note on an nft-only host: checked against nft (what the create chose), not reported as missing iptables", () => {
    expect(runProbe(rule().checks(), {}, {}, ["nft"])).toEqual(["nftables table inet hostnet_s is missing"]);
  });

  test("the note decides: iptables recorded on a host without iptables cannot be checked", () => {
    expect(runProbe(rule().checks(), {}, { "run/hostnet/s/.firewall": "iptables\n" }, ["nft"])).toEqual([
      `${NOT_CHECKED} iptables is missing on the host`,
    ]);
  });
});

describe("a link's tag, read from its `ip -o link show` line", () => {
  const files = { "run/netns/mv": "" };
  const line = (aliasPart: string) =>
    `5: eth1@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP mode DEFAULT group default qlen 1000` +
    `\\    link/ether 9a:6b:6b:2b:bb:dd brd ff:ff:ff:ff:ff:ff link-netnsid 0${aliasPart}\n`;
  const probe = (aliasPart: string) =>
    runProbe(
      checkStackedLink({ ...MV, addresses: [] }, TAG),
      {
        "ip -n mv -o link show dev eth1": line(aliasPart),
        "ip -n mv -d -o link show dev eth1": `5: eth1@if4: <UP> mtu 1450\\    macvlan mode bridge bcqueuelen 1000\n`,
      },
      files,
    );
  const notOurs = ["macvlan eth1 does not carry this object's tag"];

  test.each([
    ["the tag, last", `\\    alias ${TAG}`, []],
    ["the tag, then an altname", `\\    alias ${TAG}\\    altname enp0s9`, []],
    ["no alias", "", notOurs],
    ["another object's tag", `\\    alias hostnet:s:s/a/y`, notOurs],
    ["a tag that starts with this one", `\\    alias ${TAG}2`, notOurs],
    ["this tag inside a longer alias", `\\    alias x${TAG}`, notOurs],
  ] as const)("%s", (_what, aliasPart, want) => {
    expect(probe(aliasPart)).toEqual(want);
  });
});
