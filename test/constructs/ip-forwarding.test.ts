import { Namespace, Sysctl } from "../../constructs";
import { ipForwarding } from "../../constructs/sysctl";
import { newHost, newStack } from "../support/stacks";

describe("ipForwarding: one net.ipv4.ip_forward=1 per host root namespace and per namespace", () => {
  test("host.enableForwarding() and ipForwarding(host) are the one root-namespace Sysctl", () => {
    const { stack } = newStack();
    const host = newHost(stack);
    const f = host.enableForwarding();
    expect(ipForwarding(host)).toBe(f);
    expect(host.enableForwarding()).toBe(f);
    expect([f.key, f.value, f.namespace, f.node.path]).toEqual(["net.ipv4.ip_forward", "1", undefined, "s/a/ip-forward"]);
  });

  test("a namespace gets its own, inside it", () => {
    const { stack } = newStack();
    const host = newHost(stack);
    const router = new Namespace(host, "router");
    const f = ipForwarding(router);
    expect(f).not.toBe(host.enableForwarding());
    expect([f.namespace, f.node.path]).toEqual([router, "s/a/router/ip-forward"]);
    expect(ipForwarding(router)).toBe(f);
  });

  test("a forwarding Sysctl the user declared as ip-forward on the host is the one enableForwarding returns", () => {
    const { stack } = newStack();
    const host = newHost(stack);
    const mine = new Sysctl(host, "ip-forward", { key: "net.ipv4.ip_forward", value: "1" });
    expect(host.enableForwarding()).toBe(mine);
  });
});
