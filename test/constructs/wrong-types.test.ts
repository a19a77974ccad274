/**
 * Props of the wrong type, as JavaScript or a parsed config file can pass them
 * (a number for a name, null in an address list, an object for a list): each is
 * a problem at synth naming the construct path and the value, never a bare
 * TypeError and never accepted as the text it happens to turn into.
 */
import { BandwidthLimit, Bridge, Host, Ipvlan, Macvlan, Namespace, Sysctl, VethPair, Vxlan } from "../../constructs";
import { messages, newHost, newStack } from "../support/stacks";

type Build = (a: Host, v: unknown) => void;
const any = (v: unknown) => v as any;

const PROPS: Array<[string, string, Build, unknown[]]> = [
  ["Bridge.address", "s/a/b", (a, v) => new Bridge(a, "b", { address: any(v) }), [null, 5, [undefined], [["10.0.0.2/24"]], true]],
  [
    "VethPair.a.address",
    "s/a/v",
    (a, v) => new VethPair(a, "v", { a: { namespace: new Namespace(a, "n"), address: any(v) }, b: {} }),
    [null, 5, [null], [["10.0.0.2/24"]], false],
  ],
  ["Vxlan.address", "s/a/vx", (a, v) => new Vxlan(a, "vx", { vni: 5, address: any(v) }), [null, 5, true]],
  ["Vxlan.addresses", "s/a/vx", (a, v) => new Vxlan(a, "vx", { vni: 5, addresses: any(v) }), [5, {}, true]],
  ["Vxlan.peers", "s/a/vx", (a, v) => new Vxlan(a, "vx", { vni: 5, peers: any(v) }), [5, {}, true]],
  [
    "Macvlan.address",
    "s/a/mv",
    (a, v) => new Macvlan(a, "mv", { parent: "eth0", namespace: new Namespace(a, "m"), address: any(v) }),
    [null, 5, [undefined], [["10.0.0.2/24"]], true],
  ],
  ["Macvlan.parent", "s/a/mv", (a, v) => new Macvlan(a, "mv", { parent: any(v), namespace: new Namespace(a, "m") }), [5, [["eth0"]], {}, true]],
  ["Ipvlan.parent", "s/a/iv", (a, v) => new Ipvlan(a, "iv", { parent: any(v), namespace: new Namespace(a, "m") }), [5, ["eth0"]]],
  ["Namespace.name", "s/a/n", (a, v) => new Namespace(a, "n", { name: any(v) }), [5, [["x"]], {}, true]],
  ["Bridge.name", "s/a/b", (a, v) => new Bridge(a, "b", { name: any(v) }), [5, [["x"]], {}, true]],
  [
    "VethPair.a.name",
    "s/a/v",
    (a, v) => new VethPair(a, "v", { a: { name: any(v), namespace: new Namespace(a, "n") }, b: {} }),
    [5, ["x"], {}, true],
  ],
  [
    "BandwidthLimit.classes",
    "s/a/bw",
    (a, v) => new BandwidthLimit(a, "bw", { interface: new Bridge(a, "br"), classes: any(v) }),
    [null, 5, {}, true],
  ],
  ["Sysctl.value", "s/a/s", (a, v) => new Sysctl(a, "s", { key: "net.ipv4.ip_forward", value: any(v) }), [[["1"]], {}, true]],
];

describe.each(PROPS)("%s of the wrong type", (_, path, build, values) => {
  test.each(values.map((v) => [JSON.stringify(v) ?? String(v), v]))("%s: a problem at synth naming the path and the value", (shown, v) => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    build(a, v);
    const m = messages(stack);
    expect(m.length).toBeGreaterThan(0);
    for (const line of m) expect(line.startsWith(`${path}: `)).toBe(true);
    // A list's wrong element is named on its own (undefined as it is, or as JSON shows it in a list: null).
    const forms = [
      shown,
      ...(Array.isArray(v) ? v.map((e) => JSON.stringify(e) ?? String(e)) : []),
      ...(shown.includes("null") ? ["undefined"] : []),
    ];
    expect(m.some((line) => forms.some((f) => line.includes(f)))).toBe(true);
  });
});

test("the message says what the value is and what to give instead", () => {
  const { stack } = newStack();
  const a = newHost(stack, "a");
  new Macvlan(a, "mv", { parent: "eth0", namespace: new Namespace(a, "m"), address: any(5) });
  new Bridge(a, "b", { name: any(5) });
  new BandwidthLimit(a, "bw", { interface: new Bridge(a, "br"), classes: any({}) });
  expect(messages(stack)).toEqual([
    's/a/mv: address: 5 is not an address. Write it as "a.b.c.d/len" or "fd00::2/64", or take one from a Subnet (subnet.allocate(...)).',
    "s/a/b: interface name 5 is not text. Set props.name or shorten the construct id.",
    "s/a/bw: classes: {} is not a list. Give props.classes a list of { id, rate }.",
  ]);
});
