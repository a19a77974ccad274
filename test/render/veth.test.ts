import { createScript, destroyScript } from "../../src/render/script";
import { ObjectRef, VethSpec } from "../../src/render/types";
import { renderVeth } from "../../src/render/veth";
import { FakeHost, syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "s", path: "s/a/web-veth", id: "0123456789ab", tag: "hostnet:s:s/a/web-veth" };
const TAG = ref.tag;
const header = { kind: "veth", name: "eth0~ve-web" };

// The usual shape: one end in a namespace with an address, the other on a bridge in the root namespace.
const nsToBridge: VethSpec = {
  a: { name: "eth0", netns: "web", addresses: ["10.0.0.2/24"] },
  b: { name: "ve-web", master: "br0", addresses: [] },
  mtu: 1500,
};

describe("renderVeth", () => {
  test("namespace end with an address, root end on a bridge", () => {
    expect(renderVeth(nsToBridge, ref)).toEqual({
      create: [
        `if hn_l=$(ip -n web -o link show dev eth0 2>/dev/null); then`,
        `  case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) hn_ok=1 ;; *'\\    alias '*) hn_ok=0 ;; *) hn_ok=$hn_own ;; esac`,
        `  [ "$hn_ok" = 1 ] || hn_fail 'interface eth0 already exists in namespace web and ` +
          `hostnet did not create it for this object; remove it or choose another name'`,
        "else",
        // The add is tried first; only when it fails is end b looked up, to say why.
        "  if ! ip link add name eth0 netns web type veth peer name ve-web 2>/dev/null; then",
        "    if ip link show dev ve-web >/dev/null 2>&1; then hn_fail 'interface ve-web already exists in the root namespace; remove it or choose another name for this veth end'; fi",
        "    ip link add name eth0 netns web type veth peer name ve-web",
        "  fi",
        "fi",
        // Before up: a gratuitous ARP goes out when the link comes up.
        "ip netns exec web sysctl -q -w net.ipv4.conf.eth0.arp_notify=1",
        // Each end: tagged first, then configured and up, in one ip process.
        `ip -n web -batch - <<'HN_IP'\nlink set dev eth0 alias ${TAG}\nlink set dev eth0 mtu 1500\naddr replace 10.0.0.2/24 dev eth0\nlink set dev eth0 up\nHN_IP`,
        `ip -batch - <<'HN_IP'\nlink set dev ve-web alias ${TAG}\nlink set dev ve-web mtu 1500\nlink set dev ve-web master br0\nlink set dev ve-web up\nHN_IP`,
      ],
      destroy: [
        "if ! [ ! -e /run/netns/web ]; then",
        `  if hn_l=$(ip -n web -o link show dev eth0 2>/dev/null); then`,
        `    case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) ip -n web link del dev eth0 ;; esac`,
        "  fi",
        "fi",
      ],
    });
  });

  test("both ends in the root namespace, no master, no address: one batch for the two", () => {
    const hooks = renderVeth({ a: { name: "v-a", addresses: [] }, b: { name: "v-b", addresses: [] }, mtu: 9000 }, ref);
    expect(hooks.create.slice(3)).toEqual([
      "else",
      "  if ! ip link add name v-a type veth peer name v-b 2>/dev/null; then",
      "    if ip link show dev v-b >/dev/null 2>&1; then hn_fail 'interface v-b already exists in the root namespace; remove it or choose another name for this veth end'; fi",
      "    ip link add name v-a type veth peer name v-b",
      "  fi",
      "fi",
      `ip -batch - <<'HN_IP'\nlink set dev v-a alias ${TAG}\nlink set dev v-a mtu 9000\nlink set dev v-a up\n` +
        `link set dev v-b alias ${TAG}\nlink set dev v-b mtu 9000\nlink set dev v-b up\nHN_IP`,
    ]);
    expect(hooks.destroy).toEqual([
      `if hn_l=$(ip -o link show dev v-a 2>/dev/null); then`,
      `  case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) ip link del dev v-a ;; esac`,
      "fi",
    ]);
  });

  test("root end first, namespace end second: each end goes straight to its namespace", () => {
    const hooks = renderVeth({ a: { name: "ve-db", addresses: [] }, b: { name: "eth0", netns: "db", addresses: ["10.0.0.3/24"] }, mtu: 1500 }, ref);
    expect(hooks.create).toContain("    ip link add name ve-db type veth peer name eth0 netns db");
    expect(hooks.create).toContain(
      "    if ip -n db link show dev eth0 >/dev/null 2>&1; then hn_fail 'interface eth0 already exists in namespace db; remove it or choose another name for this veth end'; fi",
    );
    expect(hooks.create.join("\n")).toContain(
      "ip -n db -batch - <<'HN_IP'\nlink set dev eth0 alias hostnet:s:s/a/web-veth\nlink set dev eth0 mtu 1500\naddr replace 10.0.0.3/24 dev eth0\n",
    );
  });

  test("namespace to namespace, both ends with masters in their namespaces", () => {
    const hooks = renderVeth(
      { a: { name: "eth0", netns: "x", master: "brx", addresses: [] }, b: { name: "eth0", netns: "y", master: "bry", addresses: [] }, mtu: 1500 },
      ref,
    );
    expect(hooks.create).toContain("    ip link add name eth0 netns x type veth peer name eth0 netns y");
    const text = hooks.create.join("\n");
    expect(text).toMatch(
      /\nip -n x -batch - <<'HN_IP'\n[^]*\nlink set dev eth0 master brx\n[^]*\nHN_IP\n[^]*\nip -n y -batch - <<'HN_IP'\n[^]*\nlink set dev eth0 master bry\n/,
    );
  });

  test("scripts parse with sh -n and bash -n", () => {
    const hooks = renderVeth(nsToBridge, ref);
    for (const s of [createScript(hooks, ref, header), destroyScript(hooks, ref, header)]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });
});

describe("veth hooks on a fake host", () => {
  let host: FakeHost;
  beforeEach(() => {
    host = new FakeHost();
    host.addNetns("web");
    host.addLink("br0", "hostnet:s:s/a/br0");
  });
  afterEach(() => host.dispose());
  const hooks = renderVeth(nsToBridge, ref);
  const create = createScript(hooks, ref, header);
  const destroy = destroyScript(hooks, ref, header);

  test("create makes both ends and tags both", () => {
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    expect(host.link("eth0", "web")).toBe(TAG);
    expect(host.link("ve-web")).toBe(TAG);
  });

  test("create refuses when the root end's name is taken, and adds nothing", () => {
    host.addLink("ve-web");
    const r = host.run(create);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "hostnet: s/a/web-veth: interface ve-web already exists in the root namespace; remove it or choose another name for this veth end\n",
    );
    expect(host.link("eth0", "web")).toBeUndefined();
    // The one add tried failed (the name is taken) and made nothing.
    expect(host.log().filter((l) => l.includes("link add"))).toEqual(["ip link add name eth0 netns web type veth peer name ve-web"]);
  });

  test("destroy removes both ends", () => {
    host.run(create);
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
    expect(host.link("eth0", "web")).toBeUndefined();
    expect(host.link("ve-web")).toBeUndefined();
  });

  test("destroy succeeds without touching the namespace when the namespace is already gone", () => {
    host.run(create);
    host.deleteNetns("web");
    host.clearLog();
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
    expect(host.log()).toEqual([]);
    expect(host.ledgerFiles("s")).toEqual([]);
  });
});
