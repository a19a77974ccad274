import { HOOK_COMMAND, proxyCommand, SshTarget, sshEnvironment } from "../../src/transport/ssh";
import { syntaxErrors, wordsSeenByShell } from "../support/fake-host";

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
