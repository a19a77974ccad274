/**
 * Issue 6 on real test hosts: drift found and fixed, a "rebooted" host restored,
 * removed constructs swept, random add/remove rounds, concurrent deploys, an
 * unreachable host during destroy, SSH cut mid-apply, and many rules at high
 * parallelism. Each ends by comparing the host with its expected state.
 */
import execa from "execa";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject, expectSuccess } from "./support/cdktf-project";
import { ping } from "./support/probe";
import { sshBlockRule } from "./support/ssh-block";

const LAB = "rel";
const INDEX = 71;
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const sshDir = path.join(mkdtempSync(path.join(tmpdir(), "hostnet-ssh-")), "control");
const inventory = path.join(labDir, LAB, "inventory.json");
let inv: Inventory;
let before: string;
const projects: CdktfProject[] = [];

function project(env: Record<string, string> = {}, app = "test/integration/fixtures/foundation-app.ts", stack = "rel"): CdktfProject {
  const p = new CdktfProject(app, stack, { HOSTNET_INVENTORY: inventory, HOSTNET_STACK: stack, HOSTNET_SSH_DIR: sshDir, ...env });
  projects.push(p);
  return p;
}

async function netnsList(): Promise<string[]> {
  return (await hostExec(inv, "a", "ip netns list | cut -d' ' -f1")).stdout.split("\n").filter(Boolean).sort();
}

/** Stop shared SSH connections so a blocked or restarted host is seen at once. */
async function dropMasters(): Promise<void> {
  await execa("pkill", ["-f", sshDir], { reject: false });
}

const BLOCK = (addr: string) => sshBlockRule(addr, "hostnet-test-block");

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 1, dir: labDir, index: INDEX });
  before = await hostSnapshot(inv, "a");
}, 120_000);

afterAll(async () => {
  await execa("iptables", ["-w", "-D", ...BLOCK(inv.hosts.a.address)], { reject: false });
  for (const p of projects) {
    await p.destroy();
    p.remove();
  }
  await dropMasters();
  await labDown({ name: LAB, dir: labDir });
  rmSync(labDir, { recursive: true, force: true });
  rmSync(path.dirname(sshDir), { recursive: true, force: true });
}, 600_000);

afterEach(async () => {
  await execa("iptables", ["-w", "-D", ...BLOCK(inv.hosts.a.address)], { reject: false });
});

