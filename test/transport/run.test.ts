import { sshFailureOf } from "../../src/transport/run";

describe("sshFailureOf", () => {
  test.each([
    ["hostnet: check of s/a failed on root@198.18.0.10:22 (exit 255): ssh: Host key verification failed.\n", "Host key verification failed."],
    [
      "Warning: Identity file /k/id not accessible.\nhostnet: gc of s/a failed on root@h:2222 (exit 255): ssh: root@h: Permission denied (publickey).",
      "root@h: Permission denied (publickey).",
    ],
    ["hostnet: check of s/a failed on root@h:22 (exit 255): ssh: Timeout, server h not responding.\n\n", "Timeout, server h not responding."],
  ])("ssh's reason from the transport's last line: %j", (stderr, reason) => {
    expect(sshFailureOf(stderr)).toBe(reason);
  });

  test.each([
    ["ip: RTNETLINK answers: File exists\nhostnet: create of s/a failed on root@h:22 (exit 2); the output above is from the host\n"],
    ["hostnet: check of s/a failed on root@h:22 (exit 255): ssh: reason\nsomething after"],
    [""],
  ])("no reason when the script ran on the host, or the line is not the last: %j", (stderr) => {
    expect(sshFailureOf(stderr)).toBeUndefined();
  });
});
