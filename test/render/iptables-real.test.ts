/**
 * The iptables backend's create and destroy on real iptables (the nf_tables
 * and the legacy one) in a throwaway network namespace (`unshare -nm`,
 * /run/hostnet on a fresh tmpfs, so nothing of the machine is read or
 * touched), with every iptables tool's process logged: a fresh create is one
 * iptables-save and one iptables-restore, a destroy likewise, and the tables
 * come out exactly as they went in.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderNat } from "../../src/render/nat";
import { createScript, destroyScript } from "../../src/render/script";
import { NatSpec, ObjectRef } from "../../src/render/types";
import { findTool, inScratchNetns, ScratchRun, writeShims } from "../support/scratch-netns";

const masq: NatSpec = { type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: true };
const fwd: NatSpec = {
  type: "dnat",
  protocol: "tcp",
  hostPort: 8080,
  toAddress: "10.0.0.2",
  toPort: 80,
  fromHost: true,
  allowForward: true,
  hairpinSource: "10.0.0.0/24",
};
const masq6: NatSpec = { type: "masquerade", source: "fd00:88::/64", allowForward: true, family: 6 };
const ref = (name: string, id: string): ObjectRef => ({ stack: "s", path: `s/a/${name}`, id, tag: `hostnet:s:s/a/${name}` });
const MASQ = ref("masq", "aaaaaaaaaaaa");
const FWD = ref("fwd", "bbbbbbbbbbbb");
const MASQ6 = ref("masq6", "cccccccccccc");
const fip: NatSpec = { type: "static", inside: "10.0.0.5", outside: "192.0.2.5", insideSubnet: "10.0.0.0/24", allowForward: false };
const FIP = ref("fip", "dddddddddddd");
const snat: NatSpec = { type: "snat", source: "10.0.0.6/32", toSource: "192.0.2.6", allowForward: false };
const SNAT = ref("snat", "eeeeeeeeeeee");
const header = (r: ObjectRef) => ({ kind: "nat", name: r.path });
const create = (spec: NatSpec, r: ObjectRef) => createScript(renderNat(spec, r), r, header(r));
const destroy = (spec: NatSpec, r: ObjectRef) => destroyScript(renderNat(spec, r), r, header(r));
const TOOLS = ["iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"];
const SAVE = "iptables-save; ip6tables-save";

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-ipt-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Shims that log each iptables tool's words, then run the real one of the backend (`iptables-nft` or
 * `iptables-legacy` and their tools). With HN_SAVE_FAILS set, the -save tools fail (a host where
 * iptables-save is missing or broken).
 */
function shims(backend: "nft" | "legacy"): string {
  const real = (t: string) => {
    const [family, ...rest] = t.split("-");
    const name = [`${family}-${backend}`, ...rest].join("-");
    return findTool(`/usr/sbin/${name}`, `/sbin/${name}`);
  };
  return writeShims(path.join(dir, `bin-${backend}`), Object.fromEntries(TOOLS.map((t) => [t, real(t)])), (t) =>
    t.endsWith("-save") ? `[ -z "$HN_SAVE_FAILS" ] || exit 1\n` : "",
  );
}

/** The steps in one scratch namespace; each step's iptables processes and output. */
function inScratch(backend: "nft" | "legacy", steps: string[]): ScratchRun {
  return inScratchNetns(dir, shims(backend), steps);
}

/** iptables-save output without its comment lines and counters. */
const rulesOf = (out: string) =>
  out
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ""));

