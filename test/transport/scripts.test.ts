/**
 * The transport with scripts out of Terraform's values: the text read from a
 * file named by its sha256 is checked before it is sent, and a destroy runs the
 * host's ledger copy of its script (DESTROY_RUNNER). `ssh` is a stand-in on PATH
 * that runs what it is sent in a local `sh -s`, and logs each session.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { DESTROY_RUNNER, HOOK_COMMAND } from "../../src/transport/ssh";
import { syntaxErrors } from "../support/fake-host";
import { hookEnv } from "../support/hook-env";
import { checkTimeoutSeconds, runOnHost } from "../../src/transport/run";

let dir: string;
let bin: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "hostnet-scripts-transport-"));
  bin = path.join(dir, "bin");
  mkdirSync(bin);
  mkdirSync(path.join(dir, "ledger"));
  writeFileSync(
    path.join(bin, "ssh"),
    [
      "#!/bin/sh",
      'for a in "$@"; do case "$a" in -G|-N) exit 0 ;; -O) echo "Master running (pid=1)" >&2; exit 0 ;; esac; done',
      `echo session >> ${dir}/sessions`,
      "exec sh -s",
    ].join("\n") + "\n",
  );
  chmodSync(path.join(bin, "ssh"), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (content: string) => createHash("sha256").update(content).digest("hex");
const ledger = () => path.join(dir, "ledger", "0123abcd.down");
const mark = (name: string) => `echo ${name} >> ${dir}/ran`;
const ran = () => (existsSync(path.join(dir, "ran")) ? readFileSync(path.join(dir, "ran"), "utf8").trim().split("\n") : []);
const sessions = () => (existsSync(path.join(dir, "sessions")) ? readFileSync(path.join(dir, "sessions"), "utf8").trim().split("\n").length : 0);

function hook(env: Record<string, string>): { code: number; stderr: string } {
  const r = spawnSync("/bin/sh", ["-c", HOOK_COMMAND], {
    encoding: "utf8",
    env: hookEnv(dir, bin, "s/a/web", env),
  });
  return { code: r.status ?? -1, stderr: r.stderr };
}

test("DESTROY_RUNNER parses with sh -n", () => {
  expect(syntaxErrors(DESTROY_RUNNER)).toBe("");
});

describe("create", () => {
  const script = () => `set -eu\n${mark("create")}\n`;

  test("a script that hashes to its name is sent", () => {
    expect(hook({ HN_SCRIPT: script(), HN_SHA256: sha(script()) }).code).toBe(0);
    expect(ran()).toEqual(["create"]);
  });

  test("a script that does not hash to its name is not sent; the hook fails naming the file and both hashes", () => {
    const want = sha("something else\n");
    const r = hook({ HN_SCRIPT: script(), HN_SHA256: want });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `hostnet: create of s/a/web: the script file hostnet-scripts/${want}.sh beside cdk.tf.json does not match its name (its sha256 is ${sha(script())})`,
    );
    expect([ran(), sessions()]).toEqual([[], 0]);
  });

  test.each([["ABCDEF"], ["00 11"], ["$(id)"], ["0123abcd"], ["0".repeat(65)]])("HN_SHA256 %j is refused before anything is sent", (bad) => {
    const r = hook({ HN_SCRIPT: script(), HN_SHA256: bad });
    expect([r.code, ran(), sessions()]).toEqual([2, [], 0]);
  });

  test("without HN_SHA256 (hostnet check, a state from before) the text is sent as it is", () => {
    const r = hook({ HN_SCRIPT: script() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(ran()).toEqual(["create"]);
  });
});

describe("destroy runs the host's ledger copy, checked against the hash in the state", () => {
  // The create stores the destroy script in the ledger with a heredoc (text and a newline), and
  // synthesis writes the same content to the file of its hash beside cdk.tf.json.
  const down = () => `set -eu\n${mark("down")}\nrm -f ${ledger()}\n`;
  const destroy = (o: { entry?: string; local?: boolean; content?: string }) => {
    const content = o.content ?? down();
    if (o.entry !== undefined) writeFileSync(ledger(), o.entry);
    return hook({ HN_OP: "destroy", HN_LEDGER: ledger(), HN_SHA256: sha(content), HN_SCRIPT: o.local ? content : "" });
  };

  test("the entry that hashes to the state's value runs once, not the local copy too, and removes itself", () => {
    const r = destroy({ entry: down(), local: true });
    expect(r).toEqual({ code: 0, stderr: "" });
    expect([ran(), existsSync(ledger())]).toEqual([["down"], false]);
  });

  test("the entry runs when the local copy is gone (an object replaced since: the new synthesis has another script)", () => {
    expect(destroy({ entry: down(), local: false }).code).toBe(0);
    expect([ran(), existsSync(ledger())]).toEqual([["down"], false]);
  });

  test("it stops at its first failing command (set -e), and that status is the hook's", () => {
    const failing = `set -eu\n${mark("down")}\nsh -c 'exit 7'\n${mark("after")}\n`;
    expect(destroy({ entry: failing, content: failing }).code).toBe(7);
    expect(ran()).toEqual(["down"]);
  });

  test("an entry with another hash runs nothing, not even the local copy, and fails naming the entry and both hashes; the entry stays", () => {
    const other = `set -eu\n${mark("other")}\n`;
    const r = destroy({ entry: other, local: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `hostnet: the ledger entry ${ledger()} holds another destroy script (sha256 ${sha(other)}) than Terraform's state names (${sha(down())})`,
    );
    expect([ran(), readFileSync(ledger(), "utf8")]).toEqual([[], other]);
  });

  test("no entry: the local copy (hash checked) runs, saying so", () => {
    const r = destroy({ local: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`hostnet: no ledger entry ${ledger()} on this host; running the destroy script kept beside cdk.tf.json`);
    expect(ran()).toEqual(["down"]);
  });

  test("no entry and no local copy: nothing to remove, said, and success", () => {
    const r = destroy({});
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `hostnet: no ledger entry ${ledger()} on this host, and no copy of its destroy script beside cdk.tf.json: nothing to remove`,
    );
    expect(ran()).toEqual([]);
  });

  test.each([["relative/x.down"], ["/run/hostnet/s/x"], ["/run/hostnet/../etc/x.down"], ["/run/hostnet/s/$(id).down"]])(
    "HN_LEDGER %j is refused before anything is sent",
    (bad) => {
      const r = hook({ HN_OP: "destroy", HN_LEDGER: bad, HN_SHA256: sha("x\n"), HN_SCRIPT: "" });
      expect([r.code, sessions()]).toEqual([2, 0]);
    },
  );
});

describe("runOnHost (hostnet check, gc)", () => {
  // The check of a host with 1,000 endpoints is ~300 KB: as an environment value it was refused by
  // the kernel (a string over 128 KiB: spawn E2BIG), and every deploy of such a stack failed in its drift probe.
  test("sends a script larger than the kernel's 128 KiB limit on one environment string", async () => {
    const script = [...Array.from({ length: 6000 }, (_, i) => `: line ${i} of a large check ${"x".repeat(40)}`), "echo checked"].join("\n");
    expect(script.length).toBeGreaterThan(300_000);
    const env = hookEnv(dir, bin, "s/a", {});
    const r = await runOnHost({ address: "198.18.0.2", port: 22, environment: { ...env, HN_SCRIPT: "echo stale" } }, script, {
      op: "check",
      path: "s/a",
    });
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, "checked", ""]);
    expect(sessions()).toBe(1);
  });

  // A check of 1,000 endpoints took longer than the fixed 120 s, and the deploy said only "not probed for drift: exit -1".
  test("a run that outlasts its timeout is stopped and says so, with exit 124", async () => {
    const env = hookEnv(dir, bin, "s/a", {});
    const t0 = Date.now();
    const r = await runOnHost(
      { address: "198.18.0.2", port: 22, environment: env },
      "echo started; sleep 5",
      { op: "drift probe", path: "s/a" },
      { timeoutSeconds: 1 },
    );
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(r.exitCode).toBe(124);
    expect(r.stderr.split("\n").pop()).toBe("hostnet: drift probe of s/a did not finish within 1 s on root@198.18.0.2:22; it was stopped");
  });

  // A check that timed out stopped only the local shell: ssh and the script went on running.
  test("at the timeout nothing it started is left running: not ssh, not the script", async () => {
    const env = hookEnv(dir, bin, "s/a", {});
    const pids = path.join(dir, "pids");
    const r = await runOnHost(
      { address: "198.18.0.2", port: 22, environment: env },
      `echo $PPID $$ > ${pids}; sleep 30`,
      { op: "check", path: "s/a" },
      { timeoutSeconds: 1 },
    );
    expect(r.exitCode).toBe(124);
    // The fake ssh execs sh -s: its pid is the script's; $PPID is the transport's shell.
    const [shell, script] = readFileSync(pids, "utf8").trim().split(" ").map(Number);
    const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
    expect([alive(shell), alive(script)]).toEqual([false, false]);
  });

  test("checkTimeoutSeconds: 120 s, and half a second per object", () => {
    expect([checkTimeoutSeconds(0), checkTimeoutSeconds(1), checkTimeoutSeconds(1000)]).toEqual([120, 121, 620]);
  });
});
