/**
 * Writes a stack's hook scripts (SCRIPTS_DIR beside cdk.tf.json) in a worker
 * thread, so that creating the files (2,008 for 1,000 endpoints, 0.15 s to
 * well over 0.5 s on a slow disk) overlaps the rest of synth on another core:
 * cdktf's resolve and cdk.tf.json, the review folder, hostnet.json. `wait()`
 * blocks until every file is written and throws what the worker could not do;
 * the stack's synthesizer calls it before it returns, so synth still ends with
 * every file in place.
 *
 * The worker is plain JavaScript passed as text (`eval`), the same under
 * ts-node, jest and the compiled package. What it does, in this order: makes
 * the directory, removes every file the stack no longer has, and writes every
 * file that does not already hold its text (a regular file, mode 0644):
 * removed first, so a symlink is replaced rather than followed, then created
 * with O_EXCL. An unchanged file is not rewritten: rewriting 2,008 unchanged
 * files costs 350-450 ms, reading and comparing them 35 ms. Only a name the
 * directory listed is checked and removed: into an empty directory (a first
 * deploy) each file is one create (2,008 files: 80 ms; with a check and a
 * remove of each absent name first, 220-280 ms).
 */
import { Worker } from "worker_threads";
import { HostnetError } from "../errors";

const WORKER = `
const { workerData } = require("worker_threads");
const fs = require("fs");
const path = require("path");
const { dir, files, state, message } = workerData;
let error = "";
try {
  fs.mkdirSync(dir, { recursive: true });
  const names = new Set(files.map((f) => f[0]));
  const present = new Set();
  for (const name of fs.readdirSync(dir)) {
    if (names.has(name)) present.add(name);
    else fs.rmSync(path.join(dir, name), { force: true, recursive: true });
  }
  for (const [name, content] of files) {
    const file = path.join(dir, name);
    if (present.has(name)) {
      if (holds(file, content)) continue;
      fs.rmSync(file, { force: true, recursive: true });
    }
    fs.writeFileSync(file, content, { mode: 0o644, flag: "wx" });
  }
} catch (e) {
  error = String((e && e.message) || e);
} finally {
  const bytes = Buffer.from(error).subarray(0, message.length);
  message.set(bytes);
  Atomics.store(state, 1, bytes.length);
  Atomics.store(state, 0, 1);
  Atomics.notify(state, 0);
}
function holds(file, content) {
  try {
    const st = fs.lstatSync(file);
    return st.isFile() && (st.mode & 0o7777) === 0o644 && st.size === Buffer.byteLength(content) && fs.readFileSync(file, "utf8") === content;
  } catch {
    return false;
  }
}
`;

/** The files of one stack's script directory, being written by a worker thread. */
export class ScriptDirWrite {
  // [0]: 1 once the worker is done; [1]: length of its error message (0: none).
  private readonly state = new Int32Array(new SharedArrayBuffer(8));
  private readonly message = new Uint8Array(new SharedArrayBuffer(4096));
  private readonly deadline: number;

  /** Starts writing `files` (name, text) into `dir`, which then holds exactly those files. */
  constructor(
    private readonly dir: string,
    files: ReadonlyMap<string, string>,
  ) {
    // Generous: a file takes well under 10 ms even on a slow disk; a worker that never starts must not hang synth.
    this.deadline = Date.now() + 120_000 + 10 * files.size;
    // execArgv []: the app's own `-r` preloads (sucrase, anything of the user's) are not loaded again in the worker.
    new Worker(WORKER, { eval: true, execArgv: [], workerData: { dir, files: [...files], state: this.state, message: this.message } });
  }

  /** Blocks until the worker is done; a HostnetError naming the directory when it could not write it. */
  wait(): void {
    while (Atomics.load(this.state, 0) === 0) {
      if (Date.now() > this.deadline) throw new HostnetError(`writing the hook scripts to ${this.dir} did not finish; nothing was deployed.`);
      Atomics.wait(this.state, 0, 0, 1000);
    }
    const length = Atomics.load(this.state, 1);
    if (length > 0) {
      const why = Buffer.from(this.message.subarray(0, length)).toString("utf8");
      throw new HostnetError(`cannot write the hook scripts to ${this.dir}: ${why}`);
    }
  }
}
