import { HostnetError } from "../errors";

/** Kind of value a flag takes; "boolean" flags take none. */
export type FlagKind = "string" | "int" | "boolean";

/** Flags a command accepts, by long name without the dashes. */
export type FlagSpec = Readonly<Record<string, FlagKind>>;

type FlagValue<K extends FlagKind> = K extends "boolean" ? boolean : K extends "int" ? number : string;

/** Parsed command line: flag values by name (absent when not given) and the remaining words. */
export interface ParsedArgs<S extends FlagSpec> {
  readonly flags: { readonly [N in keyof S]?: FlagValue<S[N]> };
  readonly positionals: readonly string[];
}

/** A mistake on the command line; the CLI prints it with a pointer to help. */
export class UsageError extends HostnetError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}

/**
 * Parses `--flag value`, `--flag=value` and boolean `--flag`; `--` ends
 * flags. `command` names the command in error messages ("hostnet lab up").
 */
export function parseArgs<S extends FlagSpec>(args: readonly string[], spec: S, command: string): ParsedArgs<S> {
  const flags: Record<string, string | number | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "--") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const kind = spec[name];
    if (kind === undefined) {
      const known = Object.keys(spec)
        .map((n) => `--${n}`)
        .join(", ");
      throw new UsageError(`unknown option "--${name}" for "${command}"${known ? `; it takes ${known}` : ""}.`);
    }
    if (kind === "boolean") {
      if (eq !== -1) throw new UsageError(`option --${name} of "${command}" takes no value.`);
      flags[name] = true;
      continue;
    }
    let value: string;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      if (i + 1 >= args.length) throw new UsageError(`option --${name} of "${command}" needs a value.`);
      value = args[++i];
    }
    if (kind === "int") {
      if (!/^\d+$/.test(value)) throw new UsageError(`option --${name} of "${command}" needs a whole number, got "${value}".`);
      flags[name] = Number(value);
    } else {
      flags[name] = value;
    }
  }
  return { flags: flags as ParsedArgs<S>["flags"], positionals };
}

/** Throws a UsageError when there are words left that the command does not take. */
export function noPositionals(parsed: ParsedArgs<FlagSpec>, command: string): void {
  if (parsed.positionals.length > 0) {
    throw new UsageError(`unexpected argument "${parsed.positionals[0]}" for "${command}".`);
  }
}
