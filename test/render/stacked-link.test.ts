import { renderIpvlan } from "../../src/render/ipvlan";
import { renderMacvlan } from "../../src/render/macvlan";
import { createScript, destroyScript } from "../../src/render/script";
import { renderStackedLink, StackedLinkSpec } from "../../src/render/stacked-link";
import { ObjectRef } from "../../src/render/types";
import { syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "s", path: "s/a/m1-mv", id: "0123456789ab", tag: "hostnet:s:s/a/m1-mv" };
const TAG = ref.tag;

describe("renderMacvlan", () => {
  test("bridge mode on a root-namespace parent, placed straight into a namespace, addressed", () => {
    expect(renderMacvlan({ name: "eth0", netns: "m1", parent: "mv-parent", mode: "bridge", mtu: 1500, addresses: ["10.69.0.1/24"] }, ref)).toEqual({
      create: [
        `if hn_l=$(ip -n m1 -o link show dev eth0 2>/dev/null); then`,
        `  case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) hn_ok=1 ;; *'\\    alias '*) hn_ok=0 ;; *) hn_ok=$hn_own ;; esac`,
        `  [ "$hn_ok" = 1 ] || hn_fail 'interface eth0 already exists in namespace m1 and hostnet ` +
          `did not create it for this object; remove it or choose another name'`,
        "else",
        "  ip link show dev mv-parent >/dev/null 2>&1 || hn_fail 'parent device mv-parent of macvlan eth0 does not exist in the root namespace; create it first or fix props.parent'",
        `  ip link add link mv-parent name eth0 netns m1 type macvlan mode bridge || hn_fail 'could not add macvlan eth0 on mv-parent (see ` +
          `the error above); "Unknown device type" means the kernel lacks the macvlan module (modprobe macvlan)'`,
        "fi",
        `ip -n m1 link set dev eth0 alias ${TAG}`,
        "ip -n m1 link set dev eth0 mtu 1500",
        "ip -n m1 addr replace 10.69.0.1/24 dev eth0",
        "ip -n m1 link set dev eth0 up",
      ],
      destroy: [
        "if ! [ ! -e /run/netns/m1 ]; then",
        `  if hn_l=$(ip -n m1 -o link show dev eth0 2>/dev/null); then`,
        `    case "$hn_l\\\\    " in *'\\    alias '${TAG}'\\    '*) ip -n m1 link del dev eth0 ;; esac`,
        "  fi",
        "fi",
      ],
    });
  });

  test.each<[string, Parameters<typeof renderMacvlan>[0], string]>([
    [
      "stays beside a root parent: no netns word",
      { name: "mv-x", parent: "eth0", mode: "private", mtu: 1500, addresses: [] },
      "ip link add link eth0 name mv-x type macvlan mode private",
    ],
    [
      "parent and child in one namespace: no netns word",
      { name: "mv-x", netns: "edge", parent: "br0", parentNetns: "edge", mode: "vepa", mtu: 9000, addresses: [] },
      "ip -n edge link add link br0 name mv-x type macvlan mode vepa",
    ],
    [
      "parent in one namespace, child in another",
      { name: "eth0", netns: "web", parent: "br0", parentNetns: "edge", mode: "bridge", mtu: 1500, addresses: [] },
      "ip -n edge link add link br0 name eth0 netns web type macvlan mode bridge",
    ],
  ])("%s", (_, spec, add) => {
    const line = renderMacvlan(spec, ref).create.find((l) => l.includes(" link add "))!;
    expect(line.trim().split(" || ")[0]).toBe(add);
  });
});

describe("renderIpvlan (kernel here lacks ipvlan: synth only)", () => {
  test.each([
    ["l2", "ip link add link eth0 name eth0 netns web type ipvlan mode l2"],
    ["l3", "ip link add link eth0 name eth0 netns web type ipvlan mode l3"],
  ] as const)("mode %s", (mode, add) => {
    const hooks = renderIpvlan({ name: "eth0", netns: "web", parent: "eth0", mode, mtu: 1500, addresses: ["10.70.0.2/24"] }, ref);
    expect(hooks.create[5]).toBe(
      `  ${add} || hn_fail 'could not add ipvlan eth0 on eth0 (see the error above); "Unknown device type" means the kernel lacks the ipvlan module (modprobe ipvlan)'`,
    );
    expect(hooks.create.slice(7)).toEqual([
      `ip -n web link set dev eth0 alias ${TAG}`,
      "ip -n web link set dev eth0 mtu 1500",
      "ip -n web addr replace 10.70.0.2/24 dev eth0",
      "ip -n web link set dev eth0 up",
    ]);
  });
});

describe("stacked links", () => {
  test("a child cannot be placed in the root namespace when its parent is in a namespace", () => {
    expect(() =>
      renderStackedLink({ type: "macvlan", mode: "bridge", name: "x", parent: "br0", parentNetns: "edge", mtu: 1500, addresses: [] }, ref),
    ).toThrow("macvlan x: a link on a parent in namespace edge cannot be placed in the root namespace");
  });

  test.each<StackedLinkSpec>([
    { type: "macvlan", mode: "bridge", name: "eth0", netns: "m1", parent: "br0", mtu: 1500, addresses: ["10.0.0.2/24"] },
    { type: "ipvlan", mode: "l3", name: "iv-x", parent: "eth0", mtu: 1400, addresses: [] },
    { type: "macvlan", mode: "bridge", name: "eth0", netns: "web", parent: "br0", parentNetns: "edge", mtu: 1500, addresses: [] },
  ])("scripts parse with sh -n and bash -n (%#)", (spec) => {
    const hooks = renderStackedLink(spec, ref);
    for (const s of [
      createScript(hooks, ref, { kind: spec.type, name: spec.name }),
      destroyScript(hooks, ref, { kind: spec.type, name: spec.name }),
    ]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });
});
