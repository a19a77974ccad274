import * as fs from "fs";
import { renderBridge } from "../../src/render/bridge";
import { renderNamespace } from "../../src/render/namespace";
import { renderNat } from "../../src/render/nat";
import { renderRoute } from "../../src/render/route";
import { shq } from "../../src/render/quote";
import { createScript, destroyScript } from "../../src/render/script";
import { renderSysctl } from "../../src/render/sysctl";
import { Hooks, ObjectRef } from "../../src/render/types";
import { renderVeth } from "../../src/render/veth";
import { FakeHost, syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "s", path: "s/a/thing", id: "0123456789ab", tag: "hostnet:s:s/a/thing" };
const header = { kind: "thing", name: "t0" };
const hooks: Hooks = { create: ["echo create-1", "echo create-2"], destroy: ["echo destroy-1"] };

describe("destroyScript", () => {
  test("is the header, set -eu, the destroy lines and the removal of its own ledger entry", () => {
    expect(destroyScript(hooks, ref, header)).toBe(
      ["# hostnet destroy thing t0 (s/a/thing)", "set -eu", "echo destroy-1", "rm -f /run/hostnet/s/0123456789ab.down"].join("\n"),
    );
  });

  test("a header with newlines stays one comment line", () => {
    const s = destroyScript(hooks, { ...ref, path: "s/a/x\nrm -rf /" }, { kind: "k\nexit 1", name: "n\r" });
    expect(s.split("\n")[0]).toBe("# hostnet destroy k?exit 1 n? (s/a/x?rm -rf /)");
  });
});

describe("createScript", () => {
  const script = createScript(hooks, ref, header);
  const lines = script.split("\n");

  test("exact structure: header, helpers, ledger write, then the create lines", () => {
    expect(lines).toEqual([
      "# hostnet create thing t0 (s/a/thing)",
      "set -eu",
      "hn_own=0; [ -f /run/hostnet/s/0123456789ab.down ] && hn_own=1",
      `hn_fail() { [ "$hn_own" = 1 ] || rm -f /run/hostnet/s/0123456789ab.down; echo "hostnet: s/a/thing: $*" >&2; exit 1; }`,
      `hn_undo() { if [ -f /run/hostnet/s/0123456789ab.down ]; then echo 'hostnet: s/a/thing: create failed; undoing what it made' >&2; sh ` +
        `/run/hostnet/s/0123456789ab.down || echo 'hostnet: undoing failed; the entry /run/hostnet/s/0123456789ab.down stays for the next ` +
        `deploy or hostnet gc' >&2; fi; exit "$1"; }`,
      "[ -d /run/hostnet/s ] || mkdir -p /run/hostnet/s",
      "printf '%s\\n' '# hostnet destroy thing t0 (s/a/thing)",
      "set -eu",
      "echo destroy-1",
      "rm -f /run/hostnet/s/0123456789ab.down' > /run/hostnet/s/0123456789ab.down.tmp || { rm -f /run/hostnet/s/0123456789ab.down.tmp || true; hn_fail " +
        "'cannot write the ledger entry /run/hostnet/s/0123456789ab.down (is /run/hostnet/s full or read-only?); nothing was changed'; }",
      "mv -f /run/hostnet/s/0123456789ab.down.tmp /run/hostnet/s/0123456789ab.down",
      "set +e; ( set -e",
      "echo create-1",
      "echo create-2",
      `); hn_rc=$?; set -e; [ "$hn_rc" = 0 ] || hn_undo "$hn_rc"`,
    ]);
  });

  test("holds the destroy script verbatim as one single-quoted word of the shell's own printf", () => {
    expect(script).toContain(`printf '%s\\n' ${shq(destroyScript(hooks, ref, header))} > /run/hostnet/s/0123456789ab.down.tmp || `);
  });

  test("writes the ledger before the first create line", () => {
    expect(lines.indexOf("mv -f /run/hostnet/s/0123456789ab.down.tmp /run/hostnet/s/0123456789ab.down")).toBeLessThan(lines.indexOf("echo create-1"));
  });

  test("a destroy script with quotes, a line equal to the old heredoc marker and $ reaches the ledger as it is", () => {
    const odd = { create: [], destroy: ["echo 'it''s' \"$HOME\" `x`", "HOSTNET_DOWN_SCRIPT", "echo \\ done"] };
    const host = new FakeHost();
    try {
      expect(host.run(createScript(odd, ref, header))).toMatchObject({ status: 0, stderr: "" });
      expect(host.ledger("s/0123456789ab.down")).toBe(`${host.localize(destroyScript(odd, ref, header))}\n`);
    } finally {
      host.dispose();
    }
  });

  test("hn_fail's message keeps only safe characters of the path", () => {
    const s = createScript(hooks, { ...ref, path: `s/a/$(id)"\`x\`` }, header);
    expect(s).toContain(`echo "hostnet: s/a/__id___x_: $*" >&2`);
  });
});

