import {
  checkHostAddress,
  checkHostKey,
  checkInterfaceName,
  checkMtu,
  checkNamespaceName,
  checkPath,
  checkPort,
  checkUser,
  hostAddressProblem,
  interfaceNameProblem,
  mtuProblem,
  namespaceNameProblem,
  portProblem,
  userProblem,
  printable,
} from "../../src/validate/names";
import { problemText } from "../../src/validate/problem";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFLaLzjWwhzi4ie45/rm3ZfzUE67Q4iWjnkGxVtBj/Lw";

describe("checkInterfaceName", () => {
  test.each(["eth0", "br-lan", "ve-web", "a", "_x", "vlan.10", "x".repeat(15), "abcdefghijklmn5"])("%j is fine", (name) => {
    expect(checkInterfaceName(name)).toBeNull();
  });

  test.each([
    ["", "interface name is empty. Set a name of 1-15 characters."],
    ["x".repeat(16), `interface name "${"x".repeat(16)}" is 16 bytes; Linux allows 15. Set a shorter name.`],
    ["very-long-name-x", `interface name "very-long-name-x" is 16 bytes; Linux allows 15. Set a shorter name.`],
    // 8 characters, 16 bytes in UTF-8: the kernel counts bytes.
    ["éééééééé", `interface name "éééééééé" is 16 bytes; Linux allows 15. Set a shorter name.`],
    ["ééé", `interface name "ééé" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`],
    ["eth/0", `interface name "eth/0" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`],
    ["eth:0", `interface name "eth:0" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`],
    ["eth 0", `interface name "eth 0" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`],
    ["eth\t0", `interface name "eth\\t0" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`],
    ["eth0\n", `interface name "eth0\\n" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`],
    ["-eth0", `interface name "-eth0" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`],
    [".hidden", `interface name ".hidden" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`],
    [".", `interface name "." is not allowed by Linux. Choose another name.`],
    ["..", `interface name ".." is not allowed by Linux. Choose another name.`],
    ["$(id)", `interface name "$(id)" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`],
    ["w\u0435b", `interface name "w\u0435b" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`],
  ])("%j: %s", (name, message) => {
    expect(checkInterfaceName(name)).toBe(message);
  });
});

describe("checks return problems as data: the message, and a generic fix a construct replaces with its prop", () => {
  test.each([
    [
      interfaceNameProblem("very-long-name-x"),
      { message: `interface name "very-long-name-x" is 16 bytes; Linux allows 15.`, fix: "Set a shorter name." },
    ],
    [
      interfaceNameProblem("a b"),
      {
        message: `interface name "a b" may hold only letters, digits, "_", "-" and "." (and not start with "-" or ".").`,
        fix: "Choose another name.",
      },
    ],
    [interfaceNameProblem(""), { message: "interface name is empty.", fix: "Set a name of 1-15 characters." }],
    [namespaceNameProblem("x".repeat(65)), { message: `namespace name "${"x".repeat(65)}" is 65 characters; use at most 64.` }],
    [portProblem(0, "hostPort"), { message: "hostPort 0 is not a port; use a whole number from 1 to 65535." }],
    [mtuProblem(40), { message: "MTU 40 is out of range; Linux accepts 68 to 65535 for IPv4." }],
    [userProblem("Root"), { message: `SSH user "Root" is not a valid login name (lower-case letters, digits, "_", "-", at most 32).` }],
    [
      hostAddressProblem("-x"),
      { message: `host address "-x" is not a DNS name, IPv4 or IPv6 address.`, fix: "Use e.g. 192.0.2.10, fd00::10 or host.example.org." },
    ],
  ])("%j", (found, expected) => {
    expect(found).toEqual(expected);
  });

  test("problemText puts the caller's fix in place of the check's", () => {
    const p = interfaceNameProblem("very-long-name-x")!;
    expect(problemText(p)).toBe(checkInterfaceName("very-long-name-x"));
    expect(problemText(p, "Set props.name.")).toBe(`interface name "very-long-name-x" is 16 bytes; Linux allows 15. Set props.name.`);
  });

  test.each(["eth0", "web"])("no problem for %j", (name) => {
    expect(interfaceNameProblem(name)).toBeNull();
    expect(namespaceNameProblem(name)).toBeNull();
  });
});

