/**
 * The nftables backend's create, destroy and drift probe on real nft in a
 * throwaway network namespace (`unshare -nm`, /run/hostnet and /run/netns on
 * fresh tmpfs, so nothing of the machine is read or touched), with every nft
 * process logged: the number of nft processes is the cost of a NAT object
 * (README "Speed"), and the table must come out exactly as it went in.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkNftNat, renderNftNat } from "../../src/render/nft";
import { createScript, destroyScript } from "../../src/render/script";
import { NatSpec, ObjectRef } from "../../src/render/types";
import { findTool, inScratchNetns, writeShims } from "../support/scratch-netns";

const masq: NatSpec = { type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: true };
const fwd: NatSpec = { type: "dnat", protocol: "tcp", hostPort: 8080, toAddress: "10.0.0.2", toPort: 80, fromHost: true, allowForward: true };
const ref = (name: string, id: string): ObjectRef => ({ stack: "s", path: `s/a/${name}`, id, tag: `hostnet:s:s/a/${name}` });
const MASQ = ref("masq", "aaaaaaaaaaaa");
const FWD = ref("fwd", "bbbbbbbbbbbb");
const fip: NatSpec = { type: "static", inside: "10.0.0.5", outside: "192.0.2.5", insideSubnet: "10.0.0.0/24", allowForward: false };
const FIP = ref("fip", "dddddddddddd");
const snat: NatSpec = { type: "snat", source: "10.0.0.6/32", toSource: "192.0.2.6", allowForward: false };
const SNAT = ref("snat", "eeeeeeeeeeee");
const header = (r: ObjectRef) => ({ kind: "nat", name: r.path });
const create = (spec: NatSpec, r: ObjectRef) => createScript(renderNftNat(spec, r), r, header(r));
const destroy = (spec: NatSpec, r: ObjectRef) => destroyScript(renderNftNat(spec, r), r, header(r));
const probe = (spec: NatSpec, r: ObjectRef) => ["set -eu", ...checkNftNat(spec, r)].join("\n");

let dir: string;
let bin: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-nft-"));
  bin = writeShims(path.join(dir, "bin"), { nft: findTool("/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft") });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The chains a listed base chain jumps to, in order. */
const jumps = (out: string) =>
  out
    .split("\n")
    .filter((l) => l.trim().startsWith("jump "))
    .map((l) => l.trim().split(" ")[1]);

/** The steps in one scratch namespace; each step's nft processes and output. */
function inScratch(steps: string[]) {
  const r = inScratchNetns(dir, bin, steps);
  return { ...r, steps: r.steps.map((s) => ({ nft: s.log, out: s.out })) };
}

