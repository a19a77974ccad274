import { App } from "cdktf";

/**
 * `app.synth()` for a hostnet app: when validation fails, print every problem
 * (each names its construct path, the bad value and the fix) and exit 1, without
 * a stack trace. Nothing reaches a host: synth stops before any plan is written.
 */
export function synthOrExit(app: App): void {
  try {
    app.synth();
  } catch (e) {
    const m = /^Validation failed with the following errors:\n([\s\S]*?)(?:\n\nIf you wish|$)/.exec((e as Error).message ?? "");
    if (!m) throw e;
    // cdktf prefixes each message with "[<path of the construct that validated>] "; ours already name the path.
    const problems = m[1].split("\n").map((l) => l.trim().replace(/^\[[^\]]*\] /, "")).filter(Boolean);
    process.stderr.write(`hostnet: ${problems.length} problem(s) in the stack; nothing was synthesized or deployed:\n${problems.map((p) => `  ${p}\n`).join("")}`);
    process.exit(1);
  }
}
