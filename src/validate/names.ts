/**
 * Checks for values that end up on a command line. Each `xxxProblem` returns null
 * when the value is fine, or the Problem (what is wrong, and a generic fix the
 * caller may replace with one naming its prop); `checkXxx` is the same as one
 * message. Callers prefix the construct path.
 */
import { parseAnyAddress } from "./address";
import { problem, Problem, problemTextOrNull } from "./problem";

// IFNAMSIZ is 16 including the NUL, so 15 bytes; the kernel also refuses "/", ":" and whitespace.
export function interfaceNameProblem(name: string): Problem | null {
  if (name !== undefined && name !== null && typeof name !== "string")
    return problem(`interface name ${shownValue(name)} is not text.`, `Set a name of 1-15 characters.`);
  if (typeof name !== "string" || name.length === 0) return problem(`interface name is empty.`, `Set a name of 1-15 characters.`);
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > 15) return problem(`interface name "${printable(name)}" is ${bytes} bytes; Linux allows 15.`, `Set a shorter name.`);
  if (name === "." || name === "..") return problem(`interface name "${name}" is not allowed by Linux.`, `Choose another name.`);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
    return problem(
      `interface name "${printable(name)}" may hold only letters, digits, "_", "-" and "." (and not start with "-" or ".").`,
      `Choose another name.`,
    );
  }
  return null;
}

export function checkInterfaceName(name: string): string | null {
  return problemTextOrNull(interfaceNameProblem(name));
}

// Namespace names become file names under /run/netns.
export function checkNamespaceName(name: string): string | null {
  return problemTextOrNull(namespaceNameProblem(name));
}

export function namespaceNameProblem(name: string): Problem | null {
  if (name !== undefined && name !== null && typeof name !== "string")
    return problem(`namespace name ${shownValue(name)} is not text.`, `Set a name.`);
  if (typeof name !== "string" || name.length === 0) return problem(`namespace name is empty.`, `Set a name.`);
  if (name.length > 64) return problem(`namespace name "${printable(name)}" is ${name.length} characters; use at most 64.`);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name === "." || name === "..") {
    return problem(
      `namespace name "${printable(name)}" must be a safe file name: letters, digits, "_", "-", "." and not starting with "-" or ".".`,
      `Choose another name.`,
    );
  }
  return null;
}

export function checkPort(port: number, what = "port"): string | null {
  return problemTextOrNull(portProblem(port, what));
}

/** The message already says what a port is; the caller adds which prop to fix. */
export function portProblem(port: number, what = "port"): Problem | null {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return problem(`${what} ${printable(String(port))} is not a port; use a whole number from 1 to 65535.`);
  return null;
}

export function checkMtu(mtu: number): string | null {
  return problemTextOrNull(mtuProblem(mtu));
}

export function mtuProblem(mtu: number): Problem | null {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)
    return problem(`MTU ${printable(String(mtu))} is out of range; Linux accepts 68 to 65535 for IPv4.`);
  return null;
}

/** Host names and addresses given for SSH: a DNS name, an IPv4 address or an IPv6 address (without zone or brackets). */
export function checkHostAddress(address: string): string | null {
  return problemTextOrNull(hostAddressProblem(address));
}

const HOST_EXAMPLES = "Use e.g. 192.0.2.10, fd00::10 or host.example.org.";

export function hostAddressProblem(address: string): Problem | null {
  const shown = printable(String(address));
  if (typeof address === "string" && address.includes(":")) {
    // ssh takes a bare IPv6 address; brackets belong only where a port follows, and hostnet writes those itself.
    const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(address);
    if (bracketed && parseAnyAddress(bracketed[1]).value?.family === 6) {
      return problem(
        `host address "${shown}" is in brackets.`,
        `Write the bare address (${bracketed[1]})${bracketed[2] ? ` and the port ${bracketed[2]} in the port prop` : ""}; hostnet adds brackets where ssh needs them.`,
      );
    }
    const zone = /^([0-9A-Fa-f:.]+)%(.*)$/.exec(address);
    if (zone && parseAnyAddress(zone[1]).value?.family === 6) {
      return problem(
        `host address "${shown}" has a zone (%${printable(zone[2])}); hostnet does not connect over link-local addresses, whose zone would reach the ssh command line.`,
        `Use a global or unique local (fd00::/8) address of the host.`,
      );
    }
    if (parseAnyAddress(address).value?.family === 6) return null;
    return problem(`host address "${shown}" is not a DNS name, IPv4 or IPv6 address.`, HOST_EXAMPLES);
  }
  if (typeof address !== "string" || !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(address) || address.includes("..")) {
    return problem(`host address "${shown}" is not a DNS name, IPv4 or IPv6 address.`, HOST_EXAMPLES);
  }
  return null;
}

/** As a message for a Host's own props ("Fix props.user."). */
export function checkUser(user: string): string | null {
  return problemTextOrNull(userProblem(user), "Fix props.user.");
}

export function userProblem(user: string): Problem | null {
  if (typeof user !== "string" || !/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
    return problem(`SSH user "${printable(String(user))}" is not a valid login name (lower-case letters, digits, "_", "-", at most 32).`);
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

/** A prop's value as the user wrote it, for a message about a value of the wrong type: JSON where it can be, else its text. */
export function shownValue(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  // JSON escapes quotes and control characters in strings; other text loses its control characters.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
  return text ?? String(value).replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, "?");
}

/** The problem with a list prop given something that is no list (from JavaScript or parsed config), or null. Left out is fine when `optional`. */
export function notListProblem(value: unknown, prop: string, give: string, optional = true): string | null {
  return (optional && value === undefined) || Array.isArray(value) ? null : `${prop}: ${shownValue(value)} is not a list. ${give}`;
}
