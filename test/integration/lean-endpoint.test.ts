/**
 * The lean Endpoint scripts on a real test host, run as Terraform's hooks run
 * them (`sh` of the create, then of the ledger's destroy): the endpoint answers,
 * a second create changes nothing, a destroy leaves the host as it was, and a
 * create right after a destroy (a replacement) finds its names free, because
 * the inner veth end is deleted synchronously before the namespace goes.
 * Lab "ln", index 206 (the task's 261-265 are outside the lab's 0-255).
 */
import { App } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Bridge, Endpoint, Host, HostnetStack, Subnet } from "../../constructs";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";

const LAB = "ln";
let dir: string;
let inv: Inventory | undefined;
let before: string;
let bridge: Bridge;
let ep: Endpoint;

async function onHost(script: string): Promise<{ code: number; out: string }> {
  const r = await hostExec(inv!, "a", script);
  return { code: r.exitCode ?? -1, out: `${r.stdout}${r.stderr}`.trimEnd() };
}

/** Writes a script to a file and runs it with sh on the host, as the hooks do. */
async function runScript(name: string, text: string): Promise<{ code: number; out: string }> {
  const f = path.join(dir, `${name}.sh`);
  fs.writeFileSync(f, text);
  return onHost(`sh ${f}`);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-ln-"));
  inv = await labUp({ name: LAB, hosts: 1, index: 206, dir: path.join(dir, "lab") });
  before = await hostSnapshot(inv, "a");
  const app = new App({ outdir: path.join(dir, "out") });
  const stack = new HostnetStack(app, "ln");
  const h = inv.hosts.a;
  const host = new Host(stack, "a", { address: h.address, identityFile: h.identityFile, knownHostsFile: h.knownHostsFile });
  const lan = new Subnet(host, "lan", { cidr: "198.19.206.0/24" });
  bridge = new Bridge(host, "lnbr0", { address: lan.gateway });
  ep = new Endpoint(host, "lnep", { bridge, address: lan.address("198.19.206.2") });
  const br = await runScript("bridge-up", bridge.createScript());
  if (br.code !== 0) throw new Error(br.out);
}, 180_000);

afterAll(async () => {
  try {
    if (inv) {
      await onHost(`[ ! -f /run/hostnet/ln/${ep.ref.id}.down ] || sh /run/hostnet/ln/${ep.ref.id}.down`);
      await runScript("bridge-down", bridge.destroyScript());
      await labDown({ name: LAB, dir: path.join(dir, "lab") });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

test("create: the endpoint answers, with its address, default route, arp_notify and tags", async () => {
  expect(await runScript("ep-up", ep.createScript())).toEqual({ code: 0, out: "" });
  expect((await onHost("ping -c1 -W2 198.19.206.2 >/dev/null && echo ok")).out).toBe("ok");
  expect((await onHost("ip -n lnep -o -4 addr show dev eth0")).out).toContain("inet 198.19.206.2/24");
  expect((await onHost("ip -n lnep route show default")).out).toBe("default via 198.19.206.1 dev eth0 proto 199");
  expect((await onHost("ip netns exec lnep cat /proc/sys/net/ipv4/conf/eth0/arp_notify")).out).toBe("1");
  expect((await onHost("ip -n lnep -o link show dev lo")).out).toContain("UP");
  expect((await onHost("ip -d link show dev ve-lnep")).out).toMatch(/master lnbr0[^]*alias hostnet:ln:ln\/a\/lnep/);
}, 60_000);

test("create run again changes nothing and still answers", async () => {
  const links = (await onHost("ip -o link; ip -n lnep -o link; ip -n lnep route")).out;
  expect(await runScript("ep-up", ep.createScript())).toEqual({ code: 0, out: "" });
  expect((await onHost("ip -o link; ip -n lnep -o link; ip -n lnep route")).out).toBe(links);
  expect((await onHost("ping -c1 -W2 198.19.206.2 >/dev/null && echo ok")).out).toBe("ok");
}, 60_000);

test("destroy, then at once create and destroy again (a replacement): each step succeeds and the host ends as it was", async () => {
  for (let i = 0; i < 3; i++) {
    expect(await onHost(`sh /run/hostnet/ln/${ep.ref.id}.down`)).toEqual({ code: 0, out: "" });
    expect(await runScript("ep-up", ep.createScript())).toEqual({ code: 0, out: "" });
  }
  expect(await onHost(`sh /run/hostnet/ln/${ep.ref.id}.down`)).toEqual({ code: 0, out: "" });
  expect((await onHost("ip netns list; ip -o link show dev ve-lnep 2>&1")).out).toBe('Device "ve-lnep" does not exist.');
  expect(await runScript("bridge-down", bridge.destroyScript())).toEqual({ code: 0, out: "" });
  // The stack's empty ledger directory is the host hook's to remove (not run here).
  expect(await onHost("rmdir /run/hostnet/ln")).toEqual({ code: 0, out: "" });
  expect(await hostSnapshot(inv!, "a")).toBe(before);
  // The bridge again, for afterAll to remove (its ledger entry makes afterAll's endpoint destroy a no-op).
  expect((await runScript("bridge-up", bridge.createScript())).code).toBe(0);
}, 120_000);
