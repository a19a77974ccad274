import { Testing } from "cdktf";
import { Bridge, HostnetStack, Namespace, NatRule, Route, Subnet, Sysctl, VethPair } from "../../constructs";
import { labTopology } from "../../stacks/lab-topology";
import { messages, newHost, newStack, validationErrors } from "../support/stacks";

describe("a valid stack", () => {
  test("the lab topology passes validation", () => {
    const { stack } = newStack();
    labTopology(newHost(stack));
    expect(validationErrors(stack)).toEqual([]);
  });
});

describe("validation messages name the construct path, the bad value and the fix", () => {
  test("interface name too long", () => {
    const { stack } = newStack();
    new Bridge(newHost(stack), "br", { name: "very-long-name-x" });
    expect(messages(stack)).toEqual([
      `s/a/br: interface name "very-long-name-x" is 16 bytes; Linux allows 15. Set props.name or shorten the construct id.`,
    ]);
  });

  test("veth end name with a character Linux refuses", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new VethPair(a, "v", { a: { namespace: new Namespace(a, "web"), name: "eth0:1" }, b: {} });
    expect(messages(stack)).toEqual([
      `s/a/v: end a: interface name "eth0:1" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Set props.a.name.`,
    ]);
  });

  test("the same address reserved twice names both holders", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const lan = new Subnet(a, "lan", { cidr: "10.88.0.0/24" });
    const web = new Namespace(a, "web");
    const db = new Namespace(a, "db");
    lan.address("10.88.0.5", web);
    lan.address("10.88.0.5", db);
    expect(messages(stack)).toEqual(["s/a/lan: address 10.88.0.5 is assigned twice: to s/a/web and to s/a/db. Give one of them another address."]);
  });

  test("the same literal address on two interfaces of a host is refused", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new VethPair(a, "v1", { a: { namespace: new Namespace(a, "web"), address: "10.88.0.5/24" }, b: {} });
    new VethPair(a, "v2", { a: { namespace: new Namespace(a, "db"), address: "10.88.0.5/24" }, b: {} });
    const m = messages(stack);
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/^s\/a\/v2: address 10\.88\.0\.5 .*s\/a\/v1.*Give one of them another address/);
  });

  test("an address outside the subnet", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Subnet(a, "lan", { cidr: "10.88.0.0/24" }).address("10.99.0.5", new Namespace(a, "web"));
    expect(messages(stack)).toEqual([
      "s/a/lan: address 10.99.0.5 (for s/a/web) is outside subnet 10.88.0.0/24. Use an address inside it or allocate one with subnet.allocate().",
    ]);
  });

  test.each([
    ["10.88.0.0", "network"],
    ["10.88.0.255", "broadcast"],
  ])("the %s address of a subnet is not assignable (%s)", (ip, which) => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Subnet(a, "lan", { cidr: "10.88.0.0/24" }).address(ip, "s/a/web");
    expect(messages(stack)).toEqual([
      `s/a/lan: address ${ip} (for s/a/web) is the ${which} address of 10.88.0.0/24 and cannot be assigned. Use an address from 10.88.0.1 to 10.88.0.254.`,
    ]);
  });

  test("a literal network or broadcast address on a bridge", () => {
    const { stack } = newStack();
    new Bridge(newHost(stack), "br", { address: "10.88.0.255/24" });
    expect(messages(stack)).toEqual(["s/a/br: address 10.88.0.255/24 is the network or broadcast address of its subnet; use a host address."]);
  });

  test("a host without a pinned host key", () => {
    const { stack } = newStack();
    newHost(stack, "b", { address: "198.18.0.11", hostKey: undefined });
    expect(messages(stack)).toEqual([
      `s/b: no pinned host key for 198.18.0.11. Set props.hostKey ("ssh-ed25519 AAAA...") or props.knownHostsFile, or set insecureIgnoreHostKey: true to accept any key.`,
    ]);
  });

  test("insecureIgnoreHostKey is the explicit way out of pinning", () => {
    const { stack } = newStack();
    newHost(stack, "b", { hostKey: undefined, insecureIgnoreHostKey: true });
    expect(messages(stack)).toEqual([]);
  });

  test("a host key with a trailing comment", () => {
    const { stack } = newStack();
    newHost(stack, "a", { hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 root@a" });
    expect(messages(stack)).toEqual([
      `s/a: host key "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 root@a" is not an SSH public key line ("ssh-ed25519 AAAA..."). Copy it from the host's /etc/ssh/ssh_host_ed25519_key.pub without the comment.`,
    ]);
  });

  test("a hook lock with a lease or wait that is not whole seconds in range", () => {
    const { stack } = newStack();
    newHost(stack, "a", { hookLock: { leaseSeconds: 0, waitSeconds: 1.5 } });
    expect(messages(stack)).toEqual([
      "s/a: hookLock.leaseSeconds 0 must be a whole number of seconds from 1 to 86400. Fix props.hookLock.leaseSeconds.",
      "s/a: hookLock.waitSeconds 1.5 must be a whole number of seconds from 0 to 86400. Fix props.hookLock.waitSeconds.",
    ]);
  });

  test("bad SSH port", () => {
    const { stack } = newStack();
    newHost(stack, "a", { port: 0 });
    expect(messages(stack)).toEqual(["s/a: SSH port 0 is not a port; use a whole number from 1 to 65535. Fix props.port."]);
  });

  test.each([
    [{ user: "Root" }, `s/a: SSH user "Root" is not a valid login name (lower-case letters, digits, "_", "-", at most 32). Fix props.user.`],
    [
      { knownHostsFile: "/k/known", jumpHost: { address: "bastion", user: "Admin" } },
      `s/a: SSH user "Admin" is not a valid login name (lower-case letters, digits, "_", "-", at most 32). Fix props.jumpHost.user.`,
    ],
  ])("a bad SSH user names the one prop to fix, once (%j)", (props, message) => {
    const { stack } = newStack();
    newHost(stack, "a", props);
    expect(messages(stack)).toEqual([message]);
  });

  test("a sysctl key that is not a string (plain JavaScript) is a problem, not a crash", () => {
    const { stack } = newStack();
    new Sysctl(newHost(stack), "x", { key: undefined as unknown as string, value: "1" });
    expect(messages(stack)).toEqual([`s/a/x: sysctl key "undefined" is not a dotted sysctl name like net.ipv4.ip_forward. Fix props.key.`]);
  });

  test("a namespace name that is no safe file name names the props to fix", () => {
    const { stack } = newStack();
    new Namespace(newHost(stack), "ns", { name: "-web" });
    expect(messages(stack)).toEqual([
      `s/a/ns: namespace name "-web" must be a safe file name: letters, digits, "_", "-", "." and not starting with "-" or ".". Set props.name or change the construct id.`,
    ]);
  });

  test("bad host and service ports of a port forward", () => {
    const { stack } = newStack();
    NatRule.portForward(newHost(stack), "pub", { hostPort: 70000, to: "10.88.0.2", port: 0 });
    expect(messages(stack)).toEqual([
      "s/a/pub: hostPort 70000 is not a port; use a whole number from 1 to 65535. Fix props.hostPort.",
      "s/a/pub: port 0 is not a port; use a whole number from 1 to 65535. Fix props.port.",
    ]);
  });

  test.each([
    [40, "s/a/br: MTU 40 is out of range; Linux accepts 68 to 65535 for IPv4. Fix props.mtu."],
    [70000, "s/a/br: MTU 70000 is out of range; Linux accepts 68 to 65535 for IPv4. Fix props.mtu."],
  ])("bad bridge MTU %p", (mtu, message) => {
    const { stack } = newStack();
    new Bridge(newHost(stack), "br", { mtu });
    expect(messages(stack)).toEqual([message]);
  });

  test("a veth MTU above its bridge's", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    const br = new Bridge(a, "br0", { mtu: 1400 });
    new VethPair(a, "v", { a: { namespace: new Namespace(a, "web") }, b: { bridge: br }, mtu: 1500 });
    expect(messages(stack)).toEqual([
      "s/a/v: end b: MTU 1500 is larger than bridge br0's MTU 1400; the bridge would lower it. Set props.mtu to at most 1400.",
    ]);
  });

  test("a veth between two hosts", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a");
    const b = newHost(stack, "b", { address: "198.18.0.11" });
    new VethPair(a, "v", { a: { namespace: new Namespace(a, "web") }, b: { namespace: new Namespace(b, "db") } });
    const m = messages(stack);
    expect(m).toHaveLength(1);
    expect(m[0]).toBe(
      "s/a/v: props.b.namespace is s/b/db, which is on host s/b, but this VethPair is built on host s/a. Refer to an object on s/a, or " +
        "create this VethPair in s/b's scope; hosts are joined by a Vxlan or by routes (HostGw), not by references.",
    );
  });

  test("a route without next hop or interface", () => {
    const { stack } = newStack();
    new Route(newHost(stack), "r", { destination: "10.1.0.0/16" });
    expect(messages(stack)).toEqual(["s/a/r: a route needs a next hop or an interface. Set props.via or props.dev."]);
  });

  test("a route destination with host bits", () => {
    const { stack } = newStack();
    new Route(newHost(stack), "r", { destination: "10.1.0.1/16", via: "10.0.0.1" });
    expect(messages(stack)).toEqual([`s/a/r: destination: "10.1.0.1/16" has host bits set; the network is 10.1.0.0/16. Use that.`]);
  });

  test("an IPv4 destination via an IPv6 next hop is a family mismatch", () => {
    const { stack } = newStack();
    new Route(newHost(stack), "r", { destination: "10.1.0.0/16", via: "fd00::1" });
    expect(messages(stack)).toEqual([
      "s/a/r: destination 10.1.0.0/16 is IPv4 but via fd00::1 is IPv6; a next hop must be of the destination's family. Set props.via to an IPv4 address.",
    ]);
  });

  test("a masquerade source with a leading-zero prefix, which iproute2 and iptables would misread", () => {
    const { stack } = newStack();
    NatRule.masquerade(newHost(stack), "m", { subnet: "10.0.0.0/08" });
    expect(messages(stack)).toEqual([`s/a/m: source: "10.0.0.0/08" has a prefix length with a leading zero; write it as 10.0.0.0/8.`]);
  });

  test("a sysctl key and value that are not plain", () => {
    const { stack } = newStack();
    new Sysctl(newHost(stack), "x", { key: "net/ipv4/ip_forward", value: "1; reboot" });
    expect(messages(stack)).toEqual([
      `s/a/x: sysctl key "net/ipv4/ip_forward" is not a dotted sysctl name like net.ipv4.ip_forward. Fix props.key.`,
      `s/a/x: sysctl value "1; reboot" may hold only letters, digits and "_.:-". Fix props.value.`,
    ]);
  });

  test("every problem of a stack is reported at once", () => {
    const { stack } = newStack();
    const a = newHost(stack, "a", { hostKey: undefined });
    new Bridge(a, "br", { name: "very-long-name-x", mtu: 1 });
    NatRule.portForward(a, "pub", { hostPort: 0, to: "10.0.0.2", port: 80 });
    expect(
      messages(stack)
        .map((m) => m.split(":")[0])
        .sort(),
    ).toEqual(["s/a", "s/a/br", "s/a/br", "s/a/pub"]);
  });

  test("app.synth() refuses the stack with the same messages", () => {
    const { app, stack } = newStack();
    new Bridge(newHost(stack), "br", { name: "very-long-name-x" });
    expect(() => app.synth()).toThrow(
      `s/a/br: interface name "very-long-name-x" is 16 bytes; Linux allows 15. Set props.name or shorten the construct id.`,
    );
  });

  test("a stack name that cannot be used in tags and on-host paths", () => {
    const stack = new HostnetStack(Testing.app(), "my.stack");
    newHost(stack);
    expect(messages(stack)).toEqual([`my.stack: stack name "my.stack" is used in tags and on-host paths; use 1-63 letters, digits, "_" or "-".`]);
  });
});

describe("errors thrown at construction", () => {
  test("a namespace outside a host", () => {
    const { stack } = newStack();
    expect(() => new Namespace(stack, "web")).toThrow(`s/web: a Namespace must be created inside a Host's scope, e.g. new Namespace(hostA, "web").`);
  });
});
