/**
 * Issue 7 on a test host: the foundation topology is deployed, a namespace is
 * inserted in the middle of the list, and `terraform plan` touches only the
 * new namespace's resources and the host's preflight hook, because
 * hostnet.lock.json (beside cdktf.json) keeps every other address.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject, expectSuccess } from "./support/cdktf-project";
import { ping } from "./support/probe";

const LAB = "ipm";
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
let inv: Inventory;
let before: string;
let project: CdktfProject;

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 1, index: 81, dir: labDir });
  before = await hostSnapshot(inv, "a");
  project = new CdktfProject("test/integration/fixtures/foundation-app.ts", "ipm", {
    HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
    HOSTNET_STACK: "ipm",
    HOSTNET_NAMESPACES: "web,db,cache",
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

/** Resource names in a plan, by action. */
function planActions(output: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of output.matchAll(/^\s*# (\S+) (will be created|must be replaced|will be updated in-place|will be destroyed)/gm)) {
    (out[m[2]] ??= []).push(m[1]);
  }
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}

describe("stable addresses on a test host", () => {
  test("deploy records every allocation in hostnet.lock.json beside cdktf.json", async () => {
    expectSuccess(await project.deploy());
    const lockFile = path.join(project.dir, "hostnet.lock.json");
    expect(existsSync(lockFile)).toBe(true);
    expect(JSON.parse(readFileSync(lockFile, "utf8"))).toEqual({
      version: 1,
      subnets: {
        "ipm/a/lan": { cidr: "10.88.0.0/24", addresses: { "ipm/a/cache": "10.88.0.4", "ipm/a/db": "10.88.0.3", "ipm/a/web": "10.88.0.2" } },
      },
    });
  }, 300_000);

  test("inserting a namespace in the middle plans only the new namespace's resources and the host hook", async () => {
    project.setEnv({ HOSTNET_NAMESPACES: "web,api,db,cache" });
    expectSuccess(await project.cdktf("synth"));
    const plan = await project.terraform("plan", "-input=false", "-no-color");
    expect(plan.exitCode).toBe(0);
    const actions = planActions(plan.output);
    expect(Object.keys(actions).sort()).toEqual(["must be replaced", "will be created"]);
    expect(actions["will be created"]).toHaveLength(3);
    for (const r of actions["will be created"]) expect(r).toMatch(/^terraform_data\.a_api[-_]/);
    expect(actions["must be replaced"]).toEqual([expect.stringMatching(/^terraform_data\.a_hostnet/)]);
    expect(plan.output).toContain("Plan: 4 to add, 0 to change, 1 to destroy.");
  }, 300_000);

  test("after deploy the new namespace has the lowest free address and the others kept theirs", async () => {
    expectSuccess(await project.deploy());
    const a = await hostExec(inv, "a", "for n in web api db cache; do ip -n $n -br -4 addr show dev eth0; done");
    expect(
      a.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[2]),
    ).toEqual(["10.88.0.2/24", "10.88.0.5/24", "10.88.0.3/24", "10.88.0.4/24"]);
    expect(await ping(inv, "a", "10.88.0.3", "api")).toBe(true);
    expect(await ping(inv, "a", "10.88.0.5", "cache")).toBe(true);
    const plan = await project.terraform("plan", "-detailed-exitcode", "-input=false", "-no-color");
    expect(plan.output).toContain("No changes.");
  }, 300_000);

  test("destroy leaves the host as it was", async () => {
    expectSuccess(await project.destroy());
    expect(await hostSnapshot(inv, "a")).toBe(before);
  }, 300_000);
});
