import * as fs from "fs";
import * as path from "path";
import { checkHtb, htbFilters, htbHandle, renderHtb } from "../../src/render/bandwidth";
import { tc } from "../../src/render/common";
import { createScript, destroyScript } from "../../src/render/script";
import { HtbSpec, ObjectRef } from "../../src/render/types";
import { FakeHost, syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "s", path: "s/a/limit", id: "4e1a56789abc", tag: "hostnet:s:s/a/limit" };
const header = { kind: "bandwidth", name: "htb ve-srv" };
// 0x1000 + 0x4e1a % 0xe000
const H = "5e1a";

const spec: HtbSpec = {
  dev: "ve-srv",
  total: "30mbit",
  totalQuantum: 200000,
  defaultClass: 30,
  classes: [
    { id: 10, rate: "20mbit", ceil: "20mbit", quantum: 200000, match: { src: "10.0.0.3/32" } },
    { id: 11, rate: "5mbit", ceil: "10mbit", burst: "15k", quantum: 62500, match: { src: "10.0.0.0/24", dst: "10.0.0.2/32", dport: 80 } },
    { id: 30, rate: "5mbit", ceil: "5mbit", quantum: 62500 },
  ],
};

describe("htbHandle", () => {
  test.each([
    ["4e1a56789abc", "5e1a"],
    ["000000000000", "1000"],
    ["dfffffffffff", "efff"],
    ["e00000000000", "1000"],
    ["ffff00000000", "2fff"],
  ])("object id %s gives handle %s: never 1: and never 0", (id, handle) => {
    expect(htbHandle({ ...ref, id })).toBe(handle);
  });
});

describe("tc()", () => {
  test.each<[string | undefined, string]>([
    [undefined, "tc qdisc show dev eth0"],
    ["web", "tc -n web qdisc show dev eth0"],
    ["we b", "tc -n 'we b' qdisc show dev eth0"],
  ])("netns %s", (netns, line) => {
    expect(tc(netns, "qdisc", "show", "dev", "eth0")).toBe(line);
  });
});

describe("htbFilter", () => {
  test.each([
    [{ src: "10.0.0.3/32" }, "filter add dev d parent 1000: protocol ip prio 2 u32 match ip src 10.0.0.3/32 flowid 1000:10"],
    [{ dst: "10.0.0.0/24" }, "filter add dev d parent 1000: protocol ip prio 2 u32 match ip dst 10.0.0.0/24 flowid 1000:10"],
    // A port alone matches both families: the IPv6 twin sits at another priority (tc keeps one protocol per priority).
    [
      { dport: 443 },
      "filter add dev d parent 1000: protocol ip prio 2 u32 match ip dport 443 0xffff flowid 1000:10\n" +
        "filter add dev d parent 1000: protocol ipv6 prio 1002 u32 match ip6 dport 443 0xffff flowid 1000:10",
    ],
    [
      { dst: "fd00::2/128", dport: 80 },
      "filter add dev d parent 1000: protocol ipv6 prio 2 u32 match ip6 dst fd00::2/128 match ip6 dport 80 0xffff flowid 1000:10",
    ],
    [
      { src: "10.0.0.3/32", dst: "10.0.0.2/32", dport: 80 },
      "filter add dev d parent 1000: protocol ip prio 2 u32 match ip src 10.0.0.3/32 match ip dst 10.0.0.2/32 match ip dport 80 0xffff flowid 1000:10",
    ],
  ])("match %j", (match, words) => {
    expect(
      htbFilters("d", "1000", { id: 10, rate: "1mbit", ceil: "1mbit", quantum: 1514, match }, 2)
        .map((w) => w.join(" "))
        .join("\n"),
    ).toBe(words);
  });

  test("a class without a match has no filter", () => {
    expect(htbFilters("d", "1000", { id: 10, rate: "1mbit", ceil: "1mbit", quantum: 1514 }, 1)).toEqual([]);
    expect(htbFilters("d", "1000", { id: 10, rate: "1mbit", ceil: "1mbit", quantum: 1514, match: {} }, 1)).toEqual([]);
  });
});

