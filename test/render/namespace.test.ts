import { renderNamespace } from "../../src/render/namespace";
import { createScript, destroyScript } from "../../src/render/script";
import { ObjectRef } from "../../src/render/types";
import { FakeHost, syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "s", path: "s/a/web", id: "0123456789ab", tag: "hostnet:s:s/a/web" };
const header = { kind: "netns", name: "web" };

describe("renderNamespace", () => {
  test("create adds the namespace unless it exists, then brings lo up", () => {
    expect(renderNamespace({ name: "web", killProcesses: false }).create).toEqual([
      "if [ -e /run/netns/web ]; then",
      `  [ "$hn_own" = 1 ] || hn_fail 'namespace web already exists and hostnet did not create it for this object; remove it (ip netns del web) or choose another name'`,
      "else",
      "  ip netns add web",
      "fi",
      "ip -n web link set dev lo up",
    ]);
  });

  test("destroy deletes the namespace only when it is present", () => {
    expect(renderNamespace({ name: "web", killProcesses: false }).destroy).toEqual(["if [ -e /run/netns/web ]; then", "  ip netns del web", "fi"]);
  });

  test("destroy with killProcesses stops what runs inside before deleting", () => {
    expect(renderNamespace({ name: "web", killProcesses: true }).destroy).toEqual([
      "if [ -e /run/netns/web ]; then",
      `  p=; for hn_p in /proc/[0-9]*; do [ ! "$hn_p/ns/net" -ef /run/netns/web ] || p="$p \${hn_p#/proc/}"; done`,
      `  if [ -n "$p" ]; then kill $p 2>/dev/null || true; sleep 1; p=; for hn_p in /proc/[0-9]*; do [ ! "$hn_p/ns/net" -ef /run/netns/web ] || ` +
        `p="$p \${hn_p#/proc/}"; done; [ -z "$p" ] || kill -9 $p 2>/dev/null || true; fi`,
      "  ip netns del web",
      "fi",
    ]);
  });

  test("a name with dots and dashes is used as is", () => {
    const { create } = renderNamespace({ name: "web-1.blue", killProcesses: false });
    expect(create[0]).toBe("if [ -e /run/netns/web-1.blue ]; then");
    expect(create[3]).toBe("  ip netns add web-1.blue");
  });

  test.each([true, false])("scripts parse with sh -n and bash -n (killProcesses %p)", (kill) => {
    const hooks = renderNamespace({ name: "web", killProcesses: kill });
    for (const s of [createScript(hooks, ref, header), destroyScript(hooks, ref, header)]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });
});

describe("namespace hooks on a fake host", () => {
  let host: FakeHost;
  beforeEach(() => (host = new FakeHost()));
  afterEach(() => host.dispose());
  const hooks = renderNamespace({ name: "web", killProcesses: true });

  test("create adds the namespace and records the destroy script in the ledger", () => {
    const r = host.run(createScript(hooks, ref, header));
    expect(r).toMatchObject({ status: 0, stderr: "" });
    expect(host.hasNetns("web")).toBe(true);
    expect(host.ledger("s/0123456789ab.down")).toBe(`${host.localize(destroyScript(hooks, ref, header))}\n`);
  });

  test("create refuses a namespace hostnet did not create and withdraws its ledger entry", () => {
    host.addNetns("web");
    const r = host.run(createScript(hooks, ref, header));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "hostnet: s/a/web: namespace web already exists and hostnet did not create it for this object; remove it (ip netns del web) or choose another name\n",
    );
    expect(host.ledgerFiles("s")).toEqual([]);
    expect(host.log()).toEqual([]);
  });

  test("create run again after success changes nothing and succeeds", () => {
    expect(host.run(createScript(hooks, ref, header)).status).toBe(0);
    host.clearLog();
    expect(host.run(createScript(hooks, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect(host.log()).toEqual(["ip -n web link set dev lo up"]);
  });

  test("destroy succeeds when the namespace was already deleted by hand", () => {
    expect(host.run(createScript(hooks, ref, header)).status).toBe(0);
    host.deleteNetns("web");
    host.clearLog();
    expect(host.run(destroyScript(hooks, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect(host.log()).toEqual([]);
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("destroy deletes the namespace and its ledger entry", () => {
    expect(host.run(createScript(hooks, ref, header)).status).toBe(0);
    expect(host.run(destroyScript(hooks, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect(host.hasNetns("web")).toBe(false);
    expect(host.ledgerFiles("s")).toEqual([]);
  });
});
