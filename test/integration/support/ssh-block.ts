/**
 * An iptables rule (without -I/-D) on this machine's OUTPUT chain that cuts SSH
 * to one test host, tagged so a failed test's leftover is recognisable.
 * REJECT fails a connection at once; DROP lets it time out.
 */
export function sshBlockRule(address: string, tag: string, target: "REJECT" | "DROP" = "REJECT"): string[] {
  return ["OUTPUT", "-d", address, "-p", "tcp", "--dport", "22", "-m", "comment", "--comment", tag, "-j", target];
}
