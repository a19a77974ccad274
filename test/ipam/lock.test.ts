import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatIp } from "../../src/ipam/ip";
import { checkLocked, EMPTY_LOCK, mergeLock, parseLock, readLockFile, renderLock, writeLockFile } from "../../src/ipam/lock";
import { defaultLockFile } from "../../src/ipam/lock-synthesizer";

const F = "hostnet.lock.json";

describe("lock file format", () => {
  test("renders sorted, pretty JSON with one line per holder, whatever the insertion order", () => {
    const text = renderLock({
      version: 1,
      subnets: {
        "s/b/lan": { cidr: "10.1.0.0/24", addresses: { "s/b/z": "10.1.0.2" } },
        "s/a/lan": { cidr: "10.0.0.0/24", addresses: { "s/a/web": "10.0.0.3", "s/a/db": "10.0.0.2" } },
      },
    });
    expect(text).toBe(
      [
        "{",
        '  "version": 1,',
        '  "subnets": {',
        '    "s/a/lan": {',
        '      "cidr": "10.0.0.0/24",',
        '      "addresses": {',
        '        "s/a/db": "10.0.0.2",',
        '        "s/a/web": "10.0.0.3"',
        "      }",
        "    },",
        '    "s/b/lan": {',
        '      "cidr": "10.1.0.0/24",',
        '      "addresses": {',
        '        "s/b/z": "10.1.0.2"',
        "      }",
        "    }",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    expect(parseLock(text, F)).toEqual({
      version: 1,
      subnets: {
        "s/a/lan": { cidr: "10.0.0.0/24", addresses: { "s/a/db": "10.0.0.2", "s/a/web": "10.0.0.3" } },
        "s/b/lan": { cidr: "10.1.0.0/24", addresses: { "s/b/z": "10.1.0.2" } },
      },
    });
  });

  test.each([
    ["<<<<<<< HEAD\n{}", "hostnet.lock.json: is not valid JSON"],
    ["[]", "hostnet.lock.json: is not a JSON object."],
    ['{"version": 2, "subnets": {}}', "hostnet.lock.json: has version 2; this hostnet reads version 1."],
    ['{"version": 1}', 'hostnet.lock.json: has no "subnets" object.'],
    [
      '{"version": 1, "subnets": {"s/a/lan": {"cidr": "10.0.0.0/24"}}}',
      'hostnet.lock.json: entry "s/a/lan" needs "cidr" (a string) and "addresses" (an object).',
    ],
    [
      '{"version": 1, "subnets": {"s/a/lan": {"cidr": "10.0.0.0/24", "addresses": {"s/a/web": 7}}}}',
      'hostnet.lock.json: entry "s/a/lan" holds 7 for s/a/web; addresses are strings such as "10.0.0.2".',
    ],
  ])("a malformed file is refused with the fix: %s", (text, message) => {
    expect(() => parseLock(text, F)).toThrow(message);
    expect(() => parseLock(text, F)).toThrow("Fix the file, or delete it to renumber every subnet at the next synth (addresses may change).");
  });

  test("merging replaces this stack's subnets and keeps other stacks'", () => {
    const old = {
      version: 1,
      subnets: {
        "s/a/lan": { cidr: "10.0.0.0/24", addresses: { "s/a/web": "10.0.0.2" } },
        "s/a/gone": { cidr: "10.9.0.0/24", addresses: { "s/a/x": "10.9.0.2" } },
        "t/a/lan": { cidr: "10.1.0.0/24", addresses: { "t/a/web": "10.1.0.2" } },
        "st/a/lan": { cidr: "10.2.0.0/24", addresses: {} },
      },
    };
    const merged = mergeLock(old, "s", { "s/a/lan": { cidr: "10.0.0.0/24", addresses: { "s/a/db": "10.0.0.3" } } });
    expect(Object.keys(merged.subnets).sort()).toEqual(["s/a/lan", "st/a/lan", "t/a/lan"]);
    expect(merged.subnets["s/a/lan"].addresses).toEqual({ "s/a/db": "10.0.0.3" });
  });

  test("a missing file reads as empty; writing twice with the same content leaves the file untouched", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-lock-"));
    const file = path.join(dir, F);
    expect(readLockFile(file)).toEqual(EMPTY_LOCK);
    const data = { version: 1, subnets: { "s/a/lan": { cidr: "10.0.0.0/24", addresses: { "s/a/web": "10.0.0.2" } } } };
    writeLockFile(file, data);
    const past = new Date(2000, 0, 1);
    fs.utimesSync(file, past, past);
    writeLockFile(file, data);
    expect(fs.statSync(file).mtime.getTime()).toBe(past.getTime());
    expect(readLockFile(file)).toEqual(data);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("checkLocked", () => {
  const records = (r: Map<string, bigint>) => Object.fromEntries([...r].map(([k, v]) => [k, formatIp(v > 0xffffffffn ? 6 : 4, v)]));

  test("a consistent record is returned as numbers", () => {
    const got = checkLocked("s/a/lan", "10.0.0.0/24", { cidr: "10.0.0.0/24", addresses: { "s/a/web": "10.0.0.2", "s/a/db": "10.0.0.3" } }, F);
    expect(got.errors).toEqual([]);
    expect(records(got.records)).toEqual({ "s/a/db": "10.0.0.3", "s/a/web": "10.0.0.2" });
  });

  test("a grown subnet keeps every record", () => {
    const got = checkLocked("s/a/lan", "10.0.0.0/16", { cidr: "10.0.0.0/24", addresses: { "s/a/web": "10.0.0.2" } }, F);
    expect(got.errors).toEqual([]);
    expect(records(got.records)).toEqual({ "s/a/web": "10.0.0.2" });
  });

  test("a resized subnet that leaves records outside names the subnet, both CIDRs, the holders and the fix", () => {
    const got = checkLocked(
      "s/a/lan",
      "10.0.0.0/29",
      {
        cidr: "10.0.0.0/24",
        addresses: { "s/a/a": "10.0.0.2", "s/a/b": "10.0.0.9", "s/a/c": "10.0.0.10", "s/a/d": "10.0.0.11", "s/a/e": "10.0.0.12" },
      },
      F,
    );
    expect(got.errors).toEqual([
      "hostnet.lock.json records addresses outside the subnet, which is now 10.0.0.0/29 but was 10.0.0.0/24 when the file was written: " +
        's/a/b (10.0.0.9), s/a/c (10.0.0.10), s/a/d (10.0.0.11) and 1 more. Restore the CIDR, or delete the "s/a/lan" entry from ' +
        "hostnet.lock.json to renumber this subnet at the next synth.",
    ]);
    expect(records(got.records)).toEqual({ "s/a/a": "10.0.0.2" });
  });

  test("one address recorded for two holders (after a merge) names both and the fix", () => {
    const got = checkLocked("s/a/lan", "10.0.0.0/24", { cidr: "10.0.0.0/24", addresses: { "s/a/web": "10.0.0.7", "s/a/api": "10.0.0.7" } }, F);
    expect(got.errors).toEqual([
      "hostnet.lock.json records 10.0.0.7 for both s/a/api and s/a/web (two branches allocated it and were merged?). Delete one of the two " +
        "lines from hostnet.lock.json; that holder gets a new address at the next synth.",
    ]);
  });

  test("a recorded value that is not an IPv4 address is named with the fix", () => {
    const got = checkLocked("s/a/lan", "10.0.0.0/24", { cidr: "10.0.0.0/24", addresses: { "s/a/web": "10.0.0.x" } }, F);
    expect(got.errors).toEqual([
      `hostnet.lock.json records "10.0.0.x" for s/a/web: "10.0.0.x" is not an IPv4 address. Write it as four numbers 0-255, e.g. 10.0.0.1. ` +
        `Fix or delete that line in hostnet.lock.json; the holder then gets a new address.`,
    ]);
  });
});

describe("defaultLockFile", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-proj-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("beside cdktf.json when the output directory is inside the project; none elsewhere; an explicit path or false wins", () => {
    expect(defaultLockFile(undefined, "cdktf.out", dir)).toBeUndefined();
    fs.writeFileSync(path.join(dir, "cdktf.json"), "{}");
    expect(defaultLockFile(undefined, "cdktf.out", dir)).toBe(path.join(dir, F));
    expect(defaultLockFile(undefined, path.join(dir, "cdktf.out"), dir)).toBe(path.join(dir, F));
    expect(defaultLockFile(undefined, path.join(os.tmpdir(), "elsewhere"), dir)).toBeUndefined();
    expect(defaultLockFile("locks/x.json", "/tmp/out", dir)).toBe(path.join(dir, "locks/x.json"));
    expect(defaultLockFile(false, "cdktf.out", dir)).toBeUndefined();
  });
});