describe("renderHtb", () => {
  test("root namespace: replace only our own or the kernel's default root qdisc, then qdisc, parent class, classes, filters", () => {
    expect(renderHtb(spec, ref)).toEqual({
      create: [
        `q=$(tc qdisc show dev ve-srv root 2>/dev/null) || hn_fail 'interface ve-srv does not exist in the root namespace; create it before its bandwidth limit'`,
        `case "$q" in`,
        `  'qdisc htb ${H}: '*) tc qdisc del dev ve-srv root ;;`,
        `  "qdisc "*" 0: root"*) ;;`,
        `  *) hn_fail 'interface ve-srv in the root namespace already has a root qdisc that hostnet did not add:' "$q" '; remove it (tc qdisc del dev ve-srv root) or shape another interface' ;;`,
        `esac`,
        `tc qdisc add dev ve-srv root handle ${H}: htb default 30`,
        `tc class add dev ve-srv parent ${H}: classid ${H}:1 htb rate 30mbit ceil 30mbit quantum 200000`,
        `tc class add dev ve-srv parent ${H}:1 classid ${H}:10 htb rate 20mbit ceil 20mbit quantum 200000`,
        `tc class add dev ve-srv parent ${H}:1 classid ${H}:11 htb rate 5mbit ceil 10mbit burst 15k quantum 62500`,
        `tc class add dev ve-srv parent ${H}:1 classid ${H}:30 htb rate 5mbit ceil 5mbit quantum 62500`,
        `tc filter add dev ve-srv parent ${H}: protocol ip prio 1 u32 match ip src 10.0.0.3/32 flowid ${H}:10`,
        `tc filter add dev ve-srv parent ${H}: protocol ip prio 2 u32 match ip src 10.0.0.0/24 match ip dst 10.0.0.2/32 match ip dport 80 0xffff flowid ${H}:11`,
      ],
      destroy: [`if tc qdisc show dev ve-srv root 2>/dev/null | grep -q '^qdisc htb ${H}: '; then`, `  tc qdisc del dev ve-srv root`, `fi`],
    });
  });

  test("in a namespace: tc -n everywhere; destroy does nothing when the namespace is gone; no default class means htb default 0", () => {
    const hooks = renderHtb({ ...spec, netns: "web", defaultClass: undefined, classes: [spec.classes[0]] }, ref);
    expect(hooks.create[0]).toBe(
      `q=$(tc -n web qdisc show dev ve-srv root 2>/dev/null) || hn_fail 'interface ve-srv does not exist in namespace web; create it before its bandwidth limit'`,
    );
    expect(hooks.create).toContain(`tc -n web qdisc add dev ve-srv root handle ${H}: htb default 0`);
    expect(hooks.destroy).toEqual([
      "if ! [ ! -e /run/netns/web ]; then",
      `  if tc -n web qdisc show dev ve-srv root 2>/dev/null | grep -q '^qdisc htb ${H}: '; then`,
      `    tc -n web qdisc del dev ve-srv root`,
      `  fi`,
      "fi",
    ]);
  });

  test.each([undefined, "web"])("scripts parse with sh -n and bash -n (netns %s)", (netns) => {
    const hooks = renderHtb({ ...spec, ...(netns ? { netns } : {}) }, ref);
    for (const s of [createScript(hooks, ref, header), destroyScript(hooks, ref, header)]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });
});

// A fake tc: qdisc/<ns>/<dev> holds the device's root qdisc line; a device without the file does not exist.
const FAKE_TC = String.raw`#!/bin/sh
echo "tc $*" >> "$HN_T/log"
ns=root
if [ "$1" = -n ]; then ns=$2; shift 2; fi
d="$HN_T/qdisc/$ns"
case "$1 $2" in
  "qdisc show") [ -f "$d/$4" ] || { echo "Cannot find device \"$4\"" >&2; exit 1; }; cat "$d/$4" ;;
  "qdisc del") printf 'qdisc noqueue 0: root refcnt 2 \n' > "$d/$4"; rm -f "$d/$4.classes" ;;
  "qdisc add") printf 'qdisc htb %s root refcnt 2 r2q 10 default 0x%s\n' "$7" "${"$"}{10}" > "$d/$4" ;;
  "class add") printf 'class htb %s parent %s rate x\n' "$8" "$6" >> "$d/$4.classes" ;;
  "class show") cat "$d/$4.classes" 2>/dev/null; true ;;
  "filter add") ;;
  *) echo "fake tc: unexpected: $*" >&2; exit 2 ;;
esac
`;

describe("checkHtb", () => {
  test("exact lines: the qdisc with our handle, then every class", () => {
    expect(checkHtb({ ...spec, netns: "web" }, ref)).toEqual([
      `if ! { [ -e /run/netns/web ] && tc -n web qdisc show dev ve-srv root 2>/dev/null | grep -q '^qdisc htb ${H}: '; }; then echo 'htb qdisc ${H}: is missing on ve-srv in namespace web'; else`,
      "  cls=$(tc -n web class show dev ve-srv 2>/dev/null)",
      `  case "$cls" in *'class htb ${H}:10 '*) ;; *) echo 'htb class ${H}:10 is missing on ve-srv' ;; esac`,
      `  case "$cls" in *'class htb ${H}:11 '*) ;; *) echo 'htb class ${H}:11 is missing on ve-srv' ;; esac`,
      `  case "$cls" in *'class htb ${H}:30 '*) ;; *) echo 'htb class ${H}:30 is missing on ve-srv' ;; esac`,
      "fi",
    ]);
    expect(syntaxErrors(checkHtb(spec, ref).join("\n"))).toBe("");
  });
});

describe("htb hooks on a fake host", () => {
  let host: FakeHost;
  const hooks = renderHtb(spec, ref);
  const create = createScript(hooks, ref, header);
  const destroy = destroyScript(hooks, ref, header);
  const qdisc = (line?: string) => {
    const d = path.join(host.dir, "qdisc", "root");
    fs.mkdirSync(d, { recursive: true });
    if (line === undefined) return fs.readFileSync(path.join(d, "ve-srv"), "utf8").trim();
    fs.writeFileSync(path.join(d, "ve-srv"), `${line}\n`);
    return line;
  };
  beforeEach(() => {
    host = new FakeHost();
    fs.writeFileSync(path.join(host.dir, "bin", "tc"), FAKE_TC, { mode: 0o755 });
  });
  afterEach(() => host.dispose());

  test("create replaces the kernel's default qdisc and adds three classes and two filters", () => {
    qdisc("qdisc noqueue 0: root refcnt 2 ");
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    expect(qdisc()).toBe(`qdisc htb ${H}: root refcnt 2 r2q 10 default 0x30`);
    expect(host.log().filter((l) => /^tc (class|filter) add/.test(l))).toHaveLength(6);
  });

  test("create run again deletes its own qdisc first and converges", () => {
    qdisc("qdisc noqueue 0: root refcnt 2 ");
    host.run(create);
    host.clearLog();
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    expect(host.log().slice(0, 3)).toEqual([
      "tc qdisc show dev ve-srv root",
      "tc qdisc del dev ve-srv root",
      `tc qdisc add dev ve-srv root handle ${H}: htb default 30`,
    ]);
  });

  test("create refuses a root qdisc someone else added and leaves it", () => {
    qdisc("qdisc htb 1: root refcnt 2 r2q 10 default 0x10");
    const r = host.run(create);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "hostnet: s/a/limit: interface ve-srv in the root namespace already has a root qdisc that hostnet did not add: qdisc htb 1: root",
    );
    expect(r.stderr).toContain("remove it (tc qdisc del dev ve-srv root) or shape another interface");
    expect(qdisc()).toBe("qdisc htb 1: root refcnt 2 r2q 10 default 0x10");
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("create fails naming the interface when it does not exist", () => {
    const r = host.run(create);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("interface ve-srv does not exist in the root namespace");
  });

  test("the drift check is silent after create and names what is missing", () => {
    const check = ["set -eu", ...checkHtb(spec, ref)].join("\n");
    qdisc("qdisc noqueue 0: root refcnt 2 ");
    expect(host.run(check)).toMatchObject({ status: 0, stdout: `htb qdisc ${H}: is missing on ve-srv in the root namespace\n` });
    host.run(create);
    expect(host.run(check)).toMatchObject({ status: 0, stdout: "" });
    const classes = path.join(host.dir, "qdisc", "root", "ve-srv.classes");
    fs.writeFileSync(
      classes,
      fs
        .readFileSync(classes, "utf8")
        .split("\n")
        .filter((l) => !l.includes(`${H}:11 `))
        .join("\n"),
    );
    expect(host.run(check)).toMatchObject({ status: 0, stdout: `htb class ${H}:11 is missing on ve-srv\n` });
  });

  test("destroy removes its own qdisc, leaves a foreign one, and succeeds when the interface is gone", () => {
    qdisc("qdisc noqueue 0: root refcnt 2 ");
    host.run(create);
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
    expect(qdisc()).toBe("qdisc noqueue 0: root refcnt 2");
    qdisc("qdisc htb 1: root refcnt 2");
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
    expect(qdisc()).toBe("qdisc htb 1: root refcnt 2");
    fs.rmSync(path.join(host.dir, "qdisc", "root", "ve-srv"));
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
  });
});
