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
  /** The data directory (postgresql.conf, pg_hba.conf), owned by the server's user. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1, when started with `tcp`. */
  readonly port?: number;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "initdb"))) : [];
  if (versions.length === 0)
    throw new Error("PostgreSQL binaries not found under /usr/lib/postgresql; run scripts/setup.sh (it installs the postgresql package).");
  return path.join(root, versions.sort((a, b) => Number(b) - Number(a))[0], "bin");
}

/** A free TCP port on 127.0.0.1 (the kernel's pick). */
async function freePort(): Promise<number> {
  const net = await import("net");
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** `tcp`: also listen on 127.0.0.1 (a free port), as a server on another machine would; the socket stays for the test's own queries. */
export async function startPostgres(opts: { tcp?: boolean } = {}): Promise<TestPostgres> {
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
  const port = opts.tcp ? await freePort() : undefined;
  const listen = port ? ["-c", "listen_addresses=127.0.0.1", "-p", String(port)] : ["-c", "listen_addresses="];
  const server: ChildProcess = spawn(...run(path.join(bin, "postgres"), ["-D", data, "-k", dir, ...listen, "-c", "fsync=off"]), { stdio: "ignore" });
  for (let i = 0; ; i++) {
    const r = await execa(path.join(bin, "pg_isready"), ["-h", dir, "-U", "postgres", ...(port ? ["-p", String(port)] : [])], { reject: false });
    if (r.exitCode === 0) break;
    if (i > 100 || server.exitCode !== null) throw new Error(`PostgreSQL did not start in ${dir}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  return {
    socketDir: dir,
    user: "postgres",
    url: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}${port ? `&port=${port}` : ""}&sslmode=disable`,
    dataDir: data,
    port,
    async stop() {
      await execa(...run(path.join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]), { reject: false });
      if (server.exitCode === null) server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