describe("checkNamespaceName", () => {
  test.each(["web", "web-1", "web.blue", "_x", "x".repeat(64)])("%j is fine", (name) => {
    expect(checkNamespaceName(name)).toBeNull();
  });

  const rule = `must be a safe file name: letters, digits, "_", "-", "." and not starting with "-" or ".". Choose another name.`;
  test.each([
    ["", "namespace name is empty. Set a name."],
    ["x".repeat(65), `namespace name "${"x".repeat(65)}" is 65 characters; use at most 64.`],
    ["a/b", `namespace name "a/b" ${rule}`],
    ["../etc", `namespace name "../etc" ${rule}`],
    [".", `namespace name "." ${rule}`],
    ["..", `namespace name ".." ${rule}`],
    ["-n", `namespace name "-n" ${rule}`],
    ["a b", `namespace name "a b" ${rule}`],
    ["web\n", `namespace name "web\\n" ${rule}`],
    ["wéb", `namespace name "wéb" ${rule}`],
  ])("%j: %s", (name, message) => {
    expect(checkNamespaceName(name)).toBe(message);
  });
});

describe("checkPort", () => {
  test.each([1, 22, 80, 65535])("%p is fine", (port) => {
    expect(checkPort(port)).toBeNull();
  });

  test.each([
    [0, "port 0 is not a port; use a whole number from 1 to 65535."],
    [65536, "port 65536 is not a port; use a whole number from 1 to 65535."],
    [-22, "port -22 is not a port; use a whole number from 1 to 65535."],
    [22.5, "port 22.5 is not a port; use a whole number from 1 to 65535."],
    [NaN, "port NaN is not a port; use a whole number from 1 to 65535."],
    [Infinity, "port Infinity is not a port; use a whole number from 1 to 65535."],
  ])("%p: %s", (port, message) => {
    expect(checkPort(port)).toBe(message);
  });

  test("a string that looks like a number is not a port", () => {
    expect(checkPort("22" as unknown as number, "SSH port")).toBe("SSH port 22 is not a port; use a whole number from 1 to 65535.");
  });

  test("names what it checks", () => {
    expect(checkPort(0, "hostPort")).toBe("hostPort 0 is not a port; use a whole number from 1 to 65535.");
  });
});

describe("checkMtu", () => {
  test.each([68, 1280, 1500, 9000, 65535])("%p is fine", (mtu) => {
    expect(checkMtu(mtu)).toBeNull();
  });

  test.each([
    [67, "MTU 67 is out of range; Linux accepts 68 to 65535 for IPv4."],
    [0, "MTU 0 is out of range; Linux accepts 68 to 65535 for IPv4."],
    [65536, "MTU 65536 is out of range; Linux accepts 68 to 65535 for IPv4."],
    [1500.5, "MTU 1500.5 is out of range; Linux accepts 68 to 65535 for IPv4."],
    [NaN, "MTU NaN is out of range; Linux accepts 68 to 65535 for IPv4."],
  ])("%p: %s", (mtu, message) => {
    expect(checkMtu(mtu)).toBe(message);
  });
});

describe("checkHostAddress", () => {
  test.each(["198.18.0.10", "host.example.org", "a", "lab-a", "x".repeat(253), "fd00::10", "FD00:0:0::10", "::1", "2001:db8::1"])(
    "%j is fine",
    (address) => {
      expect(checkHostAddress(address)).toBeNull();
    },
  );

  test.each([
    "",
    "-oProxyCommand=sh",
    ".host",
    "host..example",
    "a b",
    "host;id",
    "user@host",
    "host\n",
    "x".repeat(254),
    "$(id)",
    "fd00::10;id",
    "fd00::10\n",
    "fd00:::10",
    "fd00::10 -oProxyCommand=sh",
    "host:22",
    "[fd00::10",
  ])("%j is refused with an example of a good value", (address) => {
    expect(checkHostAddress(address)).toBe(
      `host address "${printable(address)}" is not a DNS name, IPv4 or IPv6 address. Use e.g. 192.0.2.10, fd00::10 or host.example.org.`,
    );
  });

  test.each([
    ["[::1]", `host address "[::1]" is in brackets. Write the bare address (::1); hostnet adds brackets where ssh needs them.`],
    [
      "[fd00::10]:2222",
      `host address "[fd00::10]:2222" is in brackets. Write the bare address (fd00::10) and the port 2222 in the port prop; hostnet adds brackets where ssh needs them.`,
    ],
    [
      "fe80::1%eth0",
      `host address "fe80::1%eth0" has a zone (%eth0); hostnet does not connect over link-local addresses, whose zone would reach the ssh command line. ` +
        "Use a global or unique local (fd00::/8) address of the host.",
    ],
    [
      "fe80::1%$(id)",
      `host address "fe80::1%$(id)" has a zone (%$(id)); hostnet does not connect over link-local addresses, whose zone would reach the ssh command line. ` +
        "Use a global or unique local (fd00::/8) address of the host.",
    ],
  ])("%j is refused with its own fix", (address, message) => {
    expect(checkHostAddress(address)).toBe(message);
  });
});

