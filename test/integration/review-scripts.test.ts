/**
 * The review scripts are the deployment: on a fresh test host, `sh up.sh`
 * gives the state `terraform apply` gives, and `sh down.sh` brings the host
 * back to where it was, as `terraform destroy` does.
 */
import execa from "execa";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { synthApp } from "../../src/cli/plan";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";

const LAB = "rv";
const STACK = "review-lab";
const ROOT = path.resolve(__dirname, "..", "..");
const APP = `${ROOT}/node_modules/.bin/ts-node --transpile-only -P ${ROOT}/tsconfig.json ${ROOT}/test/integration/fixtures/review-app.ts`;

// What hostSnapshot leaves out: the inside of each namespace, and hostnet's
// ledger (file names and checksums: the stored destroy scripts, saved sysctls).
// The hook lock's files (.owner, .active, .lock) are left out: the transport
// writes them around Terraform's hooks, the reviewed scripts never do.
const INNER = [
  "for ns in $(ip netns list | cut -d' ' -f1 | sort); do",
  '  echo "[netns $ns]"; ip -n "$ns" -br link; ip -n "$ns" -br addr; ip -n "$ns" -4 route show table all | sort',
  "done",
  'echo "[ledger]"; find /run/hostnet -type f ! -name .owner ! -name .active ! -name .lock | sort | xargs -r md5sum',
].join("\n");

/** hostSnapshot plus the namespaces' insides and the ledger. */
async function state(): Promise<string> {
  const inner = await hostExec(inv!, "a", INNER);
  if (inner.exitCode !== 0) throw new Error(`state script failed: ${inner.stderr}`);
  const text = `${await hostSnapshot(inv!, "a")}${inner.stdout.replace(/[ \t]+/g, " ").replace(/ $/gm, "")}\n`;
  // Peer ifindexes, and the MACs and IPv6 link-local addresses derived from them, change with every creation.
  return text.replace(/@if\d+/g, "@if?");
}

/**
 * A state with what differs between two creations of the same objects taken
 * out: MAC addresses (random per link) and the IPv6 link-local addresses
 * derived from them, and the interleaving in one iptables chain of rules of
 * independent objects: Terraform creates those in parallel, in any order, while
 * up.sh runs them one after the other. Each object's own rules keep their order.
 */
function modCreation(s: string): string {
  const lines = s
    .replace(/\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b/g, "<mac>")
    .replace(/ fe80::[0-9a-f:]+\/64/g, "")
    .split("\n");
  const tag = (l: string) => /--comment "?(hostnet:[^" ]+)/.exec(l)?.[1] ?? "";
  const chain = (l: string) => /^-A (\S+)/.exec(l)?.[1];
  const out: string[] = [];
  for (let i = 0; i < lines.length;) {
    const c = chain(lines[i]);
    let j = i + 1;
    if (c !== undefined) while (j < lines.length && chain(lines[j]) === c) j++;
    // Array.prototype.sort is stable: rules of one object stay in their order.
    out.push(...lines.slice(i, j).sort((a, b) => (tag(a) < tag(b) ? -1 : tag(a) > tag(b) ? 1 : 0)));
    i = j;
  }
  return out.join("\n");
}

let dir: string;
let inv: Inventory | undefined;
let stackDir: string;
let env: Record<string, string>;
let before: string;
let deployed: string;
// What afterAll must undo when a test stopped half-way.
let applied = false;
let upRan = false;

async function terraform(...args: string[]): Promise<void> {
  const r = await execa("terraform", [...args, "-input=false", "-no-color"], { cwd: stackDir, env, reject: false, all: true, timeout: 300_000 });
  if (r.exitCode !== 0) throw new Error(`terraform ${args.join(" ")} exited ${r.exitCode}:\n${r.all}`);
}

async function runOnHost(script: string): Promise<void> {
  const r = await hostExec(inv!, "a", "sh -s", { input: script, timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new Error(`script exited ${r.exitCode} on host a:\n${r.stdout}\n${r.stderr}`);
}

const review = (file: string) => fs.readFileSync(path.join(stackDir, "review", "a", file), "utf8");

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-review-it-"));
  inv = await labUp({ name: LAB, hosts: 1, dir });
  fs.writeFileSync(path.join(dir, "terraformrc"), "");
  env = {
    HOSTNET_INVENTORY: path.join(dir, LAB, "inventory.json"),
    HOSTNET_SSH_DIR: path.join(dir, "ssh"),
    CHECKPOINT_DISABLE: "1",
    TF_CLI_CONFIG_FILE: path.join(dir, "terraformrc"),
    TF_IN_AUTOMATION: "1",
  };
  // The app runs in `dir`: cdktf's default local backend keeps the state in the app's working directory.
  const synth = await synthApp({ app: APP }, path.join(dir, "cdktf.out"), { cwd: dir, env });
  if (synth.exitCode !== 0) throw new Error(`synth failed:\n${synth.stderr}`);
  stackDir = path.join(dir, "cdktf.out", "stacks", STACK);
  before = await state();
}, 180_000);

afterAll(async () => {
  try {
    if (applied) await terraform("destroy", "-auto-approve").catch(() => undefined);
    if (upRan) await runOnHost(review("down.sh")).catch(() => undefined);
  } finally {
    try {
      if (inv) await labDown({ name: LAB, dir });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}, 300_000);

test("terraform apply deploys the stack, with its state kept beside the app's working directory", async () => {
  await terraform("init");
  applied = true;
  await terraform("apply", "-auto-approve");
  expect(fs.existsSync(path.join(dir, `terraform.${STACK}.tfstate`))).toBe(true);
  expect(fs.existsSync(path.join(ROOT, `terraform.${STACK}.tfstate`))).toBe(false);
  deployed = await state();
  expect(deployed).not.toBe(before);
  expect(deployed).toMatch(/^\[netns\]\ncache\ndb\nweb\n/);
  expect(deployed).toContain("[netns web]\n");
  expect(deployed).toMatch(/^eth0@if\? UP 10\.88\.0\.2\/24/m);
  expect(deployed).toContain("default via 10.88.0.1 dev eth0 proto 199");
}, 300_000);

test("terraform destroy brings the host back to its state before", async () => {
  await terraform("destroy", "-auto-approve");
  applied = false;
  expect(await state()).toBe(before);
}, 300_000);

test("running up.sh on the fresh host gives the same state as terraform apply", async () => {
  upRan = true;
  await runOnHost(review("up.sh"));
  expect(modCreation(await state())).toBe(modCreation(deployed));
}, 300_000);

test("running down.sh brings the host back to its state before", async () => {
  await runOnHost(review("down.sh"));
  upRan = false;
  expect(await state()).toBe(before);
}, 300_000);
