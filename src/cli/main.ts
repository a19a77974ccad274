import { isHostnetError } from "../errors";
import { Command, Io, processIo } from "./command";
import { labCommand } from "./lab";
import { planCommand } from "./plan";
import { checkCommand, gcCommand } from "./drift";
import { inspectCommand } from "./inspect";
import { deployCommand, destroyCommand, diffCommand } from "./deploy";
import { initCommand } from "./init";

/** Command groups in `hostnet help` order; add new ones here. */
export const COMMANDS: readonly Command[] = [
  initCommand,
  labCommand,
  planCommand,
  deployCommand,
  diffCommand,
  destroyCommand,
  checkCommand,
  gcCommand,
  inspectCommand,
];

function help(io: Io): number {
  io.out("usage: hostnet <command> [options]");
  for (const c of COMMANDS) {
    io.out("");
    io.out(`${c.name}: ${c.summary}`);
    for (const u of c.usage) io.out(`  ${u}`);
  }
  io.out("");
  io.out("hostnet help: show this text");
  return 0;
}

/**
 * Runs the CLI with the words after `hostnet`; resolves to the exit code.
 * User mistakes print one line to stderr and give 2; failed system commands
 * give 1; anything else is a bug and prints its stack.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") return help(io);
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`hostnet: unknown command "${name}"; run "hostnet help" for the list.`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (isHostnetError(err)) {
      io.err(`hostnet: ${err.message}`);
      return err.exitCode;
    }
    io.err(`hostnet: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