describe("nftables NAT objects on real nft", () => {
  test("a create is one nft process; run again it lists the table once and leaves one jump per chain; a destroy lists once and applies once", () => {
    const r = inScratch([
      create(masq, MASQ),
      create(fwd, FWD),
      create(fwd, FWD),
      "nft -a list table inet hostnet_s",
      destroy(fwd, FWD),
      "nft list ruleset",
      destroy(masq, MASQ),
      "nft list ruleset",
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const [first, second, again, listed, down, left, last, empty] = r.steps;
    // The old scripts listed each of the four base chains before the transaction: 5 processes.
    expect(first.nft).toEqual(["nft -f -"]);
    expect(second.nft).toEqual(["nft -f -"]);
    // Run again: the fresh transaction fails on the existing chains, then one listing and one transaction.
    expect(again.nft.sort()).toEqual(["nft -a list table inet hostnet_s", "nft -f -", "nft -f -"]);
    for (const h of ["pre", "out", "fwd"]) expect(listed.out.split(`jump o_bbbbbbbbbbbb_${h} `)).toHaveLength(2);
    expect(listed.out.match(/ip daddr 10\.0\.0\.2 tcp dport 80 accept/g)).toHaveLength(1);
    // The old destroy listed the table twice and each base chain once before its transaction: 7 processes.
    expect(down.nft.sort()).toEqual(["nft -a list table inet hostnet_s", "nft -f -"]);
    expect(left.out).toContain("chain o_aaaaaaaaaaaa_post");
    expect(left.out).toContain("jump o_aaaaaaaaaaaa_fwd");
    expect(left.out).not.toContain("bbbbbbbbbbbb");
    expect(last.nft.sort()).toEqual(["nft -a list table inet hostnet_s", "nft -f -"]);
    expect(empty.out).toBe("");
  });

  test("a 1:1 NAT made after the masquerade of its subnet: its jump is first in postrouting, created fresh or again", () => {
    const r = inScratch([
      create(masq, MASQ),
      create(fip, FIP),
      "nft list chain inet hostnet_s postrouting",
      create(fip, FIP),
      "nft list chain inet hostnet_s postrouting",
      `${probe(masq, MASQ)}\n${probe(fip, FIP)}`,
      "nft list table inet hostnet_s",
      destroy(fip, FIP),
      destroy(masq, MASQ),
      "nft list ruleset",
    ]);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    const [, , fresh, , again, probed, listed, , , empty] = r.steps;
    // Added at the end, the jump came after the masquerade's, which took the address's connections.
    expect(jumps(fresh.out)).toEqual(["o_dddddddddddd_post", "o_aaaaaaaaaaaa_post"]);
    expect(jumps(again.out)).toEqual(["o_dddddddddddd_post", "o_aaaaaaaaaaaa_post"]);
    expect(empty.out.trim()).toBe("");
    // Its SNAT leaves the inside subnet alone, and the drift probe reads the rule as nft lists it back.
    expect(probed.out).toBe("");
    expect(listed.out).toContain("ip saddr 10.0.0.5 ip daddr != 10.0.0.0/24 snat ip to 192.0.2.5");
  });

  test("an SNAT of one address made after the masquerade of its subnet: its jump is first in postrouting", () => {
    const r = inScratch([
      create(masq, MASQ),
      create(snat, SNAT),
      "nft list chain inet hostnet_s postrouting",
      destroy(snat, SNAT),
      destroy(masq, MASQ),
    ]);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    // Added at the end, the jump came after the masquerade's, which took the address's connections.
    expect(jumps(r.steps[2].out)).toEqual(["o_eeeeeeeeeeee_post", "o_aaaaaaaaaaaa_post"]);
  });

  test("a destroy where the table is gone, or nft's listing is empty, does nothing and succeeds", () => {
    const r = inScratch([destroy(fwd, FWD), "nft list ruleset"]);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    expect(r.steps[0].nft.sort()).toEqual(["nft -a list table inet hostnet_s", "nft -f -"]);
    expect(r.steps[1].out).toBe("");
  });

  test("the drift probe lists the table once for every object, and names a deleted rule, a deleted jump, a missing table", () => {
    const both = `${probe(masq, MASQ)}\n${probe(fwd, FWD)}`;
    const r = inScratch([
      create(masq, MASQ),
      create(fwd, FWD),
      both,
      "nft -a list chain inet hostnet_s o_bbbbbbbbbbbb_fwd | awk '/tcp dport 80 accept/ { print $NF }' | xargs nft delete rule inet hostnet_s o_bbbbbbbbbbbb_fwd handle",
      "nft -a list chain inet hostnet_s postrouting | awk '/jump o_aaaaaaaaaaaa_post/ { print $NF }' | xargs nft delete rule inet hostnet_s postrouting handle",
      both,
      "nft delete table inet hostnet_s",
      both,
    ]);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    const [, , clean, , , drifted, , gone] = r.steps;
    expect(clean).toEqual({ nft: ["nft list table inet hostnet_s"], out: "" });
    expect(drifted.nft).toEqual(["nft list table inet hostnet_s"]);
    expect(drifted.out.split("\n").filter(Boolean)).toEqual([
      "nft jump from inet hostnet_s postrouting to o_aaaaaaaaaaaa_post is missing",
      "nft rule missing: o_bbbbbbbbbbbb_fwd: ip daddr 10.0.0.2 tcp dport 80 accept",
    ]);
    expect(gone.out.split("\n").filter(Boolean)).toEqual(["nftables table inet hostnet_s is missing", "nftables table inet hostnet_s is missing"]);
  });
});
