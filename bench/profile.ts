/**
 * Where the time of one `hostnet deploy` + `hostnet destroy` of N endpoints
 * goes (issue 14): the whole commands, then the same Terraform configuration
 * with each layer taken away in turn, on the bench's test host:
 * - terraform floor: every hook's command replaced by `true`;
 * - + transport: the real transport (ssh session, hook lock) running `:`;
 * - scripts on the host: every create script, then every destroy script, run
 *   one after another in one shell on the host (no Terraform, no ssh), with
 *   the number of processes they start (strace -f, execve and fork/clone).
 * The rest of the whole command is synth and hostnet's own checks.
 *
 *   ts-node --transpile-only bench/profile.ts [N] [endpoint|objects]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import execa from "execa";
import { hostExec, hostSnapshot, labDown, labUp } from "../src/lab";
import { labFilesAt } from "../src/lab/paths";
import { benchEnv, distIsFresh, hostnet, makeProject } from "./project";
import { BenchShape } from "./topology";

const say = (msg: string) => process.stderr.write(`profile: ${msg}\n`);
const load1 = () => Math.round(os.loadavg()[0] * 100) / 100;

interface Timed {
  seconds: number;
  cpu: number;
}

/** Runs a command under bash's `time`: wall and CPU seconds (the command and its children). */
async function timed(cmd: string, cwd: string, env: Record<string, string>): Promise<Timed> {
  const t0 = performance.now();
  const r = await execa("/bin/bash", ["-c", `TIMEFORMAT='profile-cpu %U %S'; time { ${cmd} ; } >/dev/null`], { cwd, env, reject: false, all: true });
  const seconds = (performance.now() - t0) / 1000;
  if (r.exitCode !== 0) throw new Error(`${cmd} failed in ${cwd}:\n${(r.all ?? "").slice(-3000)}`);
  const m = /profile-cpu ([\d.]+) ([\d.]+)/.exec(r.all ?? "");
  return { seconds, cpu: m ? Number(m[1]) + Number(m[2]) : NaN };
}

type Tf = Record<string, any>;

