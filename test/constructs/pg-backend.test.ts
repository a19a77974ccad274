import { App } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Endpoint, Bridge, Subnet } from "../../constructs";
import { HostnetStack } from "../../constructs/hostnet-stack";
import { messages, newHost, newStack, synthJson } from "../support/stacks";

describe("HostnetStack pgBackend", () => {
  test("selects Terraform's built-in pg backend with the given connection and schema, sslmode made explicit", () => {
    const { stack } = newStack({ pgBackend: { connStr: "postgres://tf@db.example/hostnet", schemaName: "lab_state" } });
    expect(synthJson(stack).terraform.backend).toEqual({
      pg: { conn_str: "postgres://tf@db.example/hostnet?sslmode=require", schema_name: "lab_state" },
    });
  });

  test("each stack gets its own schema by default, so stacks sharing a connStr never share a state", () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-synth-")) });
    const connStr = "postgres://tf@db.example/hostnet?sslmode=disable";
    const a = new HostnetStack(app, "team-a", { pgBackend: { connStr } });
    const b = new HostnetStack(app, "team_b", { pgBackend: { connStr } });
    const backend = (s: HostnetStack) => synthJson(s).terraform.backend.pg;
    expect(backend(a)).toEqual({ conn_str: connStr, schema_name: expect.stringMatching(/^hostnet_team_a_[0-9a-f]{8}$/) });
    expect(backend(b)).toEqual({ conn_str: connStr, schema_name: "hostnet_team_b" });
    fs.rmSync(app.outdir, { recursive: true, force: true });
  });

  test("without it the state stays local and no backend is written", () => {
    const { stack } = newStack();
    expect(synthJson(stack).terraform?.backend).toBeUndefined();
  });

  test.each([
    ["postgres://tf:hunter2@db.example/hostnet", "in the URL"],
    ["host=db.example user=tf password=hunter2 dbname=hostnet", "in password=..."],
  ])("a password in connStr (%s) stops synth with the fix, and is in no synthesized value", (connStr, form) => {
    const { stack } = newStack({ pgBackend: { connStr } });
    expect(messages(stack)).toEqual([
      `s: pgBackend connStr holds a password (${form}): it would be written to cdk.tf.json and .terraform/terraform.tfstate in clear. ` +
        "Remove it and set PGPASSWORD (or a line in ~/.pgpass, mode 0600) where synth and terraform run; Terraform's pg backend and the address pool both read them.",
    ]);
    expect(JSON.stringify(synthJson(stack))).not.toContain("hunter2");
  });

  test("an sslmode Terraform's backend does not know stops synth", () => {
    const { stack } = newStack({ pgBackend: { connStr: "postgres://tf@db.example/hostnet?sslmode=prefer" } });
    expect(messages(stack)[0]).toContain(
      "s: pgBackend connStr has sslmode=prefer, which Terraform's pg backend does not support. Use sslmode=disable for a server without SSL",
    );
  });

  test("hooks of copies sharing a pg state name the state as the hook lock's owner; local state keeps the working copy", () => {
    const { stack } = newStack({ pgBackend: { connStr: "postgres://alice@db.example/hostnet" } });
    newHost(stack);
    const env = Object.values(synthJson(stack).resource.terraform_data)[0].provisioner[0]["local-exec"].environment;
    expect(env.HN_LOCK_OWNER).toMatch(/^[0-9a-f]{16}$/);
    expect(env.HN_LOCK_OWNER).toBe(stack.sharedStateId);
    const other = newStack({ pgBackend: { connStr: "postgres://bob@db.example/hostnet?sslmode=require" } }).stack;
    expect(other.sharedStateId).toBe(stack.sharedStateId);

    const local = newStack().stack;
    newHost(local);
    expect(Object.values(synthJson(local).resource.terraform_data)[0].provisioner[0]["local-exec"].environment).not.toHaveProperty("HN_LOCK_OWNER");
  });
});

describe("HostnetStack pool commit (claims with owner: stack)", () => {
  function stackWithClaims() {
    const { stack } = newStack();
    const host = newHost(stack);
    const lan = new Subnet(host, "lan", { cidr: "10.60.0.0/24" });
    const br = new Bridge(host, "br", { address: lan.gateway });
    const ips = new Map([
      ["s/a/e1", "10.60.0.5"],
      ["s/a/e2", "10.60.0.6"],
    ]);
    for (const [h, ip] of ips) new Endpoint(host, h.split("/")[2], { bridge: br, address: lan.address(ip, h) });
    stack.recordPoolClaim({
      target: { host: "db.example", user: "tf", sslmode: "require" },
      table: "hostnet_addresses",
      pool: "lan",
      cidr: "10.60.0.0/24",
      addresses: ips,
    });
    return stack;
  }

  test("the commit runs after every hook; every root hook waits for the release, so it is destroyed last", () => {
    const json = synthJson(stackWithClaims());
    const data = json.resource.terraform_data;
    const commit = Object.entries(data).find(([k]) => k.startsWith("hostnet-pool_commit"))!;
    const release = Object.entries(data).find(([k]) => k.startsWith("hostnet-pool_release"))!;
    const hooks = Object.keys(data).filter((k) => !k.startsWith("hostnet-pool_"));
    expect(commit[1].depends_on).toEqual(hooks.map((k) => `terraform_data.${k}`).sort());
    const roots = hooks.filter((k) =>
      (data[k].depends_on ?? []).every((d) => !d.startsWith("terraform_data.a_") && !hooks.some((h) => d === `terraform_data.${h}`)),
    );
    expect(roots).toEqual([expect.stringMatching(/^a_hostnet_/)]);
    expect(data[roots[0]].depends_on).toEqual([`terraform_data.${release[0]}`]);
    expect(release[1].depends_on).toBeUndefined();

    // What they store: where the pool is (no password, no user, no TLS settings) and the claimed set's hash.
    const target = JSON.stringify({ host: "db.example" });
    expect(release[1].triggers_replace).toEqual({ owner: "s", table: "hostnet_addresses", target });
    expect(commit[1].triggers_replace).toEqual({ owner: "s", table: "hostnet_addresses", target, set: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(commit[1].provisioner.map((p) => p["local-exec"].when)).toEqual([undefined]);
    expect(release[1].provisioner.map((p) => p["local-exec"].when)).toEqual(["destroy"]);
    expect(commit[1].provisioner[0]["local-exec"].environment).toMatchObject({
      HN_POOL_FILE: "${path.module}/hostnet-pool.json",
      HN_POOL_SET: "${self.triggers_replace.set}",
    });
    // Who connects and how come from the configuration of the run, so a destroy after the server
    // turned SSL off (or from another engineer's copy) connects as configured now, and replaces nothing.
    for (const r of [commit, release])
      expect(r[1].provisioner[0]["local-exec"].environment.HN_POOL_CONN).toBe(JSON.stringify({ user: "tf", sslmode: "require" }));
  });

  test("the claimed set's hash changes with the set, so the commit runs again", () => {
    const set = (s: HostnetStack) =>
      Object.entries(synthJson(s).resource.terraform_data).find(([k]) => k.startsWith("hostnet-pool_commit"))![1].triggers_replace!.set;
    const a = stackWithClaims();
    const b = stackWithClaims();
    expect(set(a)).toBe(set(b));
    b.recordPoolClaim({
      target: { host: "db.example", user: "tf", sslmode: "require" },
      table: "hostnet_addresses",
      pool: "lan",
      cidr: "10.60.0.0/24",
      addresses: new Map([["s/a/e3", "10.60.0.7"]]),
    });
    expect(set(b)).not.toBe(set(a));
  });
});
