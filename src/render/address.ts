import { inNetns, ip } from "./common";

/** The sysctl(8) path of an interface: it writes "/" for a "." in an interface name (net.ipv6.conf.eth0/10.accept_dad). */
function confName(dev: string): string {
  return dev.replace(/\./g, "/");
}

/**
 * The lines that put addresses on an interface. An IPv4 address is one
 * `ip addr replace`. An IPv6 one first turns IPv6 on for the interface
 * (disable_ipv6=0: a host or namespace whose default is 1 creates its links
 * without IPv6) and is added with `nodad`: duplicate address detection would
 * keep it tentative for a second or more after the create returns, so the
 * first packet would fail. hostnet owns the address and the link, so there is
 * no one to collide with (the CNI bridge plugin turns DAD off on its veths too).
 */
export function addressLines(netns: string | undefined, dev: string, addresses: readonly string[]): string[] {
  const a = addressSteps(dev, addresses);
  return [...(a.sysctls.length ? [inNetns(netns, "sysctl", "-q", "-w", ...a.sysctls)] : []), ...a.ip.map((w) => ip(netns, ...w))];
}

/** The same as `addressLines`, as data: the sysctl settings (key=value) to write first, then the `ip` commands' words (for `ipBatch`). */
export function addressSteps(dev: string, addresses: readonly string[]): { sysctls: string[]; ip: string[][] } {
  const v6 = addresses.some((a) => a.includes(":"));
  return {
    sysctls: v6 ? [`net.ipv6.conf.${confName(dev)}.disable_ipv6=0`] : [],
    ip: addresses.map((a) => (a.includes(":") ? ["addr", "replace", a, "dev", dev, "nodad"] : ["addr", "replace", a, "dev", dev])),
  };
}
