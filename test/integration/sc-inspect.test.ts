/**
 * Issue 12 item 5 (one way to reach a host), on real test hosts: `hostnet
 * inspect` goes through the hooks' transport (runOnHost), so it
 * - leaves the shared connection (ControlMaster) a Host.fromInventory of the
 *   same inventory entry would use: same address, port and trust decision;
 * - reaches a host through the inventory's jump host, pinned by the same
 *   known_hosts file, when the host cannot be reached directly.
 */
import execa from "execa";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { Host } from "../../constructs";
import { Io } from "../../src/cli/command";
import { main } from "../../src/cli/main";
import { hostExec, Inventory, labDown, labUp } from "../../src/lab";
import { newStack } from "../support/stacks";
import { sshBlockRule } from "./support/ssh-block";

const LAB = "sci";
const INDEX = 171;
const labDir = mkdtempSync(path.join(tmpdir(), "hostnet-lab-"));
const work = mkdtempSync(path.join(tmpdir(), "hostnet-sci-"));
const sshDir = path.join(work, "ssh");
const savedSshDir = process.env.HOSTNET_SSH_DIR;
let inv: Inventory;
let dropped = false;
const DROP = () => sshBlockRule(inv.hosts.a.address, "hostnet-test-sci", "DROP");

function capture(): Io & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

async function inspectJson(inventory: string, host: string): Promise<{ code: number; json?: { hostname: string; address: string }; err: string[] }> {
  const io = capture();
  const code = await main(["inspect", host, "--inventory", inventory, "--json"], io);
  return { code, json: code === 0 ? JSON.parse(io.out_.join("\n")) : undefined, err: io.err_ };
}

beforeAll(async () => {
  mkdirSync(sshDir, { mode: 0o700 });
  // runOnHost passes the process environment on: every connection of this file lives here.
  process.env.HOSTNET_SSH_DIR = sshDir;
  inv = await labUp({ name: LAB, hosts: 2, dir: labDir, index: INDEX });
}, 300_000);

/** Asks each shared connection this file opened to exit. */
async function exitMasters(): Promise<void> {
  if (!existsSync(sshDir)) return;
  for (const f of readdirSync(sshDir).filter((n) => n.startsWith("master.") && !n.includes(".log")))
    await execa("sh", ["-c", 'read -r p s < "$1" && ssh -o ControlPath="$s" -O exit x', "sh", path.join(sshDir, f)], { reject: false });
}

afterAll(async () => {
  if (dropped) await execa("iptables", ["-w", "-D", ...DROP()], { reject: false });
  await exitMasters();
  if (savedSshDir === undefined) delete process.env.HOSTNET_SSH_DIR;
  else process.env.HOSTNET_SSH_DIR = savedSshDir;
  await labDown({ name: LAB, dir: labDir });
  rmSync(labDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}, 300_000);

test("hostnet inspect shares the connection a Host.fromInventory of the same entry uses", async () => {
  const inventory = path.join(labDir, LAB, "inventory.json");
  const r = await inspectJson(inventory, "a");
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.json!.hostname).toBe((await hostExec(inv, "a", "hostname")).stdout.trim());
  const { stack } = newStack();
  const trust = Host.fromInventory(stack, "a", inventory).hookEnvironment.HN_TRUST;
  // The master's record: "<pid> <socket>", named by address, port and trust.
  expect(readdirSync(sshDir)).toContain(`master.${inv.hosts.a.address}.22.${trust}`);
}, 120_000);

test("hostnet inspect reaches a host through the inventory's jump host", async () => {
  const a = inv.hosts.a;
  const viaB = path.join(work, "jump.json");
  writeFileSync(
    viaB,
    JSON.stringify({
      hosts: {
        a: { address: a.address, identityFile: a.identityFile, knownHostsFile: a.knownHostsFile, jumpHost: { address: inv.hosts.b.address } },
      },
    }),
  );
  // From here on host a answers only through host b (and no direct connection is left open).
  await exitMasters();
  await execa("iptables", ["-w", "-I", ...DROP()]);
  dropped = true;
  const direct = await inspectJson(path.join(labDir, LAB, "inventory.json"), "a");
  expect(direct.code).toBe(1);
  const r = await inspectJson(viaB, "a");
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.json!.hostname).toBe((await hostExec(inv, "a", "hostname")).stdout.trim());
}, 180_000);
