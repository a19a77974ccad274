/** Medians, ratios and the markdown tables `npm run bench` prints and README quotes. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import execa from "execa";

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const sec = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
export const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "–");
export const mib = (kb: number) => (kb / 1024).toFixed(0);

export function table(head: string[], rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i])).join(" | ")} |`;
  return [line(head), `| ${width.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map((r) => line(r.map(String)))].join("\n");
}

/** The machine, as results/latest.json records it. */
export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly memoryMiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly terraform: string;
  readonly cdktf: string;
  readonly iproute2: string;
  readonly openssh: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews every number alike. */
  readonly loadAverage: { start: number; end?: number };
}

async function firstLine(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args, { reject: false, all: true });
  return (r.all ?? "").trim().split("\n")[0] ?? "";
}

export async function machine(): Promise<Machine> {
  const tf = await execa("terraform", ["version", "-json"], { reject: false });
  let terraform = "unknown";
  try {
    terraform = (JSON.parse(tf.stdout) as { terraform_version: string }).terraform_version;
  } catch {
    // leave unknown
  }
  return {
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "unknown",
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    kernel: os.release(),
    node: process.version,
    terraform,
    cdktf: (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "node_modules", "cdktf", "package.json"), "utf8")) as { version: string }).version,
    iproute2: await firstLine("ip", ["-V"]),
    openssh: await firstLine("ssh", ["-V"]),
    loadAverage: { start: os.loadavg()[0] },
  };
}
