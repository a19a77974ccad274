/** Inputs of a test host's sshd_config. */
export interface SshdConfigInput {
  readonly listenAddress: string;
  /** A second address to listen on (the host's IPv6 management address). */
  readonly listenAddress6?: string;
  readonly port: number;
  readonly hostKey: string;
  readonly authorizedKeysFile: string;
  readonly pidFile: string;
}

/**
 * Renders the sshd_config of a test host. Key-only root login; StrictModes
 * is off because the lab directory may live anywhere (e.g. a world-readable
 * temp dir). MaxSessions/MaxStartups are high because deploys open many
 * connections at once.
 */
export function renderSshdConfig(c: SshdConfigInput): string {
  return [
    `ListenAddress ${c.listenAddress}`,
    ...(c.listenAddress6 ? [`ListenAddress ${c.listenAddress6}`] : []),
    `Port ${c.port}`,
    `HostKey ${c.hostKey}`,
    `AuthorizedKeysFile ${c.authorizedKeysFile}`,
    "PermitRootLogin prohibit-password",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "StrictModes no",
    `PidFile ${c.pidFile}`,
    "MaxSessions 200",
    "MaxStartups 200:30:400",
    "LogLevel ERROR",
    "Subsystem sftp internal-sftp",
    "",
  ].join("\n");
}
