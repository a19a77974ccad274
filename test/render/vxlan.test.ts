import * as fs from "fs";
import * as path from "path";
import { createScript, destroyScript } from "../../src/render/script";
import { ObjectRef } from "../../src/render/types";
import { renderVxlan, VxlanSpec } from "../../src/render/vxlan";
import { FakeHost, syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "s", path: "s/a/vx66", id: "0123456789ab", tag: "hostnet:s:s/a/vx66" };
const TAG = ref.tag;
const header = { kind: "vxlan", name: "vx66" };

const overlay: VxlanSpec = {
  name: "vx66",
  vni: 66,
  port: 4789,
  local: "198.18.0.10",
  parent: "eth0",
  mtu: 1450,
  peers: ["198.18.0.11", "198.18.0.12"],
  master: "br-vx",
  addresses: [],
};

const OWN_CHECK = [
  `if hn_l=$(ip -o link show dev vx66 2>/dev/null); then`,
  `  case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) hn_ok=1 ;; *'\\    alias '*) hn_ok=0 ;; *) hn_ok=$hn_own ;; esac`,
  `  [ "$hn_ok" = 1 ] || hn_fail 'interface vx66 already exists in the root namespace and hostnet ` +
    `did not create it for this object; remove it or choose another name'`,
  "else",
  "  ip link show dev eth0 >/dev/null 2>&1 || hn_fail 'parent device eth0 of vxlan vx66 does not exist in the root namespace; fix props.parent'",
];

const DESTROY = [
  `if hn_l=$(ip -o link show dev vx66 2>/dev/null); then`,
  `  case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) ip link del dev vx66 ;; esac`,
  "fi",
];

describe("renderVxlan", () => {
  test("two peers, enslaved to a bridge: nolearning device, one flood entry per peer, then master and up", () => {
    expect(renderVxlan(overlay, ref)).toEqual({
      create: [
        ...OWN_CHECK,
        "  ip link add name vx66 type vxlan id 66 local 198.18.0.10 dev eth0 dstport 4789 nolearning",
        "fi",
        `ip link set dev vx66 alias ${TAG}`,
        "ip link set dev vx66 mtu 1450",
        "bridge fdb show dev vx66 | grep -qF '00:00:00:00:00:00 dst 198.18.0.11 ' || bridge fdb append 00:00:00:00:00:00 dev vx66 dst 198.18.0.11",
        "bridge fdb show dev vx66 | grep -qF '00:00:00:00:00:00 dst 198.18.0.12 ' || bridge fdb append 00:00:00:00:00:00 dev vx66 dst 198.18.0.12",
        "ip link set dev vx66 master br-vx",
        "ip link set dev vx66 up",
      ],
      destroy: DESTROY,
    });
  });

  test("no peers, no bridge, an address and another port and parent (flannel.1 style)", () => {
    expect(
      renderVxlan(
        { ...overlay, name: "flannel.1", vni: 1, port: 8472, parent: "ens3", mtu: 8950, peers: [], master: undefined, addresses: ["10.244.0.0/32"] },
        ref,
      ).create.slice(5),
    ).toEqual([
      "  ip link add name flannel.1 type vxlan id 1 local 198.18.0.10 dev ens3 dstport 8472 nolearning",
      "fi",
      `ip link set dev flannel.1 alias ${TAG}`,
      "ip link set dev flannel.1 mtu 8950",
      "ip addr replace 10.244.0.0/32 dev flannel.1",
      "ip link set dev flannel.1 up",
    ]);
  });

  test("a peer check matches the whole address: 198.18.0.1 is not found in an entry for 198.18.0.11", () => {
    const line = renderVxlan({ ...overlay, peers: ["198.18.0.1"] }, ref).create[9];
    expect(line).toContain("grep -qF '00:00:00:00:00:00 dst 198.18.0.1 '");
  });

  test.each<VxlanSpec>([overlay, { ...overlay, peers: [], master: undefined, addresses: ["10.0.0.1/24"] }])(
    "scripts parse with sh -n and bash -n (%#)",
    (spec) => {
      const hooks = renderVxlan(spec, ref);
      for (const s of [createScript(hooks, ref, header), destroyScript(hooks, ref, header)]) {
        expect(syntaxErrors(s, "sh")).toBe("");
        expect(syntaxErrors(s, "bash")).toBe("");
      }
    },
  );
});