describe("every renderer's create and destroy scripts parse in sh and bash", () => {
  const cases: Array<[string, Hooks]> = [
    ["namespace", renderNamespace({ name: "web", killProcesses: true })],
    ["bridge", renderBridge({ name: "br0", netns: "web", mtu: 1500, addresses: ["10.0.0.1/24"] }, ref)],
    [
      "veth",
      renderVeth(
        { a: { name: "eth0", netns: "web", addresses: ["10.0.0.2/24"] }, b: { name: "ve-web", master: "br0", addresses: [] }, mtu: 1500 },
        ref,
      ),
    ],
    ["route", renderRoute({ netns: "web", destination: "default", via: "10.0.0.1", metric: 10 })],
    ["masquerade", renderNat({ type: "masquerade", source: "10.0.0.0/24", notOutInterface: "br0", allowForward: true }, ref)],
    [
      "dnat",
      renderNat({ type: "dnat", protocol: "tcp", hostPort: 8080, toAddress: "10.0.0.2", toPort: 80, fromHost: true, allowForward: true }, ref),
    ],
    ["sysctl", renderSysctl({ netns: "web", key: "net.ipv4.ip_forward", value: "1" }, ref)],
  ];
  test.each(cases)("%s", (_kind, h) => {
    for (const s of [createScript(h, ref, header), destroyScript(h, ref, header)]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });

  test("the syntax check itself catches a broken script", () => {
    expect(syntaxErrors("if true; then\n", "sh")).not.toBe("");
  });
});

describe("create script on a fake host", () => {
  let host: FakeHost;
  beforeEach(() => (host = new FakeHost()));
  afterEach(() => host.dispose());

  test("the ledger receives the destroy script byte for byte, expansions and backslashes included", () => {
    const tricky: Hooks = { create: [], destroy: [`x=$(echo "$HOME" | sed 's/\\\\/\\n/g'); echo \`date\` \${x:-none} '%s\\n' $$ \\$`] };
    expect(host.run(createScript(tricky, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect(host.ledger("s/0123456789ab.down")).toBe(`${host.localize(destroyScript(tricky, ref, header))}\n`);
  });

  test("hn_fail withdraws a ledger entry this run wrote and reports the path", () => {
    const r = host.run(createScript({ create: ["hn_fail something is in the way"], destroy: [] }, ref, header));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("hostnet: s/a/thing: something is in the way\n");
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("hn_fail after an earlier entry: the stored destroy script undoes this object's things, and the entry goes with it", () => {
    host.writeLedger("s/0123456789ab.down", "# earlier\n");
    const r = host.run(createScript({ create: ["hn_fail no"], destroy: ["echo undo-ran"] }, ref, header));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("undo-ran\n");
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("hn_fail after a fresh entry undoes nothing (the thing in the way is not this object's) and withdraws the entry", () => {
    const r = host.run(createScript({ create: ["hn_fail no"], destroy: ["echo undo-ran"] }, ref, header));
    expect(r).toMatchObject({ status: 1, stdout: "", stderr: "hostnet: s/a/thing: no\n" });
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("a failing create line stops the create lines (set -e), runs the stored destroy script, and leaves no ledger entry", () => {
    const r = host.run(createScript({ create: ["echo made", "false", "echo not-reached"], destroy: ["echo undo-ran"] }, ref, header));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("made\nundo-ran\n");
    expect(r.stderr).toBe("hostnet: s/a/thing: create failed; undoing what it made\n");
    expect(host.ledgerFiles("s")).toEqual([]);
  });

  test("the create's own exit status is kept (a command's 2 stays 2)", () => {
    expect(host.run(createScript({ create: ["sh -c 'exit 2'"], destroy: [] }, ref, header)).status).toBe(2);
  });

  test("when undoing fails too, the entry stays for the next deploy or gc, and the status is the create's", () => {
    const r = host.run(createScript({ create: ["false"], destroy: ["sh -c 'exit 3'"] }, ref, header));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("hostnet: undoing failed; the entry");
    expect(host.ledgerFiles("s")).toEqual(["0123456789ab.down"]);
  });

  test("a ledger entry that cannot be written (full or read-only) leaves no .tmp file and changes nothing", () => {
    // A directory in the way of the .tmp file makes the write fail, as a full /run does.
    fs.mkdirSync(host.ledgerPath("s/0123456789ab.down.tmp/x"), { recursive: true });
    const r = host.run(createScript({ create: ["echo not-reached"], destroy: [] }, ref, header));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      host.localize(
        "hostnet: s/a/thing: cannot write the ledger entry /run/hostnet/s/0123456789ab.down (is /run/hostnet/s full or read-only?); nothing was changed",
      ),
    );
    expect(host.ledgerFiles("s")).toEqual(["0123456789ab.down.tmp"]); // the directory put in the way, nothing else
  });
});
