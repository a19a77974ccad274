/**
 * gc of nftables objects, on real nft in a throwaway network namespace
 * (`unshare -nm`, with /run/hostnet and /run/netns on fresh tmpfs so nothing of
 * the machine is read or touched): the scan lists the jumps of the stack's
 * table by tag, and remove deletes the orphans' jumps and chains, and the
 * table with the last one.
 */
import { spawnSync } from "child_process";
import { findOrphans, renderGcRemove, renderGcScan } from "../../src/drift/gc";
import { renderNftNat } from "../../src/render/nft";
import { createScript } from "../../src/render/script";
import { NatSpec, ObjectRef } from "../../src/render/types";

const masq: NatSpec = { type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: true };
const fwd: NatSpec = { type: "dnat", protocol: "tcp", hostPort: 8080, toAddress: "10.0.0.2", toPort: 80, fromHost: true, allowForward: true };
const ref = (name: string, id: string): ObjectRef => ({ stack: "s", path: `s/a/${name}`, id, tag: `hostnet:s:s/a/${name}` });
const KEEP = ref("masq", "aaaaaaaaaaaa");
const GONE = ref("fwd", "bbbbbbbbbbbb");

function inScratch(script: string): { status: number | null; stdout: string; stderr: string } {
  const setup = "mkdir -p /run/hostnet /run/netns && mount -t tmpfs hn /run/hostnet && mount -t tmpfs hn /run/netns";
  const r = spawnSync("unshare", ["-nm", "sh", "-c", `${setup} && ${script}`], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const create = (spec: NatSpec, r: ObjectRef) => createScript(renderNftNat(spec, r), r, { kind: "nat", name: r.path });

describe("gc and the stack's nft table", () => {
  test("the scan lists every tagged jump; remove takes the orphan's chains and, with the last object, the table", () => {
    const scanned = inScratch(
      `sh -c '${create(masq, KEEP).replace(/'/g, `'\\''`)}' && sh -c '${create(fwd, GONE).replace(/'/g, `'\\''`)}' && ${renderGcScan("s")}`,
    );
    expect(scanned.stderr).toBe("");
    const nLines = scanned.stdout.split("\n").filter((l) => l.startsWith("N "));
    expect(nLines.map((l) => l.split(" ").slice(0, 4).join(" ")).sort()).toEqual([
      "N - forward o_aaaaaaaaaaaa_fwd",
      "N - forward o_bbbbbbbbbbbb_fwd",
      "N - output o_bbbbbbbbbbbb_out",
      "N - postrouting o_aaaaaaaaaaaa_post",
      "N - prerouting o_bbbbbbbbbbbb_pre",
    ]);
    const orphans = findOrphans(scanned.stdout, { ids: new Set([KEEP.id]), tags: new Set([KEEP.tag]) }).filter((o) => o.type === "nft");
    expect(orphans.map((o) => o.what).sort()).toEqual([
      "root forward jump o_bbbbbbbbbbbb_fwd",
      "root output jump o_bbbbbbbbbbbb_out",
      "root prerouting jump o_bbbbbbbbbbbb_pre",
    ]);

    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const setupBoth = `sh -c ${q(create(masq, KEEP))} && sh -c ${q(create(fwd, GONE))}`;
    const after = inScratch(`${setupBoth} && sh -c ${q(renderGcRemove("s", orphans))} && nft list ruleset`);
    expect(after.stderr).toBe("");
    expect(after.stdout).toContain("chain o_aaaaaaaaaaaa_post");
    expect(after.stdout).not.toContain("bbbbbbbbbbbb");

    const all = findOrphans(scanned.stdout, { ids: new Set(), tags: new Set() }).filter((o) => o.type === "nft");
    const empty = inScratch(`${setupBoth} && sh -c ${q(renderGcRemove("s", all))} && nft list ruleset`);
    expect(empty).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  test.each([
    ["N - forward o_bbbbbbbbbbbb_fwd 12 hostnet:s:s/a/x", 1],
    ["N - forward o_bbbbbbbbbbbb_fwd 12 hostnet:s:s/a/masq", 0],
    ["N ../x forward o_bbbbbbbbbbbb_fwd 12 hostnet:s:s/a/x", 0],
    ["N - forward o_bbbbbbbbbbbb_fwd; 12 hostnet:s:s/a/x", 0],
    ["N - input o_bbbbbbbbbbbb_fwd 12 hostnet:s:s/a/x", 0],
    ["N - forward o_bbbbbbbbbbbb_fwd 1x hostnet:s:s/a/x", 0],
  ])("scan line %j gives %i orphan(s): anything but a plain chain, handle and namespace name is ignored", (line, n) => {
    expect(findOrphans(line, { ids: new Set(), tags: new Set(["hostnet:s:s/a/masq"]) })).toHaveLength(n);
  });
});
