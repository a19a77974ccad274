/**
 * Scripts out of Terraform's values, on a real test host with real terraform:
 * the state keeps each script's sha256, the create reads the file of that name
 * beside cdk.tf.json (checked before it is sent), and a destroy runs the copy
 * the create stored in the host's ledger, so an object replaced after its old
 * script file is gone still goes.
 */
import { App, LocalBackend } from "cdktf";
import execa from "execa";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Bridge, Host, HostnetStack, Namespace, VethPair } from "../../constructs";
import { SCRIPTS_DIR } from "../../src/plan/hook-resource";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";

const LAB = "safiles";
const STACK = "sa-files";
let dir: string;
let inv: Inventory | undefined;
let before: string;
let applied = false;
const stackDir = () => path.join(dir, "out", "stacks", STACK);
const scriptsDir = () => path.join(stackDir(), SCRIPTS_DIR);
const statePath = () => path.join(dir, "state.tfstate");

/** The stack, synthesized into dir/out: a bridge of the given MTU, a namespace and a veth between them. */
function synth(mtu: number): void {
  const app = new App({ outdir: path.join(dir, "out") });
  const stack = new HostnetStack(app, STACK);
  new LocalBackend(stack, { path: statePath() });
  const h = inv!.hosts.a;
  const host = new Host(stack, "a", { address: h.address, identityFile: h.identityFile, knownHostsFile: h.knownHostsFile });
  const br = new Bridge(host, "br0", { mtu });
  new VethPair(host, "web-veth", { a: { namespace: new Namespace(host, "web") }, b: { bridge: br }, mtu });
  app.synth();
}

async function terraform(...args: string[]): Promise<{ code: number; out: string }> {
  const env = { CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", HOSTNET_SSH_DIR: path.join(dir, "ssh"), PATH: process.env.PATH! };
  const r = await execa("terraform", [args[0], "-input=false", "-no-color", ...args.slice(1)], {
    cwd: stackDir(),
    env,
    reject: false,
    all: true,
    timeout: 300_000,
  });
  return { code: r.exitCode ?? -1, out: r.all ?? "" };
}

async function onHost(script: string): Promise<string> {
  const r = await hostExec(inv!, "a", script);
  if (r.exitCode !== 0) throw new Error(`${script}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout.trim();
}
const ifindex = async (name: string) => Number((await onHost(`cat /sys/class/net/${name}/ifindex`)).trim());

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-sa-files-"));
  inv = await labUp({ name: LAB, hosts: 1, index: 181, dir: path.join(dir, "lab") });
  before = await hostSnapshot(inv, "a");
  synth(1500);
  const init = await terraform("init");
  if (init.code !== 0) throw new Error(init.out);
}, 180_000);

afterAll(async () => {
  try {
    if (applied) {
      synth(1500);
      await terraform("destroy", "-auto-approve");
    }
  } finally {
    try {
      if (inv) await labDown({ name: LAB, dir: path.join(dir, "lab") });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}, 300_000);

test("apply creates the objects from the script files; the state holds the scripts' hashes, not their text", async () => {
  applied = true;
  const r = await terraform("apply", "-auto-approve");
  expect(r).toMatchObject({ code: 0 });
  expect(await onHost("ip -br link show dev br0 | cut -d' ' -f1")).toBe("br0");
  const state = fs.readFileSync(statePath(), "utf8");
  expect(state).not.toContain("ip link");
  const bridge = JSON.parse(state).resources.find((x: any) => x.instances[0].attributes.triggers_replace?.value?.summary === "bridge br0 on host a");
  const v = bridge.instances[0].attributes.triggers_replace.value;
  expect(v).toEqual({
    address: inv!.hosts.a.address,
    port: "22",
    summary: "bridge br0 on host a",
    create_sha256: expect.any(String),
    destroy_sha256: expect.any(String),
    after: "",
  });
  expect(fs.readFileSync(path.join(scriptsDir(), `${v.create_sha256}.sh`), "utf8")).toContain("ip link add");
}, 300_000);

test("an object changed since: its old destroy script is no longer beside cdk.tf.json, and the replace runs the host's ledger copy", async () => {
  const oldBridge = await ifindex("br0");
  const oldFiles = new Set(fs.readdirSync(scriptsDir()));
  synth(1400);
  const gone = [...oldFiles].filter((f) => !fs.existsSync(path.join(scriptsDir(), f)));
  expect(gone.length).toBeGreaterThanOrEqual(2); // the bridge's and the veth's old scripts
  const r = await terraform("apply", "-auto-approve");
  expect(r).toMatchObject({ code: 0 });
  expect(r.out).not.toContain("no ledger entry");
  // Deleted by the old destroy script and made again: another ifindex, the new MTU.
  expect(await ifindex("br0")).not.toBe(oldBridge);
  expect(await onHost("cat /sys/class/net/br0/mtu")).toBe("1400");
}, 300_000);

test("a script file changed after synthesis: the create fails naming it and sends nothing; synthesizing again repairs it", async () => {
  synth(1300);
  const state = JSON.parse(fs.readFileSync(statePath(), "utf8"));
  const old = state.resources.find((x: any) => x.instances[0].attributes.triggers_replace?.value?.summary === "bridge br0 on host a");
  const plan = await terraform("plan", "-out=p.plan");
  expect(plan.code).toBe(0);
  // The new bridge's create script: the one file not in the state yet.
  const json = JSON.parse(fs.readFileSync(path.join(stackDir(), "cdk.tf.json"), "utf8"));
  const bridge = Object.values<any>(json.resource.terraform_data).find((x) => x.triggers_replace.summary === "bridge br0 on host a");
  const file = path.join(scriptsDir(), `${bridge.triggers_replace.create_sha256}.sh`);
  expect(bridge.triggers_replace.create_sha256).not.toBe(old.instances[0].attributes.triggers_replace.value.create_sha256);
  fs.writeFileSync(file, "touch /tmp/hostnet-sa-pwned\n" + fs.readFileSync(file, "utf8"));
  const r = await terraform("apply", "p.plan");
  expect(r.code).not.toBe(0);
  expect(r.out).toContain(`the script file ${SCRIPTS_DIR}/${bridge.triggers_replace.create_sha256}.sh beside cdk.tf.json does not match its name`);
  expect(await onHost("[ ! -e /tmp/hostnet-sa-pwned ] && echo absent")).toBe("absent");
  synth(1300);
  expect(await terraform("apply", "-auto-approve")).toMatchObject({ code: 0 });
  expect(await onHost("cat /sys/class/net/br0/mtu")).toBe("1300");
}, 300_000);

test("destroy after the host lost its ledger and the objects (a restart), with no script files: succeeds saying so; the host is as before", async () => {
  await onHost("ip netns del web; ip link del br0; rm -f /run/hostnet/sa-files/*.down");
  fs.rmSync(scriptsDir(), { recursive: true, force: true });
  const r = await terraform("destroy", "-auto-approve");
  expect(r).toMatchObject({ code: 0 });
  expect(r.out).toContain("no ledger entry /run/hostnet/sa-files/");
  applied = false;
  expect(await hostSnapshot(inv!, "a")).toBe(before);
}, 300_000);