describe.each(["nft", "legacy"] as const)("NAT objects on real iptables (%s)", (backend) => {
  // iptables-nft removes a table hostnet made with its last rule; iptables-legacy cannot unload one from a
  // namespace and keeps it listed, empty (src/render/nat.ts removeTableIfEmpty): there the rules are compared.
  const asBefore = (out: string) => rulesOf(out).filter((l) => backend === "nft" || l.startsWith("-A "));
  test("a fresh create is one iptables-save and one iptables-restore; run again it appends nothing; destroy leaves the tables as they were", () => {
    const r = inScratch(backend, [
      SAVE,
      create(masq, MASQ),
      create(fwd, FWD),
      create(fwd, FWD),
      "iptables-save -t nat; iptables-save -t filter",
      destroy(fwd, FWD),
      "iptables-save",
      destroy(masq, MASQ),
      SAVE,
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const [before, first, second, again, listed, down, left, last, after] = r.steps;
    // The old create checked and appended rule by rule: 2 processes per rule (masquerade 3 rules, port forward 5), and an iptables-save per table.
    expect(first.log.map((l) => l.split(" ")[0])).toEqual(["iptables-save", "iptables-restore"]);
    expect(second.log.map((l) => l.split(" ")[0])).toEqual(["iptables-save", "iptables-restore"]);
    // Run again: its rules are there, so it checks each one (and appends none).
    expect(again.log.filter((l) => / -A /.test(l))).toEqual([]);
    expect(again.log.filter((l) => l.startsWith("iptables-restore"))).toEqual([]);
    const rules = rulesOf(listed.out).filter((l) => l.startsWith("-A "));
    expect(rules.filter((l) => l.includes('"hostnet:s:s/a/fwd"'))).toHaveLength(5);
    expect(rules.filter((l) => l.includes('"hostnet:s:s/a/masq"'))).toHaveLength(3);
    expect(new Set(rules).size).toBe(rules.length);
    // The old destroy checked, deleted and checked again, rule by rule: 3 processes per rule. Here the tables
    // are ones hostnet made (the namespace had none), so each is read once more to see whether it is empty.
    expect(down.log.map((l) => l.trim())).toEqual([
      "iptables-save",
      "iptables-restore -w --noflush",
      "iptables-save -t nat",
      "iptables-save -t filter",
    ]);
    expect(left.out).not.toContain("hostnet:s:s/a/fwd");
    expect(rulesOf(left.out).filter((l) => l.includes('"hostnet:s:s/a/masq"'))).toHaveLength(3);
    expect(last.log.filter((l) => l.startsWith("iptables-restore -w --noflush"))).toHaveLength(1);
    expect(asBefore(after.out)).toEqual(asBefore(before.out));
  });

  test("a 1:1 NAT made after the masquerade of its subnet: its SNAT is first in POSTROUTING, created fresh or rule by rule", () => {
    const postrouting = (out: string) => rulesOf(out).filter((l) => l.startsWith("-A POSTROUTING"));
    const r = inScratch(backend, [
      create(masq, MASQ),
      create(fip, FIP),
      "iptables-save -t nat",
      `iptables -w -t nat -D POSTROUTING -s 10.0.0.5/32 ! -d 10.0.0.0/24 -j SNAT --to-source 192.0.2.5 -m comment --comment hostnet:s:s/a/fip`,
      create(fip, FIP),
      "iptables-save -t nat",
      destroy(fip, FIP),
      destroy(masq, MASQ),
    ]);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    const [, , fresh, , , again] = r.steps;
    // Appended, the SNAT came after the masquerade, which took the address's connections: they left as the host's address.
    for (const out of [fresh.out, again.out]) {
      expect(postrouting(out)[0]).toContain("-s 10.0.0.5/32 ! -d 10.0.0.0/24");
      expect(postrouting(out)[0]).toContain("-j SNAT --to-source 192.0.2.5");
    }
    expect(postrouting(again.out)).toHaveLength(2);
  });

  test("an SNAT of one address made after the masquerade of its subnet: its rule is first in POSTROUTING", () => {
    const postrouting = (out: string) => rulesOf(out).filter((l) => l.startsWith("-A POSTROUTING"));
    const r = inScratch(backend, [create(masq, MASQ), create(snat, SNAT), "iptables-save -t nat", destroy(snat, SNAT), destroy(masq, MASQ)]);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    // Appended, it came after the masquerade, which took the address's connections: they left as the host's address.
    expect(postrouting(r.steps[2].out)[0]).toMatch(/^-A POSTROUTING -s 10.0.0.6\/32 .*-j SNAT --to-source 192.0.2.6$/);
    expect(postrouting(r.steps[2].out)).toHaveLength(2);
  });

  test("a rule deleted by hand: the create run again puts back only that one; the destroy takes the rest", () => {
    const r = inScratch(backend, [
      create(fwd, FWD),
      "iptables -w -t filter -D FORWARD -p tcp -d 10.0.0.2 --dport 80 -m comment --comment hostnet:s:s/a/fwd -j ACCEPT",
      create(fwd, FWD),
      "iptables-save",
      destroy(fwd, FWD),
      "iptables-save",
    ]);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    const [, , again, listed, , after] = r.steps;
    expect(again.log.filter((l) => / -A /.test(l))).toEqual([
      "iptables -w -t filter -A FORWARD -p tcp -d 10.0.0.2 --dport 80 -j ACCEPT -m comment --comment hostnet:s:s/a/fwd",
    ]);
    expect(rulesOf(listed.out).filter((l) => l.includes("hostnet:s:s/a/fwd"))).toHaveLength(5);
    expect(after.out).not.toContain("hostnet");
  });

  test("a destroy where the rules are gone does nothing and succeeds; NAT66 goes through ip6tables the same way", () => {
    const r = inScratch(backend, [destroy(masq, MASQ), SAVE, create(masq6, MASQ6), "ip6tables-save", destroy(masq6, MASQ6), SAVE]);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    const [gone, before, up, listed, down, after] = r.steps;
    expect(gone.log.map((l) => l.split(" ")[0])).toEqual(["iptables-save"]);
    expect(up.log.map((l) => l.split(" ")[0])).toEqual(["ip6tables-save", "ip6tables-restore"]);
    expect(rulesOf(listed.out).filter((l) => l.includes("hostnet:s:s/a/masq6"))).toHaveLength(3);
    expect(down.log.filter((l) => l.startsWith("ip6tables-restore -w --noflush"))).toHaveLength(1);
    expect(asBefore(after.out)).toEqual(asBefore(before.out));
  });

  test("without iptables-save output the create and the destroy go rule by rule, and a table is never replaced on a listing it did not get", () => {
    const r = inScratch(backend, [
      create(masq, MASQ),
      `export HN_SAVE_FAILS=1\n${create(fwd, FWD)}`,
      "iptables-save",
      `export HN_SAVE_FAILS=1\n${destroy(masq, MASQ)}`,
      "iptables-save",
    ]);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    const [, up, listed, down, after] = r.steps;
    expect(up.log.filter((l) => l.startsWith("iptables -w -t ")).length).toBe(10);
    expect(rulesOf(listed.out).filter((l) => l.includes("hostnet:s:s/a/fwd"))).toHaveLength(5);
    expect(down.log.filter((l) => / -D /.test(l))).toHaveLength(3);
    expect(after.out).not.toContain("hostnet:s:s/a/masq");
    expect(rulesOf(after.out).filter((l) => l.includes("hostnet:s:s/a/fwd"))).toHaveLength(5);
  });

  test("one object's destroy beside another's create in the same tables (hooks run in parallel) loses none of the create's rules", () => {
    // The destroy of the last rules of a table hostnet made replaces the table with an empty one; a create
    // that added its rules between that destroy's check and the replacement lost them (20 of 60 rounds).
    const files = { masqUp: create(masq, MASQ), masqDown: destroy(masq, MASQ), fwdUp: create(fwd, FWD), fwdDown: destroy(fwd, FWD) };
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, `${backend}-${name}.sh`), text);
    const f = (name: keyof typeof files) => path.join(dir, `${backend}-${name}.sh`);
    const rounds = [
      "for i in $(seq 25); do",
      `  sh ${f("masqUp")} >/dev/null`,
      `  sh ${f("masqDown")} >/dev/null & sh ${f("fwdUp")} >/dev/null & wait`,
      "  iptables-save | grep -c 'hostnet:s:s/a/fwd'",
      `  sh ${f("fwdDown")} >/dev/null`,
      "done",
    ].join("\n");
    const r = inScratch(backend, [rounds, SAVE]);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    expect(r.steps[0].out.split("\n").filter(Boolean)).toEqual(Array(25).fill("5"));
    expect(r.steps[1].out).not.toContain("hostnet");
  });
});
