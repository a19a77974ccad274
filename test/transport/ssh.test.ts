import { spawnSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { toSshTarget } from "../../src/transport/inventory";
import { HOOK_COMMAND, hostPort, proxyCommand, SshTarget, sshEnvironment } from "../../src/transport/ssh";
import { syntaxErrors, wordsSeenByShell } from "../support/fake-host";
import { hookEnv } from "../support/hook-env";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFLaLzjWwhzi4ie45/rm3ZfzUE67Q4iWjnkGxVtBj/Lw";
const base: SshTarget = { address: "198.18.0.10", port: 22, user: "root", identityFile: "/k/id", hostKey: KEY };

describe("sshEnvironment", () => {
  test("a pinned host key: strict checking, the key passed for the hook to write", () => {
    expect(sshEnvironment(base)).toEqual({
      HN_USER: "root",
      HN_IDENTITY: "/k/id",
      HN_KNOWN_HOSTS: "",
      HN_HOST_KEY: KEY,
      HN_STRICT: "yes",
      HN_PROXY: "",
      HN_TRUST: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  test("a known_hosts file without identity file", () => {
    expect(sshEnvironment({ address: "h", port: 2222, user: "deploy", knownHostsFile: "/k/known_hosts" })).toEqual({
      HN_USER: "deploy",
      HN_IDENTITY: "",
      HN_KNOWN_HOSTS: "/k/known_hosts",
      HN_HOST_KEY: "",
      HN_STRICT: "yes",
      HN_PROXY: "",
      HN_TRUST: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  test("insecureIgnoreHostKey drops any pin and turns strict checking off", () => {
    expect(sshEnvironment({ ...base, knownHostsFile: "/k/kh", insecureIgnoreHostKey: true })).toMatchObject({
      HN_KNOWN_HOSTS: "/dev/null",
      HN_HOST_KEY: "",
      HN_STRICT: "no",
    });
  });

  test("a jump host becomes a ProxyCommand", () => {
    const t: SshTarget = { ...base, knownHostsFile: "/k/kh", jump: { address: "jump.example.org", port: 2200, user: "hop" } };
    expect(sshEnvironment(t).HN_PROXY).toBe(proxyCommand(t));
  });
});

describe("proxyCommand", () => {
  test("pins the jump host against the same known_hosts and uses the same identity", () => {
    const t: SshTarget = { ...base, knownHostsFile: "/k/kh", jump: { address: "jump.example.org", port: 2200, user: "hop" } };
    expect(proxyCommand(t)).toBe(
      "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/k/kh -o ConnectTimeout=10 -o IdentitiesOnly=yes -i /k/id -p 2200 -l hop -W %h:%p jump.example.org",
    );
  });

  test.each([
    ["fd00:198:18:221::11", "-W '[%h]:%p' fd00:198:18:221::10"],
    ["198.18.221.11", "-W %h:%p fd00:198:18:221::10"],
  ])("target %s through an IPv6 jump host: -W brackets an IPv6 target (ssh reads host:port), the jump host stays bare", (address, tail) => {
    const t: SshTarget = { ...base, address, knownHostsFile: "/k/kh", jump: { address: "fd00:198:18:221::10", port: 22, user: "root" } };
    expect(proxyCommand(t).endsWith(` -p 22 -l root ${tail}`)).toBe(true);
  });

  test("every word reaches ssh's shell as one word", () => {
    const t: SshTarget = { ...base, identityFile: "/k/my key", knownHostsFile: "/k/kh", jump: { address: "j", port: 22, user: "hop" } };
    expect(wordsSeenByShell(proxyCommand(t))).toContain("/k/my key");
  });
});

describe("HOOK_COMMAND", () => {
  test("parses with sh -n", () => {
    expect(syntaxErrors(HOOK_COMMAND, "sh")).toBe("");
  });

  test("sends the script on ssh's stdin to `sh -s`, never on the command line", () => {
    expect(HOOK_COMMAND).toContain(`printf '%s\\n%s\\n' "$pre" "$body" | ssh "$@" -o ControlMaster=no -T "$HN_ADDRESS" sh -s`);
    expect(HOOK_COMMAND.match(/ssh "\$@" -o ControlMaster=no/g)).toHaveLength(1);
  });

  test("checks host keys strictly unless told otherwise and reads no user ssh config", () => {
    expect(HOOK_COMMAND).toContain('-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking="$HN_STRICT"');
    expect(HOOK_COMMAND).toContain("-o GlobalKnownHostsFile=/dev/null");
  });
});

describe("hosts at IPv6 addresses", () => {
  test.each([
    ["fd00::10", 22, "[fd00::10]:22"],
    ["198.18.0.10", 22, "198.18.0.10:22"],
    ["host.example.org", 2222, "host.example.org:2222"],
  ])("hostPort(%j, %j) is %j", (address, port, expected) => {
    expect(hostPort(address, port)).toBe(expected);
  });

  test("toSshTarget writes IPv6 addresses of the host and the jump host in canonical form", () => {
    const t = toSshTarget({ address: "FD00:0:0::0010", jumpHost: { address: "fd00:0::A" }, hostKey: KEY });
    expect([t.address, t.jump?.address]).toEqual(["fd00::10", "fd00::a"]);
    expect(toSshTarget({ address: "198.18.0.10" }).address).toBe("198.18.0.10");
  });

  // The real HOOK_COMMAND against a fake ssh that records its destination and the pinned known_hosts line, then fails the script.
  test("the hook pins [addr]:port for a non-22 port, passes the bare address to ssh and names root@[addr]:port when it fails", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hostnet-ssh6-"));
    try {
      const bin = path.join(dir, "bin");
      mkdirSync(bin);
      writeFileSync(
        path.join(bin, "ssh"),
        [
          "#!/bin/sh",
          'for a in "$@"; do case "$a" in -G|-N) exit 0 ;; -O) echo "Master running (pid=1)" >&2; exit 0 ;; esac; done',
          'for a in "$@"; do last=$a; case "$a" in *known_hosts*) kh=${a#UserKnownHostsFile=} ;; esac; done',
          `cat "$kh" > ${dir}/kh; printf '%s\n' "$@" > ${dir}/args`,
          "cat >/dev/null; exit 3",
        ].join("\n") + "\n",
      );
      chmodSync(path.join(bin, "ssh"), 0o755);
      const env = hookEnv(dir, bin, "s/a/web", { HN_ADDRESS: "fd00::10", HN_PORT: "2222", HN_HOST_KEY: KEY, HN_STRICT: "yes", HN_SCRIPT: "true" });
      const r = spawnSync("/bin/sh", ["-c", HOOK_COMMAND], { encoding: "utf8", env });
      expect(r.status).toBe(3);
      expect(r.stderr.trim().split("\n").pop()).toBe(
        "hostnet: create of s/a/web failed on root@[fd00::10]:2222 (exit 3); the output above is from the host",
      );
      expect(readFileSync(path.join(dir, "kh"), "utf8")).toBe(`[fd00::10]:2222 ${KEY}\n`);
      const args = readFileSync(path.join(dir, "args"), "utf8").trim().split("\n");
      expect(args.slice(-3)).toEqual(["fd00::10", "sh", "-s"]);
      expect(readdirSync(path.join(dir, "ssh")).some((f) => f.startsWith("known_hosts.fd00::10.2222."))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
