/**
 * A synthesis is a short process (1,000 endpoints: about 1.5 s), and there V8's
 * optimizing compiler (TurboFan) costs more than it wins: it compiles on
 * background threads that compete with the synth for the same cores, for code
 * that runs a few thousand times. Without it, a whole-process synth of 1,000
 * endpoints on the 2-core test machine took 1.44 s instead of 1.65 s and 1.4 s
 * of CPU instead of 2.0 s; 10,000 endpoints took the same time either way.
 *
 * Only in a process started to synthesize, which cdktf and `hostnet deploy`
 * tell by CDKTF_OUTDIR: tests and other long-lived processes that import
 * hostnet keep the optimizing compiler. HOSTNET_TURBOFAN=1 keeps it in a synth too.
 */
import { setFlagsFromString } from "v8";

/** Whether a process with this environment turns TurboFan off when it loads hostnet. */
export function synthWithoutTurbofan(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.CDKTF_OUTDIR) && env.HOSTNET_TURBOFAN !== "1";
}

if (synthWithoutTurbofan(process.env)) setFlagsFromString("--no-turbofan");
