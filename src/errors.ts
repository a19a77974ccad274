/**
 * An error the user can act on: the CLI prints its message as one line,
 * without a stack trace, and exits with `exitCode`.
 */
export class HostnetError extends Error {
  /** Process exit code the CLI uses: 2 for a user mistake, 1 for a failed system command. */
  public readonly exitCode: number;

  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = "HostnetError";
    this.exitCode = exitCode;
  }
}

/** True for errors whose message is meant for the user as it is. */
export function isHostnetError(err: unknown): err is HostnetError {
  return err instanceof HostnetError;
}
