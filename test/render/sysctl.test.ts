import * as path from "path";
import * as fs from "fs";
import { createScript, destroyScript } from "../../src/render/script";
import { renderSysctl } from "../../src/render/sysctl";
import { ObjectRef, SysctlSpec } from "../../src/render/types";
import { FakeHost, syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "s", path: "s/a/ip-forward", id: "0123456789ab", tag: "hostnet:s:s/a/ip-forward" };
const header = { kind: "sysctl", name: "net.ipv4.ip_forward=1" };
const PREV = "/run/hostnet/s/0123456789ab.prev";

describe("renderSysctl", () => {
  test("root namespace: save the old value once, set, restore on destroy", () => {
    expect(renderSysctl({ key: "net.ipv4.ip_forward", value: "1" }, ref)).toEqual({
      create: [
        `if [ ! -f ${PREV} ]; then v=$(sysctl -n net.ipv4.ip_forward); ` +
          `sysctl -a -r '^net\\.ipv4\\.conf\\.[^.]*\\.forwarding$' | awk -v v="$v" '$1 != "net.ipv4.conf.all.forwarding" && $3 != v' > ${PREV}-if || true; ` +
          `printf '%s\\n' "$v" > ${PREV}; fi`,
        "sysctl -q -w net.ipv4.ip_forward=1",
      ],
      destroy: [
        `if [ -f ${PREV} ]; then`,
        `  sysctl -q -w net.ipv4.ip_forward="$(cat ${PREV})"`,
        // Writing ip_forward wrote every interface's forwarding: their own values go back.
        `  [ ! -s ${PREV}-if ] || sysctl -e -q -p ${PREV}-if`,
        `  rm -f ${PREV}-if`,
        `  rm -f ${PREV}`,
        "else",
        `  printf '%s%s%s\\n' 'hostnet: warning: s/a/ip-forward: no saved value of net.ipv4.ip_forward to restore ` +
          `(${PREV} is gone: the ledger was removed or the host rebooted); net.ipv4.ip_forward stays at ' "$(sysctl -n ` +
          `net.ipv4.ip_forward)" '. Set it by hand if that is not what this host needs: sysctl -w net.ipv4.ip_forward=<value>' >&2`,
        "fi",
      ],
    });
  });

  test("namespace: runs through ip netns exec; destroy only drops the saved value when the namespace is gone", () => {
    expect(renderSysctl({ netns: "web", key: "net.ipv4.conf.all.forwarding", value: "1" }, ref)).toEqual({
      create: [
        `if [ ! -f ${PREV} ]; then v=$(ip netns exec web sysctl -n net.ipv4.conf.all.forwarding); ` +
          `ip netns exec web sysctl -a -r '^net\\.ipv4\\.conf\\.[^.]*\\.forwarding$' | ` +
          `awk -v v="$v" '$1 != "net.ipv4.conf.all.forwarding" && $3 != v' > ${PREV}-if || true; ` +
          `printf '%s\\n' "$v" > ${PREV}; fi`,
        "ip netns exec web sysctl -q -w net.ipv4.conf.all.forwarding=1",
      ],
      destroy: [
        "if ! [ ! -e /run/netns/web ]; then",
        `  if [ -f ${PREV} ]; then`,
        `    ip netns exec web sysctl -q -w net.ipv4.conf.all.forwarding="$(cat ${PREV})"`,
        `    [ ! -s ${PREV}-if ] || ip netns exec web sysctl -e -q -p ${PREV}-if`,
        `    rm -f ${PREV}-if`,
        `    rm -f ${PREV}`,
        "  else",
        `    printf '%s%s%s\\n' 'hostnet: warning: s/a/ip-forward: no saved value of net.ipv4.conf.all.forwarding in namespace web to ` +
          `restore (${PREV} is gone: the ledger was removed or the host rebooted); net.ipv4.conf.all.forwarding stays at ' "$(ip netns exec ` +
          `web sysctl -n net.ipv4.conf.all.forwarding)" '. Set it by hand if that is not what this host needs: sysctl -w ` +
          `net.ipv4.conf.all.forwarding=<value>' >&2`,
        "  fi",
        "else",
        `  rm -f ${PREV} ${PREV}-if`,
        "fi",
      ],
    });
  });

  test.each<SysctlSpec>([
    { key: "net.ipv4.ip_forward", value: "1" },
    { netns: "web", key: "net.ipv6.conf.all.disable_ipv6", value: "1" },
  ])("scripts parse with sh -n and bash -n (%j)", (spec) => {
    const hooks = renderSysctl(spec, ref);
    for (const s of [createScript(hooks, ref, header), destroyScript(hooks, ref, header)]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });
});

describe("sysctl hooks on a fake host", () => {
  let host: FakeHost;
  beforeEach(() => (host = new FakeHost()));
  afterEach(() => host.dispose());
  const hooks = renderSysctl({ key: "net.ipv4.ip_forward", value: "1" }, ref);
  const create = createScript(hooks, ref, header);
  const destroy = destroyScript(hooks, ref, header);

  test("create sets the value and destroy puts the old one back", () => {
    expect(host.run(create)).toMatchObject({ status: 0, stderr: "" });
    expect(host.sysctl("net.ipv4.ip_forward")).toBe("1");
    expect(host.ledger("s/0123456789ab.prev")).toBe("0\n");
    expect(host.run(destroy)).toMatchObject({ status: 0, stderr: "" });
    expect(host.sysctl("net.ipv4.ip_forward")).toBe("0");
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("a second create keeps the value saved by the first, so destroy restores the original", () => {
    host.run(create);
    host.run(create);
    expect(host.ledger("s/0123456789ab.prev")).toBe("0\n");
    host.run(destroy);
    expect(host.sysctl("net.ipv4.ip_forward")).toBe("0");
  });

  test("destroy in a namespace that is gone drops the saved value and succeeds", () => {
    const nsHooks = renderSysctl({ netns: "web", key: "net.ipv4.ip_forward", value: "1" }, ref);
    host.addNetns("web");
    expect(host.run(createScript(nsHooks, ref, header)).status).toBe(0);
    host.deleteNetns("web");
    host.clearLog();
    expect(host.run(destroyScript(nsHooks, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect(host.log()).toEqual([]);
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("destroy whose saved value is gone (ledger removed, host rebooted) warns on stderr naming the sysctl and the value it stays at, and succeeds", () => {
    host.run(create);
    fs.rmSync(host.ledgerPath("s"), { recursive: true });
    const r = host.run(destroy);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      host.localize(
        `hostnet: warning: s/a/ip-forward: no saved value of net.ipv4.ip_forward to restore ` +
          `(${PREV} is gone: the ledger was removed or the host rebooted); net.ipv4.ip_forward stays at 1. Set it by hand if that is not ` +
          `what this host needs: sysctl -w net.ipv4.ip_forward=<value>\n`,
      ),
    );
    expect(host.sysctl("net.ipv4.ip_forward")).toBe("1");
  });

  test.each([
    ["net.ipv6.conf.all.forwarding", "net.ipv6.conf"],
    ["net.ipv4.ip_forward", "net.ipv4.conf"],
  ])("%s: destroy puts back an interface that forwarded on its own (writing all wrote every interface)", (key, prefix) => {
    const fwd = renderSysctl({ key, value: "1" }, ref);
    host.setSysctl(key, "0");
    if (key !== "net.ipv4.ip_forward") host.setSysctl(`${prefix}.all.forwarding`, "0");
    host.setSysctl(`${prefix}.default.forwarding`, "0");
    host.setSysctl(`${prefix}.eth0.forwarding`, "0");
    host.setSysctl(`${prefix}.eth1.forwarding`, "1");
    host.setSysctl(`${prefix}.br-x.forwarding`, "1");
    expect(host.run(createScript(fwd, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect(host.sysctl(`${prefix}.eth0.forwarding`)).toBe("1");
    // Only the exceptions are kept: the entry does not depend on which other interfaces exist at that moment.
    expect(host.ledger("s/0123456789ab.prev-if")).toBe(`${prefix}.br-x.forwarding = 1\n${prefix}.eth1.forwarding = 1\n`);
    expect(host.run(destroyScript(fwd, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect([key, "default", "eth0", "eth1", "br-x"].map((k) => host.sysctl(k.includes(".") ? k : `${prefix}.${k}.forwarding`))).toEqual([
      "0",
      "0",
      "0",
      "1",
      "1",
    ]);
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("a key that cannot be read fails the create, leaves no saved value, and the undo leaves no ledger entry", () => {
    const bad = renderSysctl({ key: "net.ipv4.no_such_key", value: "1" }, ref);
    const fake = path.join(host.dir, "bin", "sysctl");
    fs.writeFileSync(fake, '#!/bin/sh\necho "sysctl: cannot stat /proc/sys/net/ipv4/no_such_key: No such file or directory" >&2; exit 255\n', {
      mode: 0o755,
    });
    const r = host.run(createScript(bad, ref, header));
    expect(r.status).toBe(255);
    expect(host.ledgerFiles("s")).toEqual([]);
  });
});
