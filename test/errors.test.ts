import * as fs from "fs";
import * as path from "path";
import { Bridge } from "../constructs";
import { parseArgs } from "../src/cli/args";
import { parseHostCheck } from "../src/drift/check";
import { ConstructError, HostnetError, isHostnetError } from "../src/errors";
import { parseIp4 } from "../src/ipam/ipv4";
import { parseLock } from "../src/ipam/lock";
import { pgConnection } from "../src/ipam/pg-connection";
import { SharedAddressPool } from "../src/ipam/shared-pool";
import { shq } from "../src/render/quote";
import { orderObjects } from "../src/review/order";
import { newStack } from "./support/stacks";

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

// Every error hostnet throws on purpose, from the code that throws it: the CLI and
// synthOrExit print these as one line (no stack trace) with their exit code.
describe("every deliberate error is a HostnetError", () => {
  test.each<[string, () => unknown, string, number, RegExp]>([
    ["an address that is not one", () => thrown(() => parseIp4("10.0.0")), "AddressError", 2, /^"10\.0\.0" is not an IPv4 address/],
    ["a value no shell can carry", () => thrown(() => shq("a\0b")), "UnquotableError", 2, /holds a NUL byte/],
    [
      "objects that depend on each other",
      () =>
        thrown(() =>
          orderObjects([
            { path: "a", dependsOn: ["b"] },
            { path: "b", dependsOn: ["a"] },
          ]),
        ),
      "DependencyCycleError",
      2,
      /cycle: /,
    ],
    ["a mistake on the command line", () => thrown(() => parseArgs(["--nope"], {}, "hostnet x")), "UsageError", 2, /--nope/],
    [
      "a construct outside a Host",
      () => thrown(() => new Bridge(newStack().stack, "br")),
      "ConstructError",
      2,
      /^s\/br: a Bridge must be created inside a Host's scope/,
    ],
    ["a broken lock file", () => thrown(() => parseLock("{", "hostnet.lock.json")), "HostnetError", 2, /^hostnet\.lock\.json: is not valid JSON/],
    ["a bad PostgreSQL connection string", () => thrown(() => pgConnection("mysql://x", "pgBackend")), "HostnetError", 2, /^pgBackend: /],
    ["a check script cut short", () => thrown(() => parseHostCheck("", [])), "HostnetError", 1, /did not finish/],
  ])("%s", (_, make, name, exitCode, message) => {
    const e = make();
    expect(e).toBeInstanceOf(HostnetError);
    expect(isHostnetError(e)).toBe(true);
    expect((e as HostnetError).name).toBe(name);
    expect((e as HostnetError).exitCode).toBe(exitCode);
    expect((e as HostnetError).message).toMatch(message);
  });

  test("a shared pool table with a bad name is a HostnetError, before any connection", async () => {
    const e = await SharedAddressPool.connect({ connection: "postgres://127.0.0.1:1/x", table: "Bad-Table" } as any).catch((x) => x);
    expect(e).toBeInstanceOf(HostnetError);
    expect(e.message).toMatch(/^shared pool table "Bad-Table"/);
  });

  test("ConstructError puts the construct path in front once", () => {
    const { stack } = newStack();
    expect(new ConstructError("wrong.", stack).message).toBe("s: wrong.");
    expect(new ConstructError("wrong.", "s/a/x").path).toBe("s/a/x");
  });
});

// The scan that keeps it so: an error class deriving from Error itself, or a plain
// `new Error(` outside the few places below, fails here.
describe("no production code throws a plain Error for a user's mistake", () => {
  const roots = ["src", "constructs"].map((d) => path.join(__dirname, "..", d));
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : e.name.endsWith(".ts") ? [p] : [];
    });
  const files = roots.flatMap(walk);
  const rel = (f: string) => path.relative(path.join(__dirname, ".."), f);

  test("every error class derives from HostnetError", () => {
    const classes = files.flatMap((f) =>
      [...fs.readFileSync(f, "utf8").matchAll(/class (\w+) extends (\w+)/g)]
        .filter((m) => m[2].endsWith("Error"))
        .map((m) => `${rel(f)}: ${m[1]} extends ${m[2]}`),
    );
    expect(classes.filter((c) => c.endsWith(" extends Error"))).toEqual(["src/errors.ts: HostnetError extends Error"]);
  });

  test("plain Errors are left only where they mean a bug in hostnet, or in files not yet converted", () => {
    const plain = files.flatMap((f) => (fs.readFileSync(f, "utf8").match(/new Error\(/g) ?? []).map(() => rel(f)));
    expect(plain.sort()).toEqual(
      [
        // Bugs: an invariant the validation already guarantees.
        "src/review/order.ts",
        "src/render/stacked-link.ts",
      ].sort(),
    );
  });
});
