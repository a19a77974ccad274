/** Probes run inside test hosts: ping and a one-shot TCP exchange with a tiny node server. */
import { Inventory, hostExec } from "../../../src/lab";

const NODE = process.execPath;

/** True when `ping` from `where` (a host, optionally inside one of its namespaces) reaches `to`. */
export async function ping(inv: Inventory, host: string, to: string, netns?: string): Promise<boolean> {
  const prefix = netns ? `ip netns exec ${netns} ` : "";
  const r = await hostExec(inv, host, `${prefix}ping -c 1 -W 2 ${to}`);
  return r.exitCode === 0;
}

/** Start a TCP server in a namespace that answers every connection with `reply` and closes. */
export async function serveTcp(inv: Inventory, host: string, netns: string, port: number, reply: string): Promise<void> {
  const js = `require("net").createServer(s => s.end(${JSON.stringify(reply + "\n")})).listen(${port})`;
  const r = await hostExec(
    inv,
    host,
    `ip netns exec ${netns} ` +
      `setsid ${NODE} -e ` +
      `'${js}' </dev/null >/dev/null 2>&1 & sleep 0.3; for i in 1 2 3 4 5 6 7 8 9 10; do ip netns ` +
      `exec ${netns} ss -ltn | grep -q ':${port} ' && exit 0; sleep 0.2; done; exit 1`,
  );
  if (r.exitCode !== 0) throw new Error(`server in ${netns} on ${host} did not start: ${r.stderr}`);
}

const CLIENT = (addr: string, port: number) =>
  `const s=require("net").connect(${port},"${addr}");let ` +
  `d="";s.setTimeout(3000,()=>{console.log("TIMEOUT");process.exit(2)});s.on("data",c=>d+=c);s.on("end",()=>{process.stdout.write(d)});s.on("error",e=>{console.log("ERR ` +
  `"+e.message);process.exit(3)})`;

/** Connect from a test host (or one of its namespaces) and return what the server sent. */
export async function tcpFromHost(inv: Inventory, host: string, addr: string, port: number, netns?: string): Promise<string> {
  const prefix = netns ? `ip netns exec ${netns} ` : "";
  const r = await hostExec(inv, host, `${prefix}${NODE} -e '${CLIENT(addr, port)}'`);
  return r.stdout.trim();
}

/** Connect from the machine running the tests (the root namespace: "outside" every test host). */
export async function tcpFromOutside(addr: string, port: number): Promise<string> {
  const net = await import("net");
  return new Promise((resolve) => {
    let d = "";
    const s = net.connect(port, addr);
    s.setTimeout(3000, () => {
      s.destroy();
      resolve("TIMEOUT");
    });
    s.on("data", (c) => (d += c));
    s.on("end", () => resolve(d.trim()));
    s.on("error", (e) => resolve(`ERR ${e.message}`));
  });
}