/** A copy of the stack's Terraform directory whose hooks run `command`, with its own state. */
function variant(stackDir: string, dir: string, edit: (env: Record<string, string>, op: string) => void, command?: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(stackDir))
    if (f !== ".terraform" && !f.startsWith("terraform.tfstate")) fs.cpSync(path.join(stackDir, f), path.join(dir, f), { recursive: true });
  const tf: Tf = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
  tf.terraform.backend = { local: { path: path.join(dir, "state.tfstate") } };
  for (const r of Object.values(tf.resource.terraform_data as Record<string, Tf>)) {
    for (const p of r.provisioner) {
      const le = p["local-exec"];
      if (command) le.command = command;
      edit(le.environment, le.environment.HN_OP);
    }
  }
  fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(tf, null, 2));
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 100);
  const shape = (process.argv[3] ?? "endpoint") as BenchShape;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-profile-"));
  say(`work directory ${work}; hostnet from ${distIsFresh() ? "dist" : "sources"}`);
  const inv = await labUp({ name: "sb", hosts: 1, index: 191, dir: path.join(work, "lab") });
  const rows: Array<[string, string]> = [];
  const add = (what: string, t: Timed | string) => {
    const v = typeof t === "string" ? t : `${t.seconds.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`;
    rows.push([what, v]);
    say(`${what}: ${v} (load ${load1()})`);
  };
  try {
    await hostExec(inv, "a", "mount -t tmpfs -o mode=0700 hostnet-bench-home /root");
    const clean = await hostSnapshot(inv, "a");
    const sshDir = path.join(work, "ssh");
    fs.mkdirSync(sshDir, { mode: 0o700 });
    const env = { ...(process.env as Record<string, string>), ...benchEnv(sshDir) };
    const p = makeProject(path.join(work, "project"), { count, shape, hosts: ["a"], inventory: labFilesAt(inv.dir).inventory }, distIsFresh());
    const log = path.join(work, "hostnet.log");
    await hostnet(p, ["destroy"], env, log); // synth + init, untimed
    const up = await hostnet(p, ["deploy"], env, log);
    add(`hostnet deploy, whole command (synth ${((up.marks.synthEnd ?? NaN) - (up.marks.synthStart ?? NaN)).toFixed(2)} s)`, up);
    const down = await hostnet(p, ["destroy"], env, log);
    add("hostnet destroy, whole command", down);
    await hostExec(inv, "a", "sleep 2");
    if ((await hostSnapshot(inv, "a")) !== clean) say("warning: host differs from before after destroy");

    // Terraform alone, then with the transport.
    const floor = path.join(work, "floor");
    variant(p.stackDir, floor, () => {}, "true");
    const tf = (args: string, dir: string) => timed(`terraform ${args}`, dir, env);
    await tf("init -input=false", floor);
    add("terraform apply, hooks run `true`", await tf("apply -auto-approve -input=false", floor));
    add("terraform destroy, hooks run `true`", await tf("destroy -auto-approve -input=false", floor));
    const tr = path.join(work, "transport");
    variant(p.stackDir, tr, (e) => {
      e.HN_SCRIPT = ":";
      e.HN_SHA256 = "";
      delete e.HN_LEDGER;
    });
    await tf("init -input=false", tr);
    add("terraform apply, hooks send `:` over the transport", await tf("apply -auto-approve -input=false", tr));
    add("terraform destroy, hooks send `:` over the transport", await tf("destroy -auto-approve -input=false", tr));

    // The scripts alone, on the host, in Terraform's order (host hook, bridge, NAT, endpoints).
    const tfj: Tf = JSON.parse(fs.readFileSync(path.join(p.stackDir, "cdk.tf.json"), "utf8"));
    const res = Object.entries(tfj.resource.terraform_data as Record<string, Tf>);
    const rank = (k: string, r: Tf) => (/_hostnet_/.test(k) ? 0 : (r.depends_on ?? []).length && /_hnb0_|_masquerade_/.test(k) ? 1 : 2);
    res.sort((a, b) => rank(a[0], a[1]) - rank(b[0], b[1]));
    const file = (sha: string) => path.join(p.stackDir, "hostnet-scripts", `${sha}.sh`);
    const creates = res.map(([, r]) => file(r.triggers_replace.create_sha256));
    const destroys = res
      .filter(([, r]) => r.triggers_replace.destroy_sha256)
      .map(([, r]) => file(r.triggers_replace.destroy_sha256))
      .reverse();
    const runAll = (files: string[]) => files.map((f) => `sh ${f} || exit 1`).join("\n");
    fs.writeFileSync(path.join(work, "up.sh"), runAll(creates));
    fs.writeFileSync(path.join(work, "down.sh"), runAll(destroys));
    const onHost = async (script: string): Promise<Timed> => {
      const r = await hostExec(inv, "a", `bash -c 'TIMEFORMAT="profile-cpu %R %U %S"; time sh ${script} >/dev/null'`);
      const m = /profile-cpu ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
      if (r.exitCode !== 0 || !m) throw new Error(`${script} failed on the host: ${r.stderr.slice(-2000)}`);
      return { seconds: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
    };
    add("create scripts on the host, serially", await onHost(path.join(work, "up.sh")));
    add("destroy scripts on the host, serially", await onHost(path.join(work, "down.sh")));
    await hostExec(inv, "a", "sleep 2");
    // Counted runs (strace slows them, so untimed).
    await hostExec(inv, "a", `strace -f -qq -c -e trace=execve,fork,vfork,clone,clone3 -o ${work}/up.strace sh ${work}/up.sh >/dev/null 2>&1`);
    await hostExec(inv, "a", `strace -f -qq -c -e trace=execve,fork,vfork,clone,clone3 -o ${work}/down.strace sh ${work}/down.sh >/dev/null 2>&1`);
    for (const w of ["up", "down"]) {
      const s = fs.readFileSync(path.join(work, `${w}.strace`), "utf8");
      const n = (call: string) => Number(new RegExp(`^\\s*[\\d.]+\\s+[\\d.]+\\s+\\d+\\s+(\\d+)(?:\\s+\\d+)?\\s+${call}$`, "m").exec(s)?.[1] ?? 0);
      const forks = n("fork") + n("vfork") + n("clone") + n("clone3");
      add(
        `${w === "up" ? "create" : "destroy"} scripts: processes`,
        `${forks} forks, ${n("execve")} execs (${(forks / count).toFixed(1)} per endpoint)`,
      );
    }
  } finally {
    await labDown({ name: "sb", dir: path.join(work, "lab") }).catch((e) => say(`lab down: ${e}`));
  }
  process.stdout.write(
    `\n| ${count} ${shape} endpoints, load ${load1()} | |\n| --- | --- |\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join("\n")}\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`profile: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
