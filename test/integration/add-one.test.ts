/**
 * Adding one object to a deployed stack (issue 14): the plan names only the
 * new object's resources and the host's sweep, never the host's preflight;
 * taking it out again removes it through the sweep. One lab, one host, the
 * foundation topology with two namespaces, then three, then two.
 */
import execa from "execa";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject, expectSuccess, RunOutput } from "./support/cdktf-project";

const LAB = "sp";
const INDEX = 251;
const STACK = "sp";
const ROOT = path.resolve(__dirname, "..", "..");
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const sshDir = path.join(mkdtempSync(path.join(tmpdir(), "hostnet-ssh-")), "control");
const inventory = path.join(labDir, LAB, "inventory.json");
let inv: Inventory;
let before: string;
let p: CdktfProject;

async function hostnet(namespaces: string, ...args: string[]): Promise<RunOutput> {
  const r = await execa(path.join(ROOT, "bin", "hostnet"), args, {
    cwd: p.dir,
    reject: false,
    all: true,
    timeout: 300_000,
    env: {
      HOSTNET_INVENTORY: inventory,
      HOSTNET_STACK: STACK,
      HOSTNET_SSH_DIR: sshDir,
      HOSTNET_NAMESPACES: namespaces,
      CHECKPOINT_DISABLE: "1",
      FORCE_COLOR: "0",
      TF_CLI_CONFIG_FILE: path.join(ROOT, ".hostnet", "terraformrc"),
    },
  });
  return { exitCode: r.exitCode ?? -1, output: r.all ?? "" };
}

/** Resource addresses Terraform created, replaced or destroyed in a run. */
const touched = (output: string) => [...new Set([...output.matchAll(/^(\S+): (?:Creating|Destroying|Modifying)\.\.\./gm)].map((m) => m[1]))].sort();

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 1, dir: labDir, index: INDEX });
  before = await hostSnapshot(inv, "a");
  p = new CdktfProject("test/integration/fixtures/foundation-app.ts", STACK, {});
}, 300_000);

afterAll(async () => {
  if (p) {
    await hostnet("web,db", "destroy").catch(() => undefined);
    p.remove();
  }
  await execa("pkill", ["-f", sshDir], { reject: false });
  await labDown({ name: LAB, dir: labDir });
  rmSync(labDir, { recursive: true, force: true });
  rmSync(path.dirname(sshDir), { recursive: true, force: true });
}, 300_000);

test("one namespace added: Terraform touches only its objects and the host's sweep; taken out, the sweep removes it", async () => {
  expectSuccess(await hostnet("web,db", "deploy"));
  const two = await hostSnapshot(inv, "a");

  const add = await hostnet("web,db,cache", "deploy");
  expectSuccess(add);
  const added = touched(add.output);
  // The cache namespace, its veth and its default route, and the sweep (its keep list grew); not the preflight.
  expect(added.filter((a) => !/^terraform_data\.a_cache/.test(a))).toEqual([expect.stringMatching(/^terraform_data\.a_hostnet-sweep_/)]);
  expect(added.filter((a) => /^terraform_data\.a_cache/.test(a))).toHaveLength(3);
  expect((await hostExec(inv, "a", "ip netns list | cut -d' ' -f1 | sort")).stdout.split("\n")).toEqual(["cache", "db", "web"]);

  const remove = await hostnet("web,db", "deploy");
  expectSuccess(remove);
  expect(remove.output).toContain("hostnet: removing an object no longer in the stack: # hostnet destroy");
  expect(touched(remove.output).filter((a) => !/^terraform_data\.a_cache/.test(a))).toEqual([
    expect.stringMatching(/^terraform_data\.a_hostnet-sweep_/),
  ]);
  expect(await hostSnapshot(inv, "a")).toBe(two);

  expectSuccess(await hostnet("web,db", "destroy"));
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 900_000);
