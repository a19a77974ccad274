/**
 * The processes a create and a destroy start on the host, per object kind: the
 * largest cost of a deploy (README "Speed"). On a fake host whose every command
 * (ip, sysctl and the file tools the framing uses) writes one line to a log, the
 * exact commands are the budget: a change that starts one more shows up here.
 * Lines of an `ip -batch` ("batch: ...") run inside that one ip process.
 */
import * as fs from "fs";
import * as path from "path";
import { Bridge, Endpoint, Namespace, Route, Subnet, VethPair } from "../../constructs";
import { NetObject } from "../../constructs/net-object";
import { FakeHost } from "../support/fake-host";
import { newHost, newStack } from "../support/stacks";

// The file tools the scripts may call, each logged and then run as it is.
const TOOLS = ["mkdir", "cat", "mv", "rm", "grep", "sed", "sleep"];

/** A fake host that also logs the file tools a script calls (not those the fakes call: they run with HN_IN_FAKE set). */
function fakeHost(): FakeHost {
  const host = new FakeHost();
  const bin = path.join(host.dir, "bin");
  for (const t of TOOLS) {
    const real = ["/usr/bin", "/bin"].map((d) => path.join(d, t)).find((f) => fs.existsSync(f))!;
    fs.writeFileSync(path.join(bin, t), `#!/bin/sh\n[ -n "$HN_IN_FAKE" ] || echo "${t} $*" >> "$HN_T/log"\nexec ${real} "$@"\n`, { mode: 0o755 });
  }
  for (const t of ["ip", "sysctl"]) {
    fs.renameSync(path.join(bin, t), path.join(bin, `.${t}-fake`));
    fs.writeFileSync(path.join(bin, t), `#!/bin/sh\nHN_IN_FAKE=1 exec "$HN_T/bin/.${t}-fake" "$@"\n`, { mode: 0o755 });
  }
  return host;
}

/** The processes of a run: every logged command except batch lines, and `ip netns exec` counted with what it execs. */
function processes(host: FakeHost): string[] {
  const log = host.log().filter((l) => !l.startsWith("batch: "));
  return log.filter((l, i) => !(i > 0 && log[i - 1].startsWith("ip netns exec ")));
}

function lan() {
  const { stack } = newStack();
  const host = newHost(stack);
  const subnet = new Subnet(host, "lan", { cidr: "10.88.0.0/24" });
  const bridge = new Bridge(host, "br0", { address: subnet.gateway });
  return { host, subnet, bridge };
}

describe("processes per object on a fresh host", () => {
  let host: FakeHost;
  beforeEach(() => {
    host = fakeHost();
    host.addLink("br0", "hostnet:s:s/a/br0");
    // The stack's ledger directory exists after the host's first hook.
    fs.mkdirSync(path.join(host.dir, "ledger", "s"), { recursive: true });
  });
  afterEach(() => host.dispose());

  function upDown(o: NetObject): { up: string[]; down: string[] } {
    expect(host.run(o.createScript())).toMatchObject({ status: 0, stderr: "" });
    const up = processes(host);
    host.clearLog();
    expect(host.run(o.destroyScript())).toMatchObject({ status: 0, stderr: "" });
    return { up, down: processes(host) };
  }

  test("Endpoint: 7 to create (from 19), 3 to destroy (from 8)", () => {
    const { host: h, subnet, bridge } = lan();
    const ep = new Endpoint(h, "web", { bridge, address: subnet.address("10.88.0.2") });
    const { up, down } = upDown(ep);
    expect(up).toEqual([
      // The ledger entry: written by the shell's printf, renamed into place.
      expect.stringMatching(/^mv -f \S+\.down\.tmp \S+\.down$/),
      "ip netns add web",
      "ip link add name eth0 netns web type veth peer name ve-web",
      "ip netns exec web sysctl -q -w net.ipv4.conf.eth0.arp_notify=1",
      "ip -n web -batch -",
      "ip -batch -",
      "ip -n web route replace default via 10.88.0.1 proto 199",
    ]);
    expect(down).toEqual(["ip -n web link del dev eth0", "ip netns del web", expect.stringMatching(/^rm -f \S+\.down$/)]);
    expect(host.hasNetns("web")).toBe(false);
    expect(host.link("ve-web")).toBeUndefined();
  });

  test("Endpoint run again: looks up its link and route once each", () => {
    const { host: h, subnet, bridge } = lan();
    const ep = new Endpoint(h, "web", { bridge, address: subnet.address("10.88.0.2") });
    host.run(ep.createScript());
    host.clearLog();
    expect(host.run(ep.createScript())).toMatchObject({ status: 0, stderr: "" });
    expect(processes(host).filter((l) => / show /.test(l))).toEqual(["ip -n web -o link show dev eth0", "ip -n web route show exact 0.0.0.0/0"]);
  });

  test("Namespace + VethPair + Route: 3 + 6 + 3 to create (from 5 + 15 + 5), 2 + 3 + 3 to destroy (from 3 + 3 + 4)", () => {
    const { host: h, subnet, bridge } = lan();
    const ns = new Namespace(h, "web");
    const veth = new VethPair(h, "web-veth", { a: { namespace: ns, address: subnet.address("10.88.0.2") }, b: { bridge, name: "ve-web" } });
    const route = new Route(ns, "default", { via: subnet.gateway });
    const mv = expect.stringMatching(/^mv -f /);
    const rm = expect.stringMatching(/^rm -f /);

    expect(host.run(ns.createScript())).toMatchObject({ status: 0, stderr: "" });
    expect(processes(host)).toEqual([mv, "ip netns add web", "ip -n web link set dev lo up"]);
    host.clearLog();
    expect(host.run(veth.createScript())).toMatchObject({ status: 0, stderr: "" });
    expect(processes(host)).toEqual([
      mv,
      "ip -n web -o link show dev eth0",
      "ip link add name eth0 netns web type veth peer name ve-web",
      "ip netns exec web sysctl -q -w net.ipv4.conf.eth0.arp_notify=1",
      "ip -n web -batch -",
      "ip -batch -",
    ]);
    host.clearLog();
    expect(host.run(route.createScript())).toMatchObject({ status: 0, stderr: "" });
    expect(processes(host)).toEqual([mv, "ip -n web route show exact 0.0.0.0/0", "ip -n web route replace default via 10.88.0.1 proto 199"]);

    host.clearLog();
    expect(host.run(route.destroyScript())).toMatchObject({ status: 0, stderr: "" });
    // The fake lists no route, so there is nothing to delete.
    expect(processes(host)).toEqual(["ip -n web route show exact 0.0.0.0/0 proto 199", rm]);
    host.clearLog();
    expect(host.run(veth.destroyScript())).toMatchObject({ status: 0, stderr: "" });
    expect(processes(host)).toEqual(["ip -n web -o link show dev eth0", "ip -n web link del dev eth0", rm]);
    host.clearLog();
    expect(host.run(ns.destroyScript())).toMatchObject({ status: 0, stderr: "" });
    expect(processes(host)).toEqual(["ip netns del web", rm]);
  });

  test("Bridge: the ledger, the lookup, the add and one batch", () => {
    const { bridge } = lan();
    host.deleteLink("br0");
    expect(host.run(bridge.createScript())).toMatchObject({ status: 0, stderr: "" });
    expect(processes(host)).toEqual([
      expect.stringMatching(/^mv -f /),
      "ip -o link show dev br0",
      expect.stringMatching(/^ip link add name br0 address 02(:[0-9a-f]{2}){5} type bridge$/),
      "ip -batch -",
    ]);
  });
});