test("objects deleted by hand: check names each one, check --fix recreates them, destroy still succeeds", async () => {
  const p = project();
  expect((await p.deploy()).exitCode).toBe(0);
  const clean = await p.hostnet("check");
  expect(clean.output).toContain("host a (198.18.71.10): 13 ok, 0 drifted");
  expect(clean.exitCode).toBe(0);

  await hostExec(
    inv,
    "a",
    "ip link del br-lan; ip netns del db; iptables -w -t nat -D PREROUTING -p tcp -m addrtype --dst-type LOCAL --dport 10080 -m comment " +
      "--comment hostnet:rel:rel/a/publish-web -j DNAT --to-destination 10.88.0.2:80",
  );
  const drift = await p.hostnet("check");
  expect(drift.exitCode).toBe(1);
  expect(drift.output).toContain("rel/a/br-lan: bridge br-lan is missing in the root namespace");
  expect(drift.output).toContain("rel/a/db: namespace db is missing");
  expect(drift.output).toContain("rel/a/publish-web: iptables rule missing: -t nat -A PREROUTING");
  expect(drift.output).toContain("repair with: hostnet check --fix");

  const fix = await p.hostnet("check", "--fix");
  expect(fix.exitCode).toBe(0);
  const after = await p.hostnet("check");
  expect(after.output).toContain("13 ok, 0 drifted");
  expect(await ping(inv, "a", "10.88.0.3", "web")).toBe(true);

  expect((await p.destroy()).exitCode).toBe(0);
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 600_000);

test("a host rebooted empty: check reports every object missing and --fix restores the whole topology", async () => {
  const p = project();
  expect((await p.deploy()).exitCode).toBe(0);
  await dropMasters();
  await labDown({ name: LAB, dir: labDir });
  inv = await labUp({ name: LAB, hosts: 1, dir: labDir, index: INDEX }); // new host keys too: the known_hosts file is rewritten
  before = await hostSnapshot(inv, "a"); // a new machine: new MAC on eth0
  const drift = await p.hostnet("check");
  expect(drift.output).toContain("0 ok, 13 drifted");
  const fix = await p.hostnet("check", "--fix");
  expect(fix.output).toContain("Apply complete!");
  expect((await p.hostnet("check")).output).toContain("13 ok, 0 drifted");
  expect(await ping(inv, "a", "10.88.0.4", "web")).toBe(true);
  expect((await p.destroy()).exitCode).toBe(0);
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 600_000);

test("a construct removed from the stack after deploy is removed from the host on the next deploy", async () => {
  const p = project({ HOSTNET_NAMESPACES: "web,db,cache" });
  expect((await p.deploy()).exitCode).toBe(0);
  expect(await netnsList()).toEqual(["cache", "db", "web"]);
  p.setEnv({ HOSTNET_NAMESPACES: "web,db" });
  const r = await p.deploy();
  expect(r.exitCode).toBe(0);
  expect(r.output).toContain("removing an object no longer in the stack");
  expect(await netnsList()).toEqual(["db", "web"]);
  const links = (await hostExec(inv, "a", "ip -br link")).stdout;
  expect(links).not.toContain("ve-cache-veth");
  expect((await p.hostnet("gc")).output).toContain("0 left behind by stack rel");
  expect((await p.hostnet("check")).exitCode).toBe(0);
  expect((await p.destroy()).exitCode).toBe(0);
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 600_000);

test("12 rounds of random add/remove through hostnet deploy: the live state always equals the plan, and destroy leaves nothing", async () => {
  const pool = ["n1", "n2", "n3", "n4", "n5", "n6"];
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const p = project({ HOSTNET_NAMESPACES: "n1" });
  for (let round = 0; round < 12; round++) {
    const pick = pool.filter(() => rand() < 0.5);
    const names = pick.length > 0 ? pick : ["n1"];
    p.setEnv({ HOSTNET_NAMESPACES: names.join(",") });
    // The README's deploy command (the other tests here deploy with cdktf's own CLI).
    const r = await p.hostnet("deploy", "rel");
    expect({ round, exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-3000) }).toEqual({ round, exitCode: 0, output: "" });
    expect(await netnsList()).toEqual([...names].sort());
    const check = await p.hostnet("check", "--no-synth");
    expect(check.exitCode).toBe(0);
    const gc = await p.hostnet("gc", "--no-synth");
    expect(gc.output).toContain("0 left behind");
  }
  expect((await p.destroy()).exitCode).toBe(0);
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 1_200_000);

test("two deploys of one stack at once do not interleave: the state lock lets one through and the result is consistent", async () => {
  const p = project();
  expect((await p.cdktf("synth")).exitCode).toBe(0);
  expect((await p.terraform("init", "-input=false", "-no-color")).exitCode).toBe(0);
  const [r1, r2] = await Promise.all([
    p.terraform("apply", "-auto-approve", "-input=false", "-no-color"),
    p.terraform("apply", "-auto-approve", "-input=false", "-no-color"),
  ]);
  const outcomes = [r1, r2];
  expect(outcomes.filter((r) => r.exitCode === 0).length).toBeGreaterThanOrEqual(1);
  for (const r of outcomes.filter((r) => r.exitCode !== 0)) expect(r.output).toMatch(/state lock|Error acquiring the state lock/i);
  expect((await p.hostnet("check")).exitCode).toBe(0);
  const again = await p.terraform("plan", "-detailed-exitcode", "-input=false", "-no-color");
  expect(again.exitCode).toBe(0);
  expect((await p.destroy()).exitCode).toBe(0);
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 600_000);

test("two stacks on one host: a bridge owned by the other stack fails the create and is never adopted or deleted", async () => {
  const first = project({}, "test/integration/fixtures/foundation-app.ts", "rel");
  const second = project({}, "test/integration/fixtures/foundation-app.ts", "rel2");
  expectSuccess(await first.deploy());
  const r = await second.deploy();
  expect(r.exitCode).not.toBe(0);
  expect(r.output).toContain("rel2/a/br-lan: interface br-lan already exists in the root namespace and hostnet did not create it for this object");
  expect((await second.destroy()).exitCode).toBe(0);
  const alias = await hostExec(inv, "a", "ip link show dev br-lan | sed -n 's/^    alias //p'");
  expect(alias.stdout.trim()).toBe("hostnet:rel:rel/a/br-lan");
  expect((await first.hostnet("check")).exitCode).toBe(0);
  expectSuccess(await first.destroy());
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 600_000);

test("a hostile value is refused at synth: nothing reaches the host", async () => {
  const canary = path.join(path.dirname(sshDir), "canary");
  const p = project(
    { HOSTNET_HOST: "a", HOSTNET_HOST_KEY: `ssh-ed25519 AAAA$(touch ${canary})` },
    "test/integration/fixtures/small-app.ts",
    "relbad",
  );
  const r = await p.deploy();
  expect(r.exitCode).not.toBe(0);
  expect(r.output).toContain("relbad/a: host key");
  expect(r.output).toContain("is not an SSH public key line");
  expect(require("fs").existsSync(canary)).toBe(false);
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 300_000);

test("the host is unreachable during destroy: a clear error, the objects stay in state, and destroy succeeds once it is back", async () => {
  const p = project();
  expect((await p.deploy()).exitCode).toBe(0);
  await dropMasters();
  await execa("iptables", ["-w", "-I", ...BLOCK(inv.hosts.a.address)]);
  const r = await p.destroy();
  expect(r.exitCode).not.toBe(0);
  expect(r.output).toMatch(/hostnet: destroy of rel\/a\/[^ ]+ failed on root@198\.18\.71\.10:22/);
  const list = await p.terraform("state", "list");
  expect(list.output).toContain("terraform_data.a_hostnet");
  await execa("iptables", ["-w", "-D", ...BLOCK(inv.hosts.a.address)]);
  expect((await p.destroy()).exitCode).toBe(0);
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 600_000);

test("the host's link drops in the middle of an apply: the apply fails, and once the link is back the next deploy converges and destroy leaves nothing", async () => {
  // (Killing every sshd of a lab host would also end its mount namespace, and with it the
  // host's named namespaces: that is a reboot, tested above. A dropped link keeps the host's state.)
  const p = project({ HOSTNET_COUNT: "30" }, "test/integration/fixtures/many-app.ts", "relcut");
  const deploying = p.deploy("--parallelism", "4");
  let created = 0;
  for (let i = 0; i < 600 && created < 10; i++) {
    created = Number((await hostExec(inv, "a", "ls /run/hostnet/relcut 2>/dev/null | wc -l")).stdout.trim());
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(created).toBeGreaterThanOrEqual(10);
  await hostExec(inv, "a", "ip link set dev eth0 down");
  const cut = await deploying;
  await hostExec(inv, "a", "ip link set dev eth0 up");
  expect(cut.exitCode).not.toBe(0);
  expect(cut.output).toMatch(/hostnet: create of relcut\/a\/\S+ failed on root@198\.18\.71\.10:22/);
  await dropMasters();
  expectSuccess(await p.deploy());
  expectSuccess(await p.hostnet("check", "--no-synth"));
  expectSuccess(await p.destroy());
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 600_000);

test.each([10, 30])(
  "30 veth pairs and 30 NAT rules at parallelism %i: no xtables lock errors, no refused sessions, clean destroy",
  async (parallelism) => {
    const p = project({ HOSTNET_COUNT: "30" }, "test/integration/fixtures/many-app.ts", `many${parallelism}`);
    const up = await p.deploy("--parallelism", String(parallelism));
    expect(up.output).not.toMatch(/xtables lock|Another app is currently holding|Connection refused|Connection reset|mux_client/);
    expect(up.exitCode).toBe(0);
    const rules = (await hostExec(inv, "a", `iptables-save -t nat | grep -c 'hostnet:many${parallelism}:'`)).stdout.trim();
    expect(Number(rules)).toBe(1 + 30 * 2); // masquerade + (PREROUTING, OUTPUT) per published port
    const down = await p.cdktf("destroy", "--auto-approve", "--parallelism", String(parallelism), `many${parallelism}`);
    expect(down.exitCode).toBe(0);
    expect(await hostSnapshot(inv, "a")).toBe(before);
  },
  600_000,
);
