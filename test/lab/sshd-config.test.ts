import { renderSshdConfig } from "../../src/lab/sshd-config";

test("sshd_config listens on the IPv6 management address too", () => {
  const c = renderSshdConfig({
    listenAddress: "198.18.0.10",
    listenAddress6: "fd00:198:18::10",
    port: 22,
    hostKey: "/k",
    authorizedKeysFile: "/a",
    pidFile: "/p",
  });
  expect(c.split("\n").slice(0, 3)).toEqual(["ListenAddress 198.18.0.10", "ListenAddress fd00:198:18::10", "Port 22"]);
});

test("sshd_config allows key-only root login on the host's address", () => {
  expect(
    renderSshdConfig({
      listenAddress: "198.18.0.10",
      port: 22,
      hostKey: "/l/lab/hosts/a/ssh_host_ed25519_key",
      authorizedKeysFile: "/l/lab/authorized_keys",
      pidFile: "/l/lab/hosts/a/sshd.pid",
    }),
  ).toBe(
    [
      "ListenAddress 198.18.0.10",
      "Port 22",
      "HostKey /l/lab/hosts/a/ssh_host_ed25519_key",
      "AuthorizedKeysFile /l/lab/authorized_keys",
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "PidFile /l/lab/hosts/a/sshd.pid",
      "MaxSessions 200",
      "MaxStartups 200:30:400",
      "LogLevel ERROR",
      "Subsystem sftp internal-sftp",
      "",
    ].join("\n"),
  );
});
