import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readInspectTarget, sshProbeArgs } from "../../src/inspect/remote";
import { INSPECT_SCRIPT } from "../../src/inspect/probe";
import { syntaxErrors } from "../support/fake-host";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFLaLzjWwhzi4ie45/rm3ZfzUE67Q4iWjnkGxVtBj/Lw";
let dir: string;
const inv = (hosts: object) => {
  const f = path.join(dir, `inv-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, JSON.stringify({ hosts }));
  return f;
};
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-inspect-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("readInspectTarget", () => {
  test("a lab inventory host", () => {
    const f = inv({
      a: {
        name: "a",
        address: "198.18.0.10",
        port: 22,
        user: "root",
        identityFile: "/lab/id_ed25519",
        knownHostsFile: "/lab/known_hosts",
        hostKey: KEY,
        netns: "hnlab-lab-a",
      },
    });
    expect(readInspectTarget(f, "a")).toEqual({
      name: "a",
      address: "198.18.0.10",
      port: 22,
      user: "root",
      identityFile: "/lab/id_ed25519",
      knownHostsFile: "/lab/known_hosts",
      hostKey: KEY,
    });
  });

  test("a hand-written host with a pinned key only; port and user default", () => {
    expect(readInspectTarget(inv({ web1: { address: "web1.example.org", hostKey: ` ${KEY} ` } }), "web1")).toEqual({
      name: "web1",
      address: "web1.example.org",
      port: 22,
      user: "root",
      hostKey: KEY,
    });
  });

  test.each([
    [{ a: { address: "198.18.0.10", hostKey: KEY } }, "b", /has no host "b"; it has: a\.$/],
    [{ a: { address: "198.18.0.10" } }, "a", /host "a" in .*: no pinned host key; give the host a knownHostsFile or hostKey in the inventory\.$/],
    [{ a: { address: "-oProxyCommand=x", hostKey: KEY } }, "a", /host address "-oProxyCommand=x" is not a DNS name or IPv4 address/],
    [{ a: { address: "198.18.0.10", hostKey: KEY, identityFile: "-i/etc/shadow" } }, "a", /identity file path "-i\/etc\/shadow" may hold only/],
  ])("problems are user errors naming the file and the fix (%#)", (hosts, name, message) => {
    expect(() => readInspectTarget(inv(hosts), name)).toThrow(message);
  });

  test("a missing inventory says how to make one", () => {
    expect(() => readInspectTarget(path.join(dir, "nope.json"), "a")).toThrow(
      `no inventory at ${path.join(dir, "nope.json")}; start the lab with "hostnet lab up" or pass --inventory FILE.`,
    );
  });
});

describe("sshProbeArgs", () => {
  test("pins the host key, uses only the given identity, and runs sh -s (the probe goes on stdin)", () => {
    const t = { name: "a", address: "198.18.0.10", port: 2222, user: "root", identityFile: "/lab/id" };
    expect(sshProbeArgs(t, "/lab/known_hosts")).toEqual([
      "-F",
      "/dev/null",
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "UserKnownHostsFile=/lab/known_hosts",
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "ConnectTimeout=10",
      "-o",
      "LogLevel=ERROR",
      "-o",
      "IdentitiesOnly=yes",
      "-i",
      "/lab/id",
      "-p",
      "2222",
      "-l",
      "root",
      "--",
      "198.18.0.10",
      "sh",
      "-s",
    ]);
  });
});

describe("the probe script", () => {
  test.each(["sh", "bash"] as const)("parses with %s -n", (shell) => {
    expect(syntaxErrors(INSPECT_SCRIPT, shell)).toBe("");
  });

  test("only lists: no command that changes state", () => {
    // After the first line ("set -u", the shell option).
    const words = INSPECT_SCRIPT.split("\n")
      .slice(1)
      .join("\n")
      .split(/[\s;|()]+/);
    for (const w of ["add", "del", "delete", "set", "replace", "flush", "-A", "-D", "-I", "-F", "-w", "rm", "kill"]) expect(words).not.toContain(w);
  });
});
