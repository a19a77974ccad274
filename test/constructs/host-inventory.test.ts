import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Host } from "../../constructs";
import { proxyCommand } from "../../src/transport/ssh";
import { HOST_KEY, newStack, validationErrors } from "../support/stacks";

let dir: string;
const inv = (hosts: object) => {
  const f = path.join(dir, `inv-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, JSON.stringify({ hosts }));
  return f;
};
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-host-inv-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("Host.fromInventory reads through the one inventory reader", () => {
  test("a jump host in the inventory reaches the hooks' ProxyCommand", () => {
    const f = inv({
      a: {
        address: "10.0.0.5",
        user: "deploy",
        identityFile: "/k/id",
        knownHostsFile: "/k/kh",
        jumpHost: { address: "bastion.example.net", port: 2200 },
      },
    });
    const { stack } = newStack();
    const a = Host.fromInventory(stack, "a", f);
    expect(a.target.jump).toEqual({ address: "bastion.example.net", port: 2200, user: "deploy" });
    expect(a.hookEnvironment.HN_PROXY).toBe(proxyCommand(a.target));
    expect(a.hookEnvironment.HN_PROXY).toContain("bastion.example.net");
    expect(validationErrors(stack)).toEqual([]);
  });

  test("props override the inventory's jump host", () => {
    const f = inv({ a: { address: "10.0.0.5", knownHostsFile: "/k/kh", jumpHost: { address: "bastion.example.net" } } });
    const { stack } = newStack();
    const a = Host.fromInventory(stack, "a", f, "a", { jumpHost: { address: "other.example.net" } });
    expect(a.target.jump).toEqual({ address: "other.example.net", port: 22, user: "root" });
  });

  test("a lab entry: the known_hosts file wins over the pinned key", () => {
    const f = inv({ a: { address: "198.18.0.10", port: 22, user: "root", identityFile: "/k/id", knownHostsFile: "/k/kh", hostKey: HOST_KEY } });
    const { stack } = newStack();
    expect(Host.fromInventory(stack, "a", f).target).toEqual({
      address: "198.18.0.10",
      port: 22,
      user: "root",
      identityFile: "/k/id",
      knownHostsFile: "/k/kh",
      insecureIgnoreHostKey: false,
    });
  });

  test.each([
    [
      (f: string) => ({ file: path.join(path.dirname(f), "nope.json"), name: "a" }),
      /^s\/a: no inventory at .*nope\.json; write it .*, or start local test hosts with "npx hostnet lab up" \(as root\), which writes \.lab\/<lab>\/inventory\.json, and pass that file\.$/,
    ],
    [(f: string) => ({ file: f, name: "b" }), /^s\/a: inventory .* has no host "b"; it has: a\.$/],
  ])("a missing file or host is the one problem of the host at synth, naming the construct path (%#)", (pick, message) => {
    const { file, name } = pick(inv({ a: { address: "198.18.0.10", hostKey: HOST_KEY } }));
    const { stack } = newStack();
    Host.fromInventory(stack, "a", file, name);
    expect(validationErrors(stack)).toEqual([expect.stringMatching(message)]);
  });
});
