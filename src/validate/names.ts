/**
 * Checks for values that end up on a command line. Each returns null when the
 * value is fine, or a message that says what is wrong and how to fix it; callers
 * prefix the construct path.
 */

// IFNAMSIZ is 16 including the NUL, so 15 bytes; the kernel also refuses "/", ":" and whitespace.
export function checkInterfaceName(name: string): string | null {
  if (typeof name !== "string" || name.length === 0) return `interface name is empty. Set a name of 1-15 characters.`;
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > 15) return `interface name "${printable(name)}" is ${bytes} bytes; Linux allows 15. Set a shorter name.`;
  if (name === "." || name === "..") return `interface name "${name}" is not allowed by Linux. Choose another name.`;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
    return `interface name "${printable(name)}" may hold only letters, digits, "_", "-" and "." (and not start with "-" or "."). Choose another name.`;
  }
  return null;
}

// Namespace names become file names under /run/netns.
export function checkNamespaceName(name: string): string | null {
  if (typeof name !== "string" || name.length === 0) return `namespace name is empty. Set a name.`;
  if (name.length > 64) return `namespace name "${printable(name)}" is ${name.length} characters; use at most 64.`;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name === "." || name === "..") {
    return `namespace name "${printable(name)}" must be a safe file name: letters, digits, "_", "-", "." and not starting with "-" or ".". Choose another name.`;
  }
  return null;
}

export function checkPort(port: number, what = "port"): string | null {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return `${what} ${printable(String(port))} is not a port; use a whole number from 1 to 65535.`;
  return null;
}

export function checkMtu(mtu: number): string | null {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) return `MTU ${printable(String(mtu))} is out of range; Linux accepts 68 to 65535 for IPv4.`;
  return null;
}

/** Host names and addresses given for SSH: a DNS name or an IPv4 address. */
export function checkHostAddress(address: string): string | null {
  if (typeof address !== "string" || !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(address) || address.includes("..")) {
    return `host address "${printable(String(address))}" is not a DNS name or IPv4 address. Use e.g. 192.0.2.10 or host.example.org.`;
  }
  return null;
}

export function checkUser(user: string): string | null {
  if (typeof user !== "string" || !/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
    return `SSH user "${printable(String(user))}" is not a valid login name (lower-case letters, digits, "_", "-", at most 32). Fix props.user.`;
  }
  return null;
}

/** Paths that reach ssh options: absolute-or-relative plain paths only. */
export function checkPath(path: string, what: string): string | null {
  if (typeof path !== "string" || !/^[A-Za-z0-9_./~+-]{1,4095}$/.test(path) || path.startsWith("-")) {
    return `${what} "${printable(String(path))}" may hold only letters, digits and "_.-/~+", at most 4095 of them, and not start with "-". Move the file to such a path.`;
  }
  return null;
}

/** An SSH public host key line: "<type> <base64>". */
export function checkHostKey(key: string): string | null {
  if (
    typeof key !== "string" ||
    !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}$/.test(
      key.trim(),
    )
  ) {
    return `host key "${printable(String(key)).slice(0, 40)}" is not an SSH public key line ("ssh-ed25519 AAAA..."). Copy it from the host's /etc/ssh/ssh_host_ed25519_key.pub without the comment.`;
  }
  return null;
}

/** Show a value in an error message without letting control characters through. */
export function printable(value: string): string {
  return JSON.stringify(String(value)).slice(1, -1);
}
