/**
 * The test commands honour a selection: `npm run test:unit -- <path>` runs only
 * that path, and `npm test -- <path>` without an integration test in it runs
 * as any user (no root, no system setup).
 */
import execa from "execa";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

test("npm run test:unit -- <path> selects only that path", async () => {
  const r = await execa("npm", ["run", "--silent", "test:unit", "--", "test/cli/args.test.ts", "--listTests"], {
    cwd: ROOT,
    reject: false,
    all: true,
  });
  expect({ exitCode: r.exitCode, files: r.stdout.split("\n").filter((l) => l.startsWith("/")) }).toEqual({
    exitCode: 0,
    files: [path.join(ROOT, "test/cli/args.test.ts")],
  });
}, 180_000);

test("npm test -- <unit test path> runs as an unprivileged user", async () => {
  // As root, drop to nobody; as anyone else, the test already runs unprivileged.
  const drop = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp"] : ["env"];
  const r = await execa(drop[0], [...drop.slice(1), "bash", "scripts/test.sh", "test/cli/args.test.ts"], {
    cwd: ROOT,
    reject: false,
    all: true,
  });
  expect({ exitCode: r.exitCode, last: r.stdout.split("\n").pop() }).toEqual({
    exitCode: 0,
    last: expect.stringMatching(/^tests: \d+ passed, 0 failed, 0 skipped \(integration: 0 passed\)$/),
  });
}, 180_000);
