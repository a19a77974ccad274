/**
 * A process started to synthesize (CDKTF_OUTDIR set, as cdktf and `hostnet deploy` start the app) runs without
 * V8's optimizing compiler once it loads hostnet; any other process that imports hostnet keeps it.
 */
import * as path from "path";
import execa from "execa";
import { synthWithoutTurbofan } from "../../constructs/synth-process";

const CONSTRUCTS = path.resolve(__dirname, "../../constructs");
// A function hot enough for TurboFan, and whether TurboFan compiled it (bit 4 of V8's optimization status).
const PROBE = [
  `require(${JSON.stringify(CONSTRUCTS)});`,
  "function hot(x) { return x * 2 + 1; }",
  "let s = 0; for (let i = 0; i < 5e6; i++) s += hot(i);",
  'console.log((%GetOptimizationStatus(hot) & 16) !== 0 ? "turbofan" : "interpreted");',
].join("\n");

async function compiledBy(env: Record<string, string | undefined>): Promise<string> {
  const r = await execa("node", ["--allow-natives-syntax", "-r", "sucrase/register/ts", "-e", PROBE], {
    env: { ...env, PATH: process.env.PATH },
    extendEnv: false,
  });
  return r.stdout.trim();
}

describe("V8's optimizing compiler in a synth process", () => {
  test("off where CDKTF_OUTDIR is set, unless HOSTNET_TURBOFAN=1", () => {
    expect(synthWithoutTurbofan({ CDKTF_OUTDIR: "/tmp/out" })).toBe(true);
    expect(synthWithoutTurbofan({ CDKTF_OUTDIR: "/tmp/out", HOSTNET_TURBOFAN: "1" })).toBe(false);
    expect(synthWithoutTurbofan({})).toBe(false);
    expect(synthWithoutTurbofan({ CDKTF_OUTDIR: "" })).toBe(false);
  });

  test("a process that loads hostnet with CDKTF_OUTDIR leaves hot code interpreted; without it, or with HOSTNET_TURBOFAN=1, TurboFan compiles it", async () => {
    const [synth, other, kept] = await Promise.all([
      compiledBy({ CDKTF_OUTDIR: "/nonexistent/out" }),
      compiledBy({}),
      compiledBy({ CDKTF_OUTDIR: "/nonexistent/out", HOSTNET_TURBOFAN: "1" }),
    ]);
    expect({ synth, other, kept }).toEqual({ synth: "interpreted", other: "turbofan", kept: "turbofan" });
  }, 60_000);
});