describe("checkUser", () => {
  test.each(["root", "deploy", "_svc", "a-b_c1", "x".repeat(32)])("%j is fine", (user) => {
    expect(checkUser(user)).toBeNull();
  });

  test.each(["", "Root", "-oProxyCommand", "1user", "a b", "user;id", "x".repeat(33), "用户"])("%j is refused", (user) => {
    expect(checkUser(user)).toBe(
      `SSH user "${printable(user)}" is not a valid login name (lower-case letters, digits, "_", "-", at most 32). Fix props.user.`,
    );
  });
});

describe("checkPath", () => {
  test.each(["/k/id", "~/.ssh/id_ed25519", "keys/id+lab", "./id", "/a/../b"])("%j is fine", (p) => {
    expect(checkPath(p, "identity file path")).toBeNull();
  });

  test.each(["", "-oProxyCommand=sh", "/k/my key", "/k/$(id)", "/k/id;rm", "/k/id\n", "/k/ïd", "/k/id*"])("%j is refused", (p) => {
    const message = checkPath(p, "identity file path");
    expect(message?.startsWith(`identity file path "${printable(p)}" may hold only letters, digits and "_.-/~+"`)).toBe(true);
    expect(message).toMatch(/not start with "-"\. Move the file to such a path\.$/);
  });
});

test("a path longer than 4095 characters (PATH_MAX less the NUL) is refused; 4095 is fine", () => {
  expect(checkPath(`/${"k".repeat(4094)}`, "p")).toBeNull();
  expect(checkPath(`/${"k".repeat(4095)}`, "p")).toMatch(/^p "\/k+" may hold only/);
});

describe("checkHostKey", () => {
  test.each([
    KEY,
    `  ${KEY}  `,
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7==",
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY=",
    "ecdsa-sha2-nistp521 AAAAE2VjZHNh",
    "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t",
  ])("%j is fine", (key) => {
    expect(checkHostKey(key)).toBeNull();
  });

  test.each([
    ["", ""],
    [`${KEY} root@host`, `${KEY} root@host`],
    ["ssh-dss AAAAB3NzaC1kc3M=", "ssh-dss AAAAB3NzaC1kc3M="],
    ["AAAAC3NzaC1lZDI1NTE5AAAAIFLaLzjWwhzi4ie45", "AAAAC3NzaC1lZDI1NTE5AAAAIFLaLzjWwhzi4ie45"],
    [`${KEY}\nevil.example ${KEY}`, `${KEY}\nevil.example ${KEY}`],
    ["ssh-ed25519 AAAA$(id)", "ssh-ed25519 AAAA$(id)"],
    [`198.18.0.10 ${KEY}`, `198.18.0.10 ${KEY}`],
    ["-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----"],
  ])("%j is refused, quoting at most 40 characters of it", (key, shown) => {
    expect(checkHostKey(key)).toBe(
      `host key "${printable(shown).slice(0, 40)}" is not an SSH public key line ("ssh-ed25519 AAAA..."). Copy it from the host's /etc/ssh/ssh_host_ed25519_key.pub without the comment.`,
    );
  });
});

describe("printable", () => {
  test.each([
    ["plain", "plain"],
    ["a\nb", "a\\nb"],
    ['say "hi"', 'say \\"hi\\"'],
    ["\x1b[2J", "\\u001b[2J"],
    ["é", "é"],
  ])("%j shows as %s", (value, shown) => {
    expect(printable(value)).toBe(shown);
  });
});
