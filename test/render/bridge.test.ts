import { bridgeMac, renderBridge } from "../../src/render/bridge";
import { createScript, destroyScript } from "../../src/render/script";
import { BridgeSpec, ObjectRef } from "../../src/render/types";
import { FakeHost, syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "s", path: "s/a/br0", id: "0123456789ab", tag: "hostnet:s:s/a/br0" };
const TAG = ref.tag;
const header = { kind: "bridge", name: "br0" };

describe("bridgeMac", () => {
  test.each([
    // The bridge's own MAC: 02 (locally administered, unicast) and five bytes of sha256(tag).
    ["hostnet:s:s/a/br0", "02:b1:3b:4e:4c:3d"],
    ["hostnet:s:s/a/other", "02:39:6b:8b:e6:e7"],
  ])("%s -> %s", (tag, mac) => {
    expect(bridgeMac(tag)).toBe(mac);
  });

  test("is a locally administered unicast MAC, the same on every synth, different per tag", () => {
    const macs = new Set(Array.from({ length: 500 }, (_, i) => bridgeMac(`hostnet:s:s/h/br${i}`)));
    expect(macs.size).toBe(500);
    for (const m of macs) expect(m).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(bridgeMac("hostnet:s:s/h/br7")).toBe(bridgeMac("hostnet:s:s/h/br7"));
  });
});

describe("renderBridge", () => {
  test("root namespace, no address", () => {
    expect(renderBridge({ name: "br0", mtu: 1500, addresses: [] }, ref)).toEqual({
      create: [
        `if hn_l=$(ip -o link show dev br0 2>/dev/null); then`,
        `  case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) hn_ok=1 ;; *'\\    alias '*) hn_ok=0 ;; *) hn_ok=$hn_own ;; esac`,
        `  [ "$hn_ok" = 1 ] || hn_fail 'interface br0 already exists in the root namespace and ` +
          `hostnet did not create it for this object; remove it or choose another name'`,
        "else",
        "  ip link add name br0 address 02:b1:3b:4e:4c:3d type bridge",
        "fi",
        "ip -batch - <<'HN_IP'\nlink set dev br0 alias hostnet:s:s/a/br0\nlink set dev br0 mtu 1500\nlink set dev br0 up\nHN_IP",
      ],
      destroy: [
        `if hn_l=$(ip -o link show dev br0 2>/dev/null); then`,
        `  case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) ip link del dev br0 ;; esac`,
        "fi",
      ],
    });
  });

  test("in a namespace with two addresses and jumbo MTU", () => {
    expect(renderBridge({ name: "br0", netns: "web", mtu: 9000, addresses: ["10.0.0.1/24", "10.1.0.1/16"] }, ref)).toEqual({
      create: [
        `if hn_l=$(ip -n web -o link show dev br0 2>/dev/null); then`,
        `  case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) hn_ok=1 ;; *'\\    alias '*) hn_ok=0 ;; *) hn_ok=$hn_own ;; esac`,
        `  [ "$hn_ok" = 1 ] || hn_fail 'interface br0 already exists in namespace web and hostnet ` +
          `did not create it for this object; remove it or choose another name'`,
        "else",
        "  ip -n web link add name br0 address 02:b1:3b:4e:4c:3d type bridge",
        "fi",
        "ip -n web -batch - <<'HN_IP'\nlink set dev br0 alias hostnet:s:s/a/br0\nlink set dev br0 mtu 9000\naddr replace 10.0.0.1/24 dev br0\n" +
          "addr replace 10.1.0.1/16 dev br0\nlink set dev br0 up\nHN_IP",
      ],
      destroy: [
        "if ! [ ! -e /run/netns/web ]; then",
        `  if hn_l=$(ip -n web -o link show dev br0 2>/dev/null); then`,
        `    case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) ip -n web link del dev br0 ;; esac`,
        "  fi",
        "fi",
      ],
    });
  });

  test.each<BridgeSpec>([
    { name: "br0", mtu: 1500, addresses: [] },
    { name: "br0", netns: "web", mtu: 1500, addresses: ["10.0.0.1/24"] },
  ])("scripts parse with sh -n and bash -n (%j)", (spec) => {
    const hooks = renderBridge(spec, ref);
    for (const s of [createScript(hooks, ref, header), destroyScript(hooks, ref, header)]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });
});

describe("bridge hooks on a fake host", () => {
  let host: FakeHost;
  beforeEach(() => (host = new FakeHost()));
  afterEach(() => host.dispose());
  const hooks = renderBridge({ name: "br0", mtu: 1500, addresses: ["10.0.0.1/24"] }, ref);
  const create = createScript(hooks, ref, header);
  const destroy = destroyScript(hooks, ref, header);

  test("create adds and tags the bridge", () => {
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    expect(host.link("br0")).toBe(TAG);
    expect(host.log()).toEqual([
      "ip -o link show dev br0",
      "ip link add name br0 address 02:b1:3b:4e:4c:3d type bridge",
      "ip -batch -",
      `batch: link set dev br0 alias ${TAG}`,
      "batch: link set dev br0 mtu 1500",
      "batch: addr replace 10.0.0.1/24 dev br0",
      "batch: link set dev br0 up",
    ]);
  });

  test("create run again checks ownership with one ip process and no sed", () => {
    host.run(create);
    host.clearLog();
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    expect(host.log().filter((l) => l.includes(" show "))).toEqual(["ip -o link show dev br0"]);
  });

  test("create run again does not add the bridge a second time", () => {
    host.run(create);
    host.clearLog();
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    expect(host.log().filter((l) => l.includes(" add "))).toEqual([]);
  });

  test("create refuses a bridge of the same name made by hand and leaves it alone", () => {
    host.addLink("br0");
    const r = host.run(create);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "hostnet: s/a/br0: interface br0 already exists in the root namespace and hostnet did not create it for this object; remove it or choose another name\n",
    );
    expect(host.link("br0")).toBe("");
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("create refuses a bridge tagged by another hostnet object even when this object's ledger entry exists", () => {
    host.addLink("br0", "hostnet:s:s/a/other");
    host.writeLedger("s/0123456789ab.down", "# an earlier run\n");
    expect(host.run(create).status).toBe(1);
    expect(host.link("br0")).toBe("hostnet:s:s/a/other");
    // The failed create ran this object's destroy script (which removes only what carries
    // its own tag), so nothing of this object is left and neither is its entry.
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("create adopts an untagged bridge left by its own interrupted run (ledger entry present)", () => {
    host.addLink("br0");
    host.writeLedger("s/0123456789ab.down", "# an earlier run\n");
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    expect(host.link("br0")).toBe(TAG);
  });

  test("destroy deletes the bridge and the ledger entry", () => {
    host.run(create);
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
    expect(host.link("br0")).toBeUndefined();
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("destroy succeeds when the bridge was already deleted by hand", () => {
    host.run(create);
    host.deleteLink("br0");
    host.clearLog();
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
    expect(host.log()).toEqual(["ip -o link show dev br0"]);
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("destroy leaves a bridge of the same name that carries another tag", () => {
    host.addLink("br0", "someone-else");
    expect(host.run(destroy).status).toBe(0);
    expect(host.link("br0")).toBe("someone-else");
  });
});
