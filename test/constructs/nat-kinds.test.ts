import { Masquerade } from "../../constructs/nat/masquerade";
import { OneToOne } from "../../constructs/nat/one-to-one";
import { PortForward } from "../../constructs/nat/port-forward";
import { Snat } from "../../constructs/nat/snat";
import { NatKind } from "../../constructs/nat/kind";

// Each kind of NatRule checks its own props (constructs/nat/*.ts); the construct adds the path.
describe("each NAT kind names its rule and checks its own props", () => {
  test.each<[string, NatKind, string, string[]]>([
    ["masquerade", new Masquerade({ subnet: "10.88.0.0/24" }), "masquerade 10.88.0.0/24", []],
    [
      "masquerade with host bits",
      new Masquerade({ subnet: "10.88.0.1/24" }),
      "masquerade 10.88.0.1/24",
      [`source: "10.88.0.1/24" has host bits set; the network is 10.88.0.0/24. Use that.`],
    ],
    ["snat from one address", new Snat({ source: "10.88.0.5/32", toSource: "192.0.2.10" }), "snat 10.88.0.5/32 -> 192.0.2.10", []],
    [
      "snat with bad values",
      new Snat({ source: "10.88.0.5/24", toSource: "192.0.2", outInterface: "a b" }),
      "snat 10.88.0.5/24 -> 192.0.2",
      [
        `toSource: "192.0.2" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1.`,
        `outInterface: interface name "a b" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`,
      ],
    ],
    ["port forward", new PortForward({ hostPort: 10080, to: "10.88.0.2", port: 80 }), "tcp/10080 -> 10.88.0.2:80", []],
    [
      "port forward with bad values",
      new PortForward({ hostPort: 0, to: "10.88.0.2", protocol: "sctp" as "tcp", hairpin: true }),
      "sctp/0 -> 10.88.0.2:0",
      [
        "hostPort 0 is not a port; use a whole number from 1 to 65535. Fix props.hostPort.",
        "port 0 is not a port; use a whole number from 1 to 65535. Fix props.port.",
        `protocol "sctp" is not supported; use "tcp" or "udp".`,
        `hairpin needs the target's subnet, but "to" is a plain address (10.88.0.2). Pass an Address from a Subnet (subnet.allocate(...)) or drop props.hairpin.`,
      ],
    ],
    ["1:1", new OneToOne({ inside: "10.0.0.5", outside: "16.158.1.5" }), "1:1 10.0.0.5 <-> 16.158.1.5", []],
    [
      "1:1 to itself",
      new OneToOne({ inside: "10.0.0.5", outside: "10.0.0.5" }),
      "1:1 10.0.0.5 <-> 10.0.0.5",
      ["inside and outside are both 10.0.0.5; 1:1 NAT maps one address to another. Fix props.outside."],
    ],
  ])("%s", (_, kind, name, problems) => {
    expect(kind.objectName()).toBe(name);
    expect(kind.problems()).toEqual(problems);
  });

  test("only a port forward publishes a host port", () => {
    expect(new PortForward({ hostPort: 10080, to: "10.88.0.2", protocol: "udp", hostAddress: "192.0.2.1" }).publishedPorts()).toEqual([
      { protocol: "udp", port: 10080, hostAddress: "192.0.2.1" },
    ]);
    expect(new Masquerade({ subnet: "10.88.0.0/24" }).publishedPorts()).toEqual([]);
    expect(new Snat({ source: "10.88.0.0/24", toSource: "192.0.2.10" }).publishedPorts()).toEqual([]);
    expect(new OneToOne({ inside: "10.0.0.5", outside: "16.158.1.5" }).publishedPorts()).toEqual([]);
  });
});
