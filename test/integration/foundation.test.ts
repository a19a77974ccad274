/**
 * Issue 2 end to end: the foundation topology deployed with the real `cdktf
 * deploy` over SSH to a test host, probed, deployed again (no changes), and
 * destroyed with `cdktf destroy`, after which the host equals its state before.
 */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject } from "./support/cdktf-project";
import { ping, serveTcp, tcpFromHost, tcpFromOutside } from "./support/probe";

const LAB = "fnd";
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
let inv: Inventory;
let before: string;
let project: CdktfProject;

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 2, dir: labDir });
  before = await hostSnapshot(inv, "a");
  project = new CdktfProject("test/integration/fixtures/foundation-app.ts", "foundation", {
    HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
    HOSTNET_STACK: "foundation",
  });
}, 120_000);

afterAll(async () => {
  if (project) {
    await project.destroy();
    project.remove();
  }
  await labDown({ name: LAB, dir: labDir });
  rmSync(labDir, { recursive: true, force: true });
}, 300_000);

describe("foundation topology on a test host", () => {
  test("cdktf deploy creates the bridge, three namespaces, veths, routes and NAT", async () => {
    const r = await project.deploy();
    expect(r.output).toContain("Apply complete! Resources: 15 added");
    expect(r.exitCode).toBe(0);
    const a = await hostExec(
      inv,
      "a",
      "ip netns list; ip -br addr show dev br-lan; ip -n web -br addr show dev eth0; ip -n web route show default; iptables-save -t nat",
    );
    expect(a.stdout).toMatch(/^web\b/m);
    expect(a.stdout).toMatch(/^db\b/m);
    expect(a.stdout).toMatch(/^cache\b/m);
    expect(a.stdout).toContain("10.88.0.1/24");
    expect(a.stdout).toContain("10.88.0.2/24");
    expect(a.stdout).toContain("default via 10.88.0.1 dev eth0 proto 199");
    expect(a.stdout).toContain(
      '-A POSTROUTING -s 10.88.0.0/24 ! -o br-lan -m comment --comment "hostnet:foundation:foundation/a/masquerade" -j MASQUERADE',
    );
    expect(a.stdout).toContain("--to-destination 10.88.0.2:80");
  }, 300_000);

  test("namespaces reach each other and the gateway; the host reaches every namespace", async () => {
    expect(await ping(inv, "a", "10.88.0.3", "web")).toBe(true); // web -> db
    expect(await ping(inv, "a", "10.88.0.4", "db")).toBe(true); // db -> cache
    expect(await ping(inv, "a", "10.88.0.1", "cache")).toBe(true); // -> gateway
    for (const ip of ["10.88.0.2", "10.88.0.3", "10.88.0.4"]) expect(await ping(inv, "a", ip)).toBe(true);
    // Control: an address nobody has does not answer, so the pings above can fail.
    expect(await ping(inv, "a", "10.88.0.200", "web")).toBe(false);
  }, 60_000);

  test("the published port reaches the service in web from outside, from another host and from the host itself", async () => {
    await serveTcp(inv, "a", "web", 80, "hello from web");
    const hostA = inv.hosts.a.address;
    expect(await tcpFromOutside(hostA, 10080)).toBe("hello from web");
    expect(await tcpFromHost(inv, "b", hostA, 10080)).toBe("hello from web");
    expect(await tcpFromHost(inv, "a", hostA, 10080)).toBe("hello from web");
    // Control: an unpublished port is refused.
    expect(await tcpFromOutside(hostA, 10081)).toMatch(/^ERR/);
  }, 60_000);

  test("deploying again changes nothing", async () => {
    const r = await project.deploy();
    expect(r.exitCode).toBe(0);
    const plan = await project.terraform("plan", "-detailed-exitcode", "-input=false", "-no-color");
    expect(plan.output).toContain("No changes.");
    expect(plan.exitCode).toBe(0);
  }, 300_000);

  test("cdktf destroy leaves the host exactly as it was (the service left running in web is stopped)", async () => {
    const r = await project.destroy();
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain("Destroy complete! Resources: 15 destroyed");
    expect(await hostSnapshot(inv, "a")).toBe(before);
    const procs = await hostExec(inv, "a", "pgrep -f 'hello[ ]from web' || true");
    expect(procs.stdout.trim()).toBe("");
  }, 300_000);

  test("destroy succeeds when every object was already deleted by hand (links, namespaces, rules, routes)", async () => {
    expect((await project.deploy()).exitCode).toBe(0);
    const del = await hostExec(
      inv,
      "a",
      "ip link del br-lan && for n in web db cache; do ip netns del $n; done && iptables -w -t nat -F && iptables -w -F FORWARD",
    );
    expect(del.exitCode).toBe(0);
    const r = await project.destroy();
    expect(r.exitCode).toBe(0);
    expect(await hostSnapshot(inv, "a")).toBe(before);
  }, 300_000);

  test("an existing bridge that hostnet did not create is never adopted: deploy fails naming the construct, the bridge survives, and deploy converges once it is gone", async () => {
    await hostExec(inv, "a", "ip link add br-lan type bridge");
    const r = await project.deploy();
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain("foundation/a/br-lan");
    expect(r.output).toContain("interface br-lan already exists in the root namespace and hostnet did not create it");
    const still = await hostExec(inv, "a", "ip link show dev br-lan");
    expect(still.exitCode).toBe(0);
    await hostExec(inv, "a", "ip link del br-lan");
    const again = await project.deploy();
    expect(again.exitCode).toBe(0);
    expect(await ping(inv, "a", "10.88.0.3", "web")).toBe(true);
    expect((await project.destroy()).exitCode).toBe(0);
    expect(await hostSnapshot(inv, "a")).toBe(before);
  }, 300_000);

  test("a same-named interface with another configuration (a bridge with another MTU, a veth end under another master) is a hard error at create, and is neither adopted nor changed", async () => {
    const made =
      "ip link add br-lan mtu 9000 type bridge; ip link add br-other type bridge; ip link add ve-db-veth type veth peer name hand-peer; ip link set ve-db-veth master br-other";
    await hostExec(inv, "a", made);
    const show = () =>
      hostExec(inv, "a", "ip -o link show dev br-lan; ip -o link show dev ve-db-veth").then((r) => r.stdout.replace(/state \S+|<[^>]*>/g, ""));
    const handMade = await show();
    const r = await project.deploy();
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain(
      "foundation/a/br-lan: interface br-lan already exists in the root namespace and hostnet did not create it for this object",
    );
    expect(await show()).toBe(handMade); // MTU 9000 and master br-other kept: nothing adopted or changed
    expect(handMade).toContain("mtu 9000");
    expect(handMade).toContain("master br-other");
    // Without the bridge in the way, the veth end under another master fails its own create.
    await hostExec(inv, "a", "ip link del br-lan");
    const r2 = await project.deploy();
    expect(r2.exitCode).not.toBe(0);
    expect(r2.output).toContain(
      "foundation/a/db-veth: interface ve-db-veth already exists in the root namespace; remove it or choose another name for this veth end",
    );
    expect((await hostExec(inv, "a", "ip -o link show dev ve-db-veth")).stdout).toContain("master br-other");
    await hostExec(inv, "a", "ip link del ve-db-veth; ip link del br-other");
    expect((await project.deploy()).exitCode).toBe(0);
    expect(await ping(inv, "a", "10.88.0.3", "web")).toBe(true);
    expect((await project.destroy()).exitCode).toBe(0);
    expect(await hostSnapshot(inv, "a")).toBe(before);
  }, 600_000);
});
