/**
 * The SSH transport on real test hosts: jump hosts, pinned host keys, the
 * private control-socket directory, and no key material in plan or state.
 */
import execa from "execa";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, hostSnapshot, Inventory, labDown, labUp } from "../../src/lab";
import { CdktfProject } from "./support/cdktf-project";
import { sshBlockRule } from "./support/ssh-block";

const LAB = "tsp";
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const sshDir = mkdtempSync(path.join(tmpdir(), "hostnet-ssh-")) + "/control";
let inv: Inventory;
const projects: CdktfProject[] = [];
const BLOCK = (addr: string) => sshBlockRule(addr, "hostnet-test-block");

function project(env: Record<string, string>): CdktfProject {
  const p = new CdktfProject("test/integration/fixtures/small-app.ts", "small", {
    HOSTNET_INVENTORY: path.join(labDir, LAB, "inventory.json"),
    HOSTNET_SSH_DIR: sshDir,
    ...env,
  });
  projects.push(p);
  return p;
}

beforeAll(async () => {
  inv = await labUp({ name: LAB, hosts: 2, dir: labDir });
}, 120_000);

afterAll(async () => {
  await execa("iptables", ["-w", "-D", ...BLOCK(inv.hosts.b.address)], { reject: false });
  for (const p of projects) {
    await p.destroy();
    p.remove();
  }
  await labDown({ name: LAB, dir: labDir });
  rmSync(labDir, { recursive: true, force: true });
  rmSync(path.dirname(sshDir), { recursive: true, force: true });
}, 300_000);

test("hooks reach a host through a jump host when direct SSH to it is blocked", async () => {
  const b = inv.hosts.b.address;
  await execa("iptables", ["-w", "-I", ...BLOCK(b)]);
  // Control: direct SSH to b is refused now.
  const direct = await execa(
    "ssh",
    [
      "-F",
      "/dev/null",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=3",
      "-o",
      `UserKnownHostsFile=${inv.hosts.b.knownHostsFile}`,
      "-i",
      inv.hosts.b.identityFile!,
      `root@${b}`,
      "true",
    ],
    { reject: false },
  );
  expect(direct.exitCode).not.toBe(0);

  const p = project({ HOSTNET_HOST: "b", HOSTNET_JUMP: "a" });
  const up = await p.deploy();
  expect(up.output).toContain("Apply complete!");
  expect(up.exitCode).toBe(0);
  expect((await hostExec(inv, "b", "ip netns list")).stdout).toMatch(/^small\b/m);
  expect((await hostExec(inv, "a", "ip netns list")).stdout).not.toMatch(/^small\b/m);
  const down = await p.destroy();
  expect(down.exitCode).toBe(0);
  expect((await hostExec(inv, "b", "ip netns list")).stdout).not.toMatch(/^small\b/m);
  await execa("iptables", ["-w", "-D", ...BLOCK(b)]);
}, 300_000);

test("a host whose key does not match the pinned key is refused and nothing runs on it", async () => {
  const before = await hostSnapshot(inv, "a");
  const p = project({ HOSTNET_HOST: "a", HOSTNET_HOST_KEY: inv.hosts.b.hostKey!, HOSTNET_STACK: "small" });
  const r = await p.deploy();
  expect(r.exitCode).not.toBe(0);
  expect(r.output).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
  expect(r.output).toContain(`failed on root@${inv.hosts.a.address}:22`);
  expect(await hostSnapshot(inv, "a")).toBe(before);
}, 300_000);

test("the control socket directory is private, and no private key material is in the plan, review files or state", async () => {
  const p = project({ HOSTNET_HOST: "a", HOSTNET_STACK: "small" });
  expect((await p.deploy()).exitCode).toBe(0);
  const st = statSync(sshDir);
  expect(st.mode & 0o777).toBe(0o700);
  expect(st.uid).toBe(process.getuid!());
  const key = readFileSync(inv.hosts.a.identityFile!, "utf8");
  const body = key.split("\n").filter((l) => l && !l.startsWith("-----"));
  const files = [
    path.join(p.stackDir, "cdk.tf.json"),
    ...readdirSync(p.dir)
      .filter((f) => f.endsWith(".tfstate"))
      .map((f) => path.join(p.dir, f)),
  ];
  expect(files.some((f) => f.endsWith(".tfstate"))).toBe(true);
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    expect(text).not.toContain("PRIVATE KEY");
    for (const line of body) expect(text).not.toContain(line);
  }
  expect(readFileSync(files[0], "utf8")).toContain(inv.hosts.a.identityFile!); // the path is there, the key is not
  expect((await p.destroy()).exitCode).toBe(0);
}, 300_000);
