#!/usr/bin/env node
// Reads jest's --json output and prints one closing line:
//   "tests: N passed, N failed, N skipped (integration: N passed)"
// Exits 1 when anything failed, was skipped or todo, or no integration test ran.
const fs = require("fs");
const r = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
let passed = 0, failed = 0, skipped = 0, integration = 0;
const skippedNames = [];
for (const file of r.testResults) {
  const isIntegration = file.name.includes("/test/integration/");
  for (const t of file.assertionResults) {
    if (t.status === "passed") {
      passed++;
      if (isIntegration) integration++;
    } else if (t.status === "failed") failed++;
    else {
      skipped++;
      skippedNames.push(`${file.name.replace(process.cwd() + "/", "")}: ${t.fullName} (${t.status})`);
    }
  }
  if (file.status === "failed" && file.assertionResults.length === 0) failed++; // a suite that failed to load
}
for (const n of skippedNames) console.error(`skipped: ${n}`);
const filtered = process.argv.includes("--filtered");
if (integration === 0 && !filtered) console.error("no integration test ran");
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped (integration: ${integration} passed)`);
process.exit(failed > 0 || skipped > 0 || (integration === 0 && !filtered) ? 1 : 0);
