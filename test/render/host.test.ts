import * as fs from "fs";
import { renderBridge } from "../../src/render/bridge";
import { renderHostCreate, renderHostDestroy } from "../../src/render/host";
import { renderPreflight } from "../../src/render/preflight";
import { createScript } from "../../src/render/script";
import { ObjectRef } from "../../src/render/types";
import { FakeHost, syntaxErrors } from "../support/fake-host";

describe("renderHostCreate", () => {
  test("exact structure: preflight over the commands, then the sweep over the ledger", () => {
    expect(
      renderHostCreate({ stack: "s", host: "a", keep: ["bbb", "aaa"], commands: ["ip", "iptables"], modules: ["bridge"], bridges: ["br0"] }).split(
        "\n",
      ),
    ).toEqual([
      "# hostnet preflight and sweep on host a (stack s)",
      "set -eu",
      ...renderPreflight({ host: "a", commands: ["ip", "iptables"], modules: ["bridge"], requireForwarding: false, bridges: ["br0"] }),
      "mkdir -p /run/hostnet/s",
      "rm -f /run/hostnet/s/*.down.tmp",
      "keep=' aaa bbb '",
      "for f in /run/hostnet/s/*.down; do",
      `  [ -e "$f" ] || continue`,
      "  id=${f##*/}; id=${id%.down}",
      `  case "$keep" in *" $id "*) ;; *) echo "hostnet: removing an object no longer in the stack: $(sed -n 1p "$f")"; sh "$f" ;; esac`,
      "done",
    ]);
  });

  test("keep is sorted, so the script does not change with declaration order", () => {
    const a = renderHostCreate({ stack: "s", host: "a", keep: ["b", "c", "a"], commands: ["ip"] });
    const b = renderHostCreate({ stack: "s", host: "a", keep: ["c", "a", "b"], commands: ["ip"] });
    expect(a).toBe(b);
  });

  test("a host id with a newline cannot add a line to the script", () => {
    const s = renderHostCreate({ stack: "s", host: "a\ntouch /tmp/pwned", keep: [], commands: ["ip"] });
    expect(s.split("\n")[0]).toBe("# hostnet preflight and sweep on host a?touch /tmp/pwned (stack s)");
    expect(renderHostDestroy({ stack: "s", host: "a\ntouch /tmp/pwned" }).split("\n")[0]).toBe(
      "# hostnet: last object of stack s gone from host a?touch /tmp/pwned",
    );
  });

  test.each([
    { stack: "s", host: "a", keep: ["0123456789ab"], commands: ["ip", "iptables", "sysctl"] },
    { stack: "lab-1", host: "b", keep: [], commands: [] },
  ])("parses with sh -n and bash -n (%j)", (spec) => {
    expect(syntaxErrors(renderHostCreate(spec), "sh")).toBe("");
    expect(syntaxErrors(renderHostCreate(spec), "bash")).toBe("");
  });
});

describe("renderHostDestroy", () => {
  test("once no object of the stack is left, removes the hook lock's files and the stack's ledger directory, and never fails", () => {
    expect(renderHostDestroy({ stack: "s", host: "a" })).toBe(
      [
        "# hostnet: last object of stack s gone from host a",
        "set -eu",
        "set -- /run/hostnet/s/*.down",
        'if [ ! -e "$1" ]; then',
        "  rm -f /run/hostnet/s/*.down.tmp /run/hostnet/s/.owner /run/hostnet/s/.active /run/hostnet/s/.lock",
        "  rmdir /run/hostnet/s 2>/dev/null || true",
        "fi",
      ].join("\n"),
    );
  });

  test("parses with sh -n", () => {
    expect(syntaxErrors(renderHostDestroy({ stack: "s", host: "a" }))).toBe("");
  });
});

