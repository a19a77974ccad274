/**
 * A throwaway PostgreSQL server from the Debian package (scripts/setup.sh
 * installs `postgresql`): initdb into a temporary directory as the postgres
 * user, listening only on a unix socket in that directory.
 */
import { ChildProcess, spawn } from "child_process";
import execa from "execa";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "fs";
import { tmpdir, userInfo } from "os";
import * as path from "path";

export interface TestPostgres {
  /** Directory of the unix socket: pg's `host`. */
  readonly socketDir: string;
  readonly user: string;
  /** libpq/Go style URL with the socket as host, for Terraform's pg backend. */
  readonly url: string;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "initdb"))) : [];
  if (versions.length === 0) throw new Error("PostgreSQL binaries not found under /usr/lib/postgresql; run scripts/setup.sh (it installs the postgresql package).");
  return path.join(root, versions.sort((a, b) => Number(b) - Number(a))[0], "bin");
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(path.join(tmpdir(), "hostnet-pg-"));
  // initdb and postgres refuse to run as root: run them as the postgres user, which owns the directory.
  const asRoot = userInfo().uid === 0;
  const run = (cmd: string, args: string[]) => (asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args]) as [string, string[]];
  if (asRoot) {
    const { stdout } = await execa("id", ["-u", "postgres"]);
    const { stdout: gid } = await execa("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout), Number(gid));
  }
  const data = path.join(dir, "data");
  await execa(...run(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]));
  const server: ChildProcess = spawn(...run(path.join(bin, "postgres"), ["-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "fsync=off"]), { stdio: "ignore" });
  for (let i = 0; ; i++) {
    const r = await execa(path.join(bin, "pg_isready"), ["-h", dir, "-U", "postgres"], { reject: false });
    if (r.exitCode === 0) break;
    if (i > 100 || server.exitCode !== null) throw new Error(`PostgreSQL did not start in ${dir}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  return {
    socketDir: dir,
    user: "postgres",
    url: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}&sslmode=disable`,
    async stop() {
      await execa(...run(path.join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]), { reject: false });
      if (server.exitCode === null) server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
