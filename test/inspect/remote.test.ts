import { inspectRef } from "../../src/inspect/remote";
import { INSPECT_SCRIPT } from "../../src/inspect/probe";
import { sshEnvironment } from "../../src/transport/ssh";
import { syntaxErrors } from "../support/fake-host";

describe("inspectRef: hostnet inspect reaches a host through the hooks' transport", () => {
  test("address, port and the same environment a Host's hooks get (pinning, identity, jump host, trust)", () => {
    const t = {
      address: "198.18.0.10",
      port: 2222,
      user: "root",
      identityFile: "/lab/id",
      knownHostsFile: "/lab/known_hosts",
      jump: { address: "198.18.0.11", port: 22, user: "root" },
    };
    const ref = inspectRef(t);
    expect(ref).toEqual({ address: "198.18.0.10", port: 2222, environment: sshEnvironment(t) });
    expect(ref.environment).toMatchObject({ HN_STRICT: "yes", HN_KNOWN_HOSTS: "/lab/known_hosts", HN_IDENTITY: "/lab/id" });
    expect(ref.environment.HN_PROXY).toContain("198.18.0.11");
    // Inspect only reads: no hook lock.
    expect(ref.environment).not.toHaveProperty("HN_STACK");
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
