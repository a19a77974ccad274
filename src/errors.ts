/**
 * An error the user can act on: the CLI prints its message as one line,
 * without a stack trace, and exits with `exitCode`. Every error hostnet throws
 * on purpose derives from it (test/errors.test.ts lists them); a plain Error is
 * a bug in hostnet.
 */
export class HostnetError extends Error {
  /** Process exit code the CLI uses: 2 for a user mistake, 1 for a failed system command. */
  public readonly exitCode: number;

  constructor(message: string, exitCode = 2) {
    super(message);
    // The subclass's own name ("AddressError"), as a stack trace or a log shows it.
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Something with a construct path: a construct, or the path of one being created. */
export type ErrorScope = { readonly node: { readonly path: string } } | string;

/**
 * A construct built wrongly, found when it is created (before validation can
 * run): the message gets the construct path once, here, as aws-cdk's
 * `ValidationError(message, scope)` does.
 */
export class ConstructError extends HostnetError {
  /** The construct path the message starts with. */
  public readonly path: string;

  constructor(message: string, scope: ErrorScope) {
    const path = typeof scope === "string" ? scope : scope.node.path;
    super(`${path}: ${message}`);
    this.path = path;
  }
}

/** True for errors whose message is meant for the user as it is. */
export function isHostnetError(err: unknown): err is HostnetError {
  return err instanceof HostnetError;
}
