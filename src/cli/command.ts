/** Where a command writes: one line per call. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** A top-level command group (`hostnet lab ...`); main.ts dispatches on `name`. */
export interface Command {
  /** First word after `hostnet`. */
  readonly name: string;
  /** One line for `hostnet help`. */
  readonly summary: string;
  /** Usage lines, each a full invocation (`hostnet lab up [--name L]`). */
  readonly usage: readonly string[];
  /** Runs with the words after the command name; resolves to the exit code. */
  run(args: readonly string[], io: Io): Promise<number>;
}

/** Io writing to the process's stdout and stderr. */
export const processIo: Io = {
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
};