describe("host hook on a fake host", () => {
  let host: FakeHost;
  beforeEach(() => (host = new FakeHost()));
  afterEach(() => host.dispose());

  const bridgeRef = (id: string, name: string): ObjectRef => ({ stack: "s", path: `s/a/${name}`, id, tag: `hostnet:s:s/a/${name}` });
  const addBridge = (id: string, name: string) => {
    const ref = bridgeRef(id, name);
    expect(host.run(createScript(renderBridge({ name, mtu: 1500, addresses: [] }, ref), ref, { kind: "bridge", name })).status).toBe(0);
  };

  test("preflight names the missing command and stops", () => {
    const r = host.run(renderHostCreate({ stack: "s", host: "a", keep: [], commands: ["sh", "hostnet-no-such-command"] }));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "hostnet: host a: command hostnet-no-such-command is missing; install it (iproute2 gives ip, tc and bridge; iptables gives iptables and ip6tables; " +
        "nftables gives nft; util-linux gives flock; procps gives sysctl; coreutils gives sha256sum) and deploy again.\n",
    );
  });

  test("the sweep runs the stored destroy script of every object no longer kept, and only those", () => {
    addBridge("aaaaaaaaaaaa", "br-keep");
    addBridge("bbbbbbbbbbbb", "br-gone");
    const r = host.run(renderHostCreate({ stack: "s", host: "a", keep: ["aaaaaaaaaaaa"], commands: ["sh", "sed"] }));
    expect(r).toMatchObject({ status: 0, stderr: "" });
    expect(r.stdout).toBe("hostnet: removing an object no longer in the stack: # hostnet destroy bridge br-gone (s/a/br-gone)\n");
    expect(host.link("br-gone")).toBeUndefined();
    expect(host.link("br-keep")).toBe("hostnet:s:s/a/br-keep");
    expect(host.ledgerFiles("s")).toEqual(["aaaaaaaaaaaa.down"]);
  });

  test("the sweep removes unfinished ledger entries (.down.tmp) without running them", () => {
    addBridge("aaaaaaaaaaaa", "br-keep");
    host.writeLedger("s/bbbbbbbbbbbb.down.tmp", "echo must-not-run\n");
    const r = host.run(renderHostCreate({ stack: "s", host: "a", keep: ["aaaaaaaaaaaa"], commands: ["sh"] }));
    expect(r).toMatchObject({ status: 0, stdout: "", stderr: "" });
    expect(host.ledgerFiles("s")).toEqual(["aaaaaaaaaaaa.down"]);
  });

  test("host destroy with only an unfinished entry left removes it and the directory", () => {
    host.writeLedger("s/bbbbbbbbbbbb.down.tmp", "# partial");
    expect(host.run(renderHostDestroy({ stack: "s", host: "a" })).status).toBe(0);
    expect(host.ledgerFiles("s")).toEqual([]);
    expect(fs.existsSync(host.ledgerPath("s"))).toBe(false);
  });

  test("an id that is a prefix of a kept id is still swept", () => {
    addBridge("abc", "br-short");
    const r = host.run(renderHostCreate({ stack: "s", host: "a", keep: ["abcd"], commands: ["sh"] }));
    expect(r.status).toBe(0);
    expect(host.link("br-short")).toBeUndefined();
  });

  test("an empty or missing ledger directory is fine", () => {
    expect(host.run(renderHostCreate({ stack: "s", host: "a", keep: [], commands: ["sh"] }))).toMatchObject({ status: 0, stdout: "", stderr: "" });
    expect(host.run(renderHostCreate({ stack: "s", host: "a", keep: [], commands: ["sh"] }))).toMatchObject({ status: 0, stdout: "", stderr: "" });
  });

  test("host destroy removes an empty ledger directory and leaves a non-empty one", () => {
    host.run(renderHostCreate({ stack: "s", host: "a", keep: [], commands: ["sh"] }));
    expect(host.run(renderHostDestroy({ stack: "s", host: "a" })).status).toBe(0);
    expect(host.ledgerFiles("s")).toEqual([]);
    addBridge("aaaaaaaaaaaa", "br0");
    expect(host.run(renderHostDestroy({ stack: "s", host: "a" })).status).toBe(0);
    expect(host.ledgerFiles("s")).toEqual(["aaaaaaaaaaaa.down"]);
  });

  test("host destroy keeps the hook lock while objects remain (the host hook replaced mid-apply) and removes it with the last one", () => {
    addBridge("aaaaaaaaaaaa", "br0");
    const lockFiles = () => host.ledgerFiles("s").filter((f) => f.startsWith("."));
    host.run("printf '1 2 x\\n' > /run/hostnet/s/.owner; : > /run/hostnet/s/.active; : > /run/hostnet/s/.lock");
    expect(lockFiles()).toEqual([".active", ".lock", ".owner"]);
    expect(host.run(renderHostDestroy({ stack: "s", host: "a" })).status).toBe(0);
    expect(lockFiles()).toEqual([".active", ".lock", ".owner"]);
    host.run("rm /run/hostnet/s/aaaaaaaaaaaa.down");
    expect(host.run(renderHostDestroy({ stack: "s", host: "a" })).status).toBe(0);
    expect(host.ledgerFiles("s")).toEqual([]);
  });
});
