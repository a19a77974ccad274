import { findOrphans, renderGcRemove, renderGcScan } from "../../src/drift/gc";
import { FakeHost } from "../support/fake-host";

const plan = { ids: new Set(["aaaaaaaaaaaa"]), tags: new Set(["hostnet:s:s/a/br0"]) };

describe("gc: unfinished ledger entries (.down.tmp)", () => {
  test.each<[string, string, ReturnType<typeof findOrphans>]>([
    [
      "an unfinished entry is listed, even for an id the plan keeps",
      "P aaaaaaaaaaaa.down.tmp",
      [{ type: "partial", what: "aaaaaaaaaaaa.down.tmp", tag: "unfinished ledger entry" }],
    ],
    ["a name that is not a ledger file name is not listed", "P ../x.down.tmp", []],
    ["an empty P line is not listed", "P", []],
    ["complete entries of kept ids stay unlisted", "L aaaaaaaaaaaa # hostnet destroy bridge br0 (s/a/br0)", []],
  ])("%s", (_name, scan, orphans) => {
    expect(findOrphans(scan, plan)).toEqual(orphans);
  });

  test("remove deletes the unfinished file and runs nothing", () => {
    expect(renderGcRemove("s", [{ type: "partial", what: "bbbbbbbbbbbb.down.tmp", tag: "unfinished ledger entry" }])).toBe(
      ["# hostnet gc: remove what this stack left behind", "set -eu", "rm -f /run/hostnet/s/bbbbbbbbbbbb.down.tmp"].join("\n"),
    );
  });

  describe("on a fake host", () => {
    let host: FakeHost;
    beforeEach(() => (host = new FakeHost()));
    afterEach(() => host.dispose());

    test("the scan lists a .down.tmp beside the complete entries, and remove deletes only it", () => {
      host.writeLedger("s/aaaaaaaaaaaa.down", "# hostnet destroy bridge br0 (s/a/br0)\n");
      host.writeLedger("s/bbbbbbbbbbbb.down.tmp", "# hostnet destroy bri");
      // The ledger part of the scan (the rest reads links and rules of the real machine's namespaces).
      const ledgerScan = renderGcScan("s")
        .split("\n")
        .filter((l) => l.startsWith("for f in "));
      expect(ledgerScan).toHaveLength(2);
      const scan = host.run(ledgerScan.join("\n")).stdout;
      expect(scan.split("\n").filter((l) => /^[LP] /.test(l))).toEqual([
        "L aaaaaaaaaaaa # hostnet destroy bridge br0 (s/a/br0)",
        "P bbbbbbbbbbbb.down.tmp",
      ]);
      const orphans = findOrphans(scan, plan);
      expect(orphans).toEqual([{ type: "partial", what: "bbbbbbbbbbbb.down.tmp", tag: "unfinished ledger entry" }]);
      expect(host.run(renderGcRemove("s", orphans)).status).toBe(0);
      expect(host.ledgerFiles("s")).toEqual(["aaaaaaaaaaaa.down"]);
    });
  });
});
