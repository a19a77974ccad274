import { BandwidthLimit, Bridge, Namespace, Subnet, VethPair } from "../../constructs";
import { messages, newHost, newStack, validationErrors } from "../support/stacks";

function setup() {
  const { stack } = newStack();
  const a = newHost(stack);
  const lan = new Subnet(a, "lan", { cidr: "10.93.0.0/24" });
  const br = new Bridge(a, "br0", { address: lan.gateway });
  const srv = new Namespace(a, "srv");
  const alice = new Namespace(a, "alice");
  const srvVeth = new VethPair(a, "srv-veth", { a: { namespace: srv, address: lan.allocate(srv) }, b: { bridge: br } });
  const aliceAddr = lan.allocate(alice);
  new VethPair(a, "alice-veth", { a: { namespace: alice, address: aliceAddr }, b: { bridge: br } });
  return { stack, a, lan, br, srv, srvVeth, aliceAddr };
}

describe("BandwidthLimit", () => {
  test("on a veth end: spec, dependencies, kind and review row", () => {
    const { stack, a, srvVeth, aliceAddr, lan, srv } = setup();
    const bw = new BandwidthLimit(a, "limit", {
      interface: srvVeth.b,
      classes: [
        { id: 10, rate: "20mbit", match: { src: aliceAddr } },
        { id: 11, rate: "5mbit", ceil: "10mbit", burst: "15k", match: { src: lan, dport: 80 } },
        { id: 30, rate: "30mbit" },
      ],
      defaultClass: 30,
    });
    expect(validationErrors(stack)).toEqual([]);
    expect(bw.spec()).toEqual({
      dev: "ve-srv-veth",
      total: "60mbit",
      totalQuantum: 200000,
      defaultClass: 30,
      classes: [
        { id: 10, rate: "20mbit", ceil: "20mbit", quantum: 200000, match: { src: "10.93.0.3/32" } },
        { id: 11, rate: "5mbit", ceil: "10mbit", burst: "15k", quantum: 62500, match: { src: "10.93.0.0/24", dport: 80 } },
        { id: 30, rate: "30mbit", ceil: "30mbit", quantum: 200000 },
      ],
    });
    expect(bw.dependencies()).toEqual([srvVeth]);
    expect(bw.requiredCommands()).toEqual(["ip", "tc"]);
    expect(bw.summary()).toEqual({
      kind: "bandwidth",
      name: "htb ve-srv-veth",
      where: "root",
      addresses: [],
      detail: "10: 20mbit (from 10.93.0.3/32); 11: 5mbit-10mbit (from 10.93.0.0/24 port 80); 30: 30mbit; default 30",
    });
    // In a namespace: the veth end's namespace, which it depends on first.
    const inside = new BandwidthLimit(a, "egress", { interface: srvVeth.a, classes: [{ id: 2, rate: "1mbit" }], total: "2mbit" });
    expect(inside.spec()).toMatchObject({ netns: "srv", dev: "eth0", total: "2mbit" });
    expect(inside.dependencies()).toEqual([srv, srvVeth]);
    expect(inside.summary().where).toBe("netns srv");
  });

  test("on a bridge, and on an interface given by name", () => {
    const { stack, a, br, srv } = setup();
    expect(new BandwidthLimit(a, "on-bridge", { interface: br, classes: [{ id: 10, rate: "1mbit" }] }).dependencies()).toEqual([br]);
    // A name nobody in the stack creates: only the namespace is a dependency.
    const byName = new BandwidthLimit(a, "by-name", { interface: { name: "eth9", namespace: srv }, classes: [{ id: 10, rate: "1mbit" }] });
    expect(byName.dependencies()).toEqual([srv]);
    expect(byName.host).toBe(a);
    expect(validationErrors(stack)).toEqual([]);
  });

  test.each<[string, ConstructorParameters<typeof BandwidthLimit>[2], string[]]>([
    ["no classes", { interface: { name: "eth0" }, classes: [] }, ["s/a/bw: no classes. Give props.classes at least one { id, rate }."]],
    [
      "bad ids, a duplicate id and a default class that does not exist",
      {
        interface: { name: "eth0" },
        classes: [
          { id: 1, rate: "1mbit" },
          { id: 10, rate: "1mbit" },
          { id: 10, rate: "1mbit" },
        ],
        defaultClass: 30,
      },
      [
        "s/a/bw: class 1: class id 1 must be a whole number from 2 to 9999 (1 is the parent class hostnet adds). Fix props.classes[0].id.",
        "s/a/bw: class 10: id 10 is used twice. Give each class its own id.",
        "s/a/bw: defaultClass 30 is not one of the class ids (1, 10, 10). Set it to one of them or leave it out.",
      ],
    ],
    [
      "rates, sizes and a ceiling below the rate",
      {
        interface: { name: "eth0" },
        classes: [
          { id: 10, rate: "fast", burst: "lots" },
          { id: 11, rate: "10mbit", ceil: "5mbit" },
        ],
        total: "x",
      },
      [
        `s/a/bw: class 10: rate "fast" is not a tc rate; write a number and a unit, e.g. "20mbit", "512kbit" or "1gbit".`,
        `s/a/bw: class 10: burst "lots" is not a tc size; write bytes with an optional unit, e.g. "15k", "1600" or "1mb".`,
        "s/a/bw: class 11: ceil 5mbit is below rate 10mbit; the ceiling must be at least the guaranteed rate. Raise props.classes[1].ceil.",
        `s/a/bw: total "x" is not a tc rate; write a number and a unit, e.g. "20mbit", "512kbit" or "1gbit".`,
      ],
    ],
    [
      "matches: empty, bad address, bad port",
      {
        interface: { name: "eth0" },
        classes: [
          { id: 10, rate: "1mbit", match: {} },
          { id: 11, rate: "1mbit", match: { src: "10.0.0.300", dst: "10.0.0.0/33", dport: 0 } },
        ],
      },
      [
        "s/a/bw: class 10: match is empty. Set match.src, match.dst or match.dport, or drop match.",
        `s/a/bw: class 11: match.src: "10.0.0.300" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`,
        `s/a/bw: class 11: match.dst: "10.0.0.0/33" has prefix length 33; IPv4 allows 0-32.`,
        "s/a/bw: class 11: match.dport 0 is not a port; use a whole number from 1 to 65535.",
      ],
    ],
    [
      "an interface name Linux refuses",
      { interface: { name: "eth0; reboot" }, classes: [{ id: 10, rate: "1mbit" }] },
      [
        `s/a/bw: interface: interface name "eth0; reboot" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`,
      ],
    ],
  ])("validation: %s", (_name, props, expected) => {
    const { stack } = newStack();
    new BandwidthLimit(newHost(stack), "bw", props);
    expect(messages(stack)).toEqual(expected);
  });

  test("a limit created in one host's scope on an interface in another host's namespace is refused (it used to land on the other host)", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    const nsB = new Namespace(b, "web");
    new BandwidthLimit(a, "bw", { interface: { name: "eth0", namespace: nsB }, classes: [{ id: 10, rate: "1mbit" }] });
    expect(messages(stack)).toEqual([
      "s/a/bw: props.interface.namespace is s/b/web, which is on host s/b, but this BandwidthLimit is built on host s/a. Refer to an object " +
        "on s/a, or create this BandwidthLimit in s/b's scope; hosts are joined by a Vxlan or by routes (HostGw), not by references.",
    ]);
  });
});