// `bridge fdb` on the fake host: one line per entry in fdb/<dev>, as `bridge fdb show` prints them.
const FAKE_BRIDGE = String.raw`#!/bin/sh
echo "bridge $*" >> "$HN_T/log"
mkdir -p "$HN_T/fdb"
case "$1 $2" in
  "fdb show") [ -f "$HN_T/fdb/$4" ] && cat "$HN_T/fdb/$4"; exit 0 ;;
  "fdb append") echo "$3 dst $7 self permanent" >> "$HN_T/fdb/$5" ;;
  *) echo "fake bridge: unexpected: $*" >&2; exit 2 ;;
esac
`;

describe("vxlan hooks on a fake host", () => {
  let host: FakeHost;
  const hooks = renderVxlan(overlay, ref);
  const create = createScript(hooks, ref, header);
  const destroy = destroyScript(hooks, ref, header);
  const fdb = () => {
    const f = path.join(host.dir, "fdb", "vx66");
    return fs.existsSync(f)
      ? fs
          .readFileSync(f, "utf8")
          .split("\n")
          .filter((l) => l)
      : [];
  };
  beforeEach(() => {
    host = new FakeHost();
    fs.writeFileSync(path.join(host.dir, "bin", "bridge"), FAKE_BRIDGE, { mode: 0o755 });
    host.addLink("eth0");
    host.addLink("br-vx", "hostnet:s:s/a/br-vx");
  });
  afterEach(() => host.dispose());

  test("create adds the device, tags it and adds one flood entry per peer", () => {
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    expect(host.link("vx66")).toBe(TAG);
    expect(fdb()).toEqual(["00:00:00:00:00:00 dst 198.18.0.11 self permanent", "00:00:00:00:00:00 dst 198.18.0.12 self permanent"]);
  });

  test("create run again adds neither the device nor a flood entry a second time", () => {
    host.run(create);
    host.clearLog();
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    expect(host.log().filter((l) => l.includes(" add ") || l.includes(" append "))).toEqual([]);
    expect(fdb()).toHaveLength(2);
  });

  test("create fails naming the parent when the parent device is missing, and adds nothing", () => {
    host.deleteLink("eth0");
    const r = host.run(create);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("hostnet: s/a/vx66: parent device eth0 of vxlan vx66 does not exist in the root namespace; fix props.parent\n");
    expect(host.link("vx66")).toBeUndefined();
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("create refuses a vxlan of the same name made by hand", () => {
    host.addLink("vx66");
    const r = host.run(create);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("interface vx66 already exists in the root namespace and hostnet did not create it");
    expect(host.link("vx66")).toBe("");
  });

  test("destroy deletes the device and the ledger entry", () => {
    host.run(create);
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
    expect(host.link("vx66")).toBeUndefined();
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("destroy succeeds when the device was already deleted by hand", () => {
    host.run(create);
    host.deleteLink("vx66");
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
    expect(host.ledgerFiles("s")).toEqual([]);
  });
});

describe("renderVxlan, IPv6", () => {
  test("an IPv6 underlay and addresses of both families: IPv6 local and flood peers, the IPv6 address without DAD", () => {
    const c = renderVxlan(
      { ...overlay, local: "fd00:18::a", peers: ["fd00:18::b"], mtu: 1430, master: undefined, addresses: ["10.67.0.1/24", "fd00:67::1/64"] },
      ref,
    ).create;
    expect(c).toContain("  ip link add name vx66 type vxlan id 66 local fd00:18::a dev eth0 dstport 4789 nolearning");
    expect(c).toContain(
      "bridge fdb show dev vx66 | grep -qF '00:00:00:00:00:00 dst fd00:18::b ' || bridge fdb append 00:00:00:00:00:00 dev vx66 dst fd00:18::b",
    );
    expect(c).toContain("ip addr replace 10.67.0.1/24 dev vx66");
    expect(c).toContain("ip addr replace fd00:67::1/64 dev vx66 nodad");
  });
});
