/**
 * Probe traffic for scenario tests: an echo server that tells the client which
 * address it saw, a one-line TCP client, and iperf3 runs. Every process a probe
 * starts is remembered by pid and stopped by `stopAll`, never by name.
 */
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostExec, Inventory } from "../../../src/lab";

const NODE = process.execPath;

export class Probes {
  /** Started processes: pid, and the pid-file path their command line holds (proves the pid is still ours). */
  private readonly started: Array<{ pid: number; marker: string }> = [];

  constructor(private readonly inv: () => Inventory) {}

  /**
   * Start a TCP server on a test host (in a namespace, or its root namespace)
   * that answers each connection with `<tag> <client address it saw>`. Resolves
   * once it listens.
   */
  async serveEcho(host: string, netns: string | undefined, port: number, tag: string): Promise<number> {
    const js = (pidFile: string) =>
      `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); require("net").createServer(c => ` +
      `c.end(${JSON.stringify(tag + " ")} + c.remoteAddress.replace(/^::ffff:/, "") + "\\n")).listen(${port})`;
    return this.startDaemon(host, netns, (pidFile) => `${NODE} -e '${js(pidFile)}'`, `ss -ltn | grep -q ':${port} '`);
  }

  /** Start `iperf3 -s` on a test host's namespace, bound to `address`; resolves once it listens on 5201. */
  async serveIperf(host: string, netns: string, address: string): Promise<number> {
    return this.startDaemon(host, netns, (pidFile) => `iperf3 -s -B ${address} -I ${pidFile}`, `ss -ltn | grep -q '${address}:5201 '`);
  }

  /** Connect from a test host (or one of its namespaces); the server's line, "TIMEOUT" or "ERR ...". */
  async tcpLine(host: string, addr: string, port: number, netns?: string): Promise<string> {
    const js =
      `const c=require("net").connect(${port},"${addr}");let ` +
      `d="";c.setTimeout(3000,()=>{console.log("TIMEOUT");process.exit(2)});c.on("data",x=>d+=x);c.on("end",()=>process.stdout.write(d));c.on("error",e=>{console.log("ERR ` +
      `"+e.message);process.exit(3)})`;
    const r = await hostExec(this.inv(), host, `${netnsPrefix(netns)}${NODE} -e '${js}'`);
    return r.stdout.trim();
  }

  /** Bits per second the iperf3 server received from a 3-second client run in `netns`. */
  async iperfRate(host: string, netns: string, server: string, seconds = 3): Promise<number> {
    const r = await hostExec(this.inv(), host, `${netnsPrefix(netns)}iperf3 -c ${server} -t ${seconds} -J`, { timeoutMs: (seconds + 20) * 1000 });
    if (r.exitCode !== 0) throw new Error(`iperf3 from ${netns} to ${server} failed (exit ${r.exitCode}): ${r.stdout.slice(0, 500)} ${r.stderr}`);
    return JSON.parse(r.stdout).end.sum_received.bits_per_second as number;
  }

  /**
   * Stop every process the probes started, by pid, from here: test hosts share
   * the machine's pid namespace, so this works even when a host's sshd is gone.
   * A pid whose command line no longer holds its marker was reused: left alone.
   */
  async stopAll(): Promise<void> {
    for (const p of this.started.splice(0)) {
      let cmdline = "";
      try {
        cmdline = readFileSync(`/proc/${p.pid}/cmdline`, "utf8");
      } catch {
        continue; // already gone
      }
      if (cmdline.includes(p.marker)) process.kill(p.pid, "SIGTERM");
    }
  }

  private async startDaemon(host: string, netns: string | undefined, command: (pidFile: string) => string, ready: string): Promise<number> {
    const dir = mkdtempSync(path.join(tmpdir(), "hostnet-probe-"));
    const pidFile = path.join(dir, "pid");
    try {
      const p = netnsPrefix(netns);
      const r = await hostExec(
        this.inv(),
        host,
        `${p}setsid ${command(pidFile)} </dev/null >/dev/null 2>&1 & for i in $(seq 1 50); do [ -s ${pidFile} ] && ${p}${ready} && exit 0; sleep 0.1; done; exit 1`,
      );
      if (r.exitCode !== 0) throw new Error(`probe on ${host}${netns ? ` in ${netns}` : ""} did not start: ${r.stderr}`);
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      this.started.push({ pid, marker: pidFile });
      return pid;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function netnsPrefix(netns?: string): string {
  return netns ? `ip netns exec ${netns} ` : "";
}
