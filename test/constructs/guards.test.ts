import { Testing, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { Bridge, Host, HostnetStack, Namespace, NatRule, NetObject, Subnet, VethPair } from "../../constructs";
import { NotInHostError } from "../../constructs/host";
import { NotInHostnetStackError } from "../../constructs/hostnet-stack";
import { isHostnetError } from "../../src/errors";

function stackWithHost() {
  const stack = new HostnetStack(Testing.app(), "s");
  const host = new Host(stack, "a", { address: "198.18.0.10", insecureIgnoreHostKey: true });
  return { stack, host };
}

describe("type guards by symbol", () => {
  test("each guard recognises its own class and nothing else", () => {
    const { stack, host } = stackWithHost();
    const ns = new Namespace(host, "n");
    const br = new Bridge(host, "br");
    const subnet = new Subnet(host, "lan", { cidr: "10.9.0.0/24" });
    const veth = new VethPair(host, "v", { a: { namespace: ns }, b: { bridge: br } });
    const nat = NatRule.masquerade(host, "m", { subnet });
    const all = [stack, host, ns, br, subnet, veth, nat, {}, null, "bridge"];
    const guards = {
      isHostnetStack: HostnetStack.isHostnetStack,
      isHost: Host.isHost,
      isNamespace: Namespace.isNamespace,
      isBridge: Bridge.isBridge,
      isSubnet: Subnet.isSubnet,
      isVethPair: VethPair.isVethPair,
      isNatRule: NatRule.isNatRule,
      isNetObject: NetObject.isNetObject,
    };
    const matches = Object.fromEntries(Object.entries(guards).map(([name, g]) => [name, all.filter((x) => g(x))]));
    expect(matches).toEqual({
      isHostnetStack: [stack],
      isHost: [host],
      isNamespace: [ns],
      isBridge: [br],
      isSubnet: [subnet],
      isVethPair: [veth],
      isNatRule: [nat],
      isNetObject: [ns, br, veth, nat],
    });
  });

  test("a guard holds for an object made by another copy of the class (where instanceof fails)", () => {
    let Other: typeof Bridge | undefined;
    jest.isolateModules(() => (Other = (require("../../constructs") as typeof import("../../constructs")).Bridge));
    const { host } = stackWithHost();
    const br = new Bridge(host, "br");
    expect(br instanceof Other!).toBe(false);
    expect(Other!.isBridge(br)).toBe(true);
  });
});

describe("HostnetStack.of / tryOf and Host.of / tryOf", () => {
  test("find the nearest stack and host of a construct, or say it has none", () => {
    const { stack, host } = stackWithHost();
    const ns = new Namespace(host, "n");
    const inner = new Construct(ns, "deep");
    expect([HostnetStack.of(inner), HostnetStack.of(stack), HostnetStack.tryOf(inner)]).toEqual([stack, stack, stack]);
    expect([Host.of(inner), Host.of(host), Host.tryOf(inner), Host.tryOf(stack)]).toEqual([host, host, host, undefined]);
    expect(Namespace.tryOf(inner)).toBe(ns);
  });

  test("outside a HostnetStack: one named error with the path and the fix", () => {
    const plain = new TerraformStack(Testing.app(), "plain");
    const c = new Construct(plain, "x");
    expect(HostnetStack.tryOf(c)).toBeUndefined();
    let err: unknown;
    try {
      HostnetStack.of(c);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotInHostnetStackError);
    expect(isHostnetError(err)).toBe(true);
    expect((err as Error).message).toBe(
      'plain/x: hostnet constructs must be created inside a HostnetStack. Replace "new TerraformStack(...)" with "new HostnetStack(...)".',
    );
    expect(() => new Host(plain, "h", { address: "198.18.0.10", insecureIgnoreHostKey: true })).toThrow(NotInHostnetStackError);
  });

  test("outside a Host: Host.of throws NotInHostError naming the path", () => {
    const { stack } = stackWithHost();
    expect(() => Host.of(stack)).toThrow(NotInHostError);
    expect(() => Host.of(stack)).toThrow("s is not inside a Host's scope.");
  });
});
