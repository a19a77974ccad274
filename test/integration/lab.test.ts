import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import execa from "execa";
import { hostExec, hostSnapshot, Inventory, labDown, labStatus, labUp, readInventory, sshArgs, sshRun } from "../../src/lab";

// Real test hosts: needs root, iproute2, sshd. Addresses stay on the lab's
// own 198.18.N.0/24.
jest.setTimeout(60_000);

const LAB = "tlab";

async function root(cmd: string): Promise<string> {
  return (await execa("sh", ["-c", cmd])).stdout;
}

describe("lab of two test hosts", () => {
  let dir: string;
  let inv: Inventory;
  let rootNetnsBefore: string;
  let rootLinksBefore: string;

  beforeAll(async () => {
    rootNetnsBefore = await root("ip netns list");
    rootLinksBefore = await root("ip -br link");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-lab-"));
    inv = await labUp({ name: LAB, hosts: 2, dir });
  });

  afterAll(async () => {
    try {
      await labDown({ name: LAB, dir });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("lab up writes an inventory with both hosts on the lab subnet", () => {
    expect(readInventory(path.join(dir, LAB, "inventory.json"))).toEqual(inv);
    expect(Object.keys(inv.hosts)).toEqual(["a", "b"]);
    expect(inv.subnet).toBe("198.18.249.0/24");
    expect(inv.hosts.b.address).toBe("198.18.249.11");
    expect(inv.hosts.a.identityFile).toBe(path.join(dir, LAB, "id_ed25519"));
    expect(JSON.stringify(inv)).not.toContain("PRIVATE KEY");
  });

  test("ssh reaches each host, which has its own hostname", async () => {
    for (const h of Object.values(inv.hosts)) {
      const r = await sshRun(h, "hostname");
      expect({ exitCode: r.exitCode, stdout: r.stdout }).toEqual({ exitCode: 0, stdout: `${LAB}-${h.name}` });
    }
  });

  test("ssh refuses a host whose key does not match the pinned one", async () => {
    const wrong = path.join(dir, "wrong_known_hosts");
    fs.writeFileSync(wrong, `${inv.hosts.a.address} ${inv.hosts.b.hostKey}\n`);
    const a = { ...inv.hosts.a, knownHostsFile: wrong };
    const r = await execa("ssh", [...sshArgs(a), "--", "true"], { reject: false });
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toContain("Host key verification failed");
  });

  test("a netns created on host a is invisible on host b and in the root namespace", async () => {
    const add = await sshRun(inv.hosts.a, "ip netns add tlabprobe && ip netns list");
    expect(add).toMatchObject({ exitCode: 0 });
    expect(add.stdout).toContain("tlabprobe");
    expect((await hostExec(inv, "a", "ip netns list")).stdout).toContain("tlabprobe");
    expect((await hostExec(inv, "b", "ip netns list")).stdout).toBe("");
    expect(await root("ip netns list")).not.toContain("tlabprobe");
  });

  test("host a pings host b", async () => {
    const r = await sshRun(inv.hosts.a, `ping -c1 -W2 ${inv.hosts.b.address}`);
    expect(r.exitCode).toBe(0);
  });

  test("hostExec reports a failing script's exit code instead of throwing", async () => {
    expect(await hostExec(inv, "b", "echo out; echo err >&2; exit 7")).toEqual({ stdout: "out", stderr: "err", exitCode: 7 });
  });

  test("a host snapshot is equal before and after a netns is added and deleted", async () => {
    const before = await hostSnapshot(inv, "b");
    expect(before).toContain("198.18.249.11/24");
    await hostExec(inv, "b", "ip netns add snap1 && ip -n snap1 link add d0 type dummy");
    expect(await hostSnapshot(inv, "b")).not.toBe(before);
    await hostExec(inv, "b", "ip netns delete snap1");
    expect(await hostSnapshot(inv, "b")).toBe(before);
  });

  test("lab up again keeps the running hosts and returns the same inventory", async () => {
    const pids = (await labStatus({ name: LAB, dir })).hosts.map((h) => h.sshdPid);
    expect(await labUp({ name: LAB, hosts: 2, dir })).toEqual(inv);
    const status = await labStatus({ name: LAB, dir });
    expect(status.hosts.map((h) => h.sshdPid)).toEqual(pids);
    expect(status.healthy).toBe(true);
  });

  test("two lab up runs at once wait for each other and agree", async () => {
    const [x, y] = await Promise.all([labUp({ name: LAB, hosts: 2, dir }), labUp({ name: LAB, hosts: 2, dir })]);
    expect(x).toEqual(inv);
    expect(y).toEqual(inv);
  });

  test("hostnet lab status prints one line per host and a summary", async () => {
    const bin = path.join(__dirname, "..", "..", "bin", "hostnet");
    const r = await execa(bin, ["lab", "status", "--name", LAB, "--dir", dir], { reject: false });
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^a {2}198\.18\.249\.10 {2}fd00:198:18:249::10 {2}netns ok {2}sshd \d+ {2}ssh ok$/);
    expect(lines[2]).toBe('lab "tlab": 2/2 hosts reachable (198.18.249.0/24, fd00:198:18:249::/64)');
  });

  test("hostnet lab up prints each host's addresses of both families", async () => {
    const bin = path.join(__dirname, "..", "..", "bin", "hostnet");
    const r = await execa(bin, ["lab", "up", "--name", LAB, "--hosts", "2", "--dir", dir], { reject: false });
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 2)).toEqual([
      "a  198.18.249.10  fd00:198:18:249::10  hnlab-tlab-a  up",
      "b  198.18.249.11  fd00:198:18:249::11  hnlab-tlab-b  up",
    ]);
    expect(lines[2]).toMatch(/^lab "tlab": 2 hosts up \(198\.18\.249\.0\/24, fd00:198:18:249::\/64\); inventory: /);
  });

  test("lab up restarts a dead sshd", async () => {
    const pid = (await labStatus({ name: LAB, dir })).hosts.find((h) => h.name === "b")!.sshdPid!;
    process.kill(pid, "SIGKILL");
    expect((await labStatus({ name: LAB, dir })).healthy).toBe(false);
    await labUp({ name: LAB, hosts: 2, dir });
    const status = await labStatus({ name: LAB, dir });
    expect(status.healthy).toBe(true);
    expect((await sshRun(inv.hosts.b, "hostname")).stdout).toBe(`${LAB}-b`);
  });

  test("lab down leaves the root namespace as it was and removes the lab dir", async () => {
    // Host a still has netns tlabprobe; give it a process too.
    await hostExec(inv, "a", "ip netns exec tlabprobe sleep 300 >/dev/null 2>&1 &");
    const r = await labDown({ name: LAB, dir });
    expect(r).toEqual({ lab: LAB, hosts: ["a", "b"], bridgeRemoved: true, dirRemoved: true });
    expect(await root("ip netns list")).toBe(rootNetnsBefore);
    expect(await root("ip -br link")).toBe(rootLinksBefore);
    expect(fs.existsSync(path.join(dir, LAB))).toBe(false);
    expect((await root("ps -eo stat=,args=")).split("\n").filter((l) => !l.startsWith("Z") && l.includes("sleep 300"))).toEqual([]);
  });

  test("lab down succeeds when the lab is already gone", async () => {
    expect(await labDown({ name: LAB, dir })).toEqual({ lab: LAB, hosts: [], bridgeRemoved: false, dirRemoved: false });
  });
});
