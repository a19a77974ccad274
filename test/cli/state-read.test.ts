/**
 * The deploy's drift probe needs the addresses in the state. For a plain local
 * state it reads the file (localStateAddresses) instead of starting
 * `terraform state list`: on real states written by Terraform, the two must
 * agree, and whatever the reader does not know it leaves to Terraform.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { localStateAddresses, stateList } from "../../src/cli/terraform";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-state-read-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const tf = (...args: string[]) => {
  const r = spawnSync("terraform", args, { cwd: dir, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" } });
  if (r.status !== 0) throw new Error(`terraform ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};
const terraformList = () => new Set(tf("state", "list", "-no-color").split("\n").filter(Boolean));

function config(resources: Record<string, unknown>, backend?: unknown): void {
  fs.writeFileSync(
    path.join(dir, "cdk.tf.json"),
    JSON.stringify({ ...(backend === undefined ? {} : { terraform: { backend } }), resource: { terraform_data: resources } }),
  );
}

describe("the state's addresses read from a local state file", () => {
  test("agree with terraform state list: the default path, a relative path, after a resource left", () => {
    config({ a: { input: "x" }, "b-1_Z": { triggers_replace: { k: "v" } } });
    expect(localStateAddresses(dir)).toEqual(new Set());
    tf("init", "-input=false");
    tf("apply", "-auto-approve", "-input=false");
    expect(localStateAddresses(dir)).toEqual(terraformList());
    expect(localStateAddresses(dir)).toEqual(new Set(["terraform_data.a", "terraform_data.b-1_Z"]));

    fs.rmSync(path.join(dir, ".terraform"), { recursive: true, force: true });
    fs.rmSync(path.join(dir, "terraform.tfstate"));
    config({ a: {}, c: {}, d: {} }, { local: { path: "../" + path.basename(dir) + "/s/x.tfstate" } });
    fs.mkdirSync(path.join(dir, "s"));
    tf("init", "-input=false");
    tf("apply", "-auto-approve", "-input=false");
    config({ a: {}, d: {} }, { local: { path: "../" + path.basename(dir) + "/s/x.tfstate" } });
    tf("apply", "-auto-approve", "-input=false");
    expect(localStateAddresses(dir)).toEqual(terraformList());
    expect(localStateAddresses(dir)).toEqual(new Set(["terraform_data.a", "terraform_data.d"]));
  }, 120_000);

  test("leaves to terraform what it does not know: count, another backend, a workspace, a torn file", async () => {
    config({ a: { count: 2 } });
    tf("init", "-input=false");
    tf("apply", "-auto-approve", "-input=false");
    expect(localStateAddresses(dir)).toBeUndefined();
    // stateList then asks Terraform, which names the instances.
    expect((await stateList(dir)).addresses).toEqual(new Set(["terraform_data.a[0]", "terraform_data.a[1]"]));

    config({ a: {} }, { pg: { conn_str: "postgres://localhost/x" } });
    expect(localStateAddresses(dir)).toBeUndefined();

    config({ a: {} });
    fs.mkdirSync(path.join(dir, ".terraform"), { recursive: true });
    fs.writeFileSync(path.join(dir, ".terraform", "environment"), "blue");
    expect(localStateAddresses(dir)).toBeUndefined();
    fs.rmSync(path.join(dir, ".terraform", "environment"));
    process.env.TF_WORKSPACE = "blue";
    try {
      expect(localStateAddresses(dir)).toBeUndefined();
    } finally {
      delete process.env.TF_WORKSPACE;
    }

    fs.writeFileSync(path.join(dir, "terraform.tfstate"), '{"version": 4, "resources": [');
    expect(localStateAddresses(dir)).toBeUndefined();
    fs.writeFileSync(path.join(dir, "terraform.tfstate"), JSON.stringify({ version: 3, resources: [] }));
    expect(localStateAddresses(dir)).toBeUndefined();
  }, 120_000);
});
