/**
 * What every command shares: where it writes, and the error that means "you called me wrongly"
 * (exit code 2) as opposed to a StudioError from the work itself (exit code 1).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { expandHome } from '../core/user-path';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export class UsageError extends Error {
  constructor(
    message: string,
    /** The command's usage lines, printed under the message. */
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * `--help` (or `-h`) on a command: not an error. The dispatcher prints the usage to stdout and
 * exits 0.
 */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super('help');
    this.name = 'HelpRequested';
  }
}

/** Whether the arguments ask for help: `--help` or `-h` before any `--`. */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** `--name=~/x` → `--name=/home/you/x`; `~/x` → `/home/you/x`. */
function expandArg(arg: string): string {
  const option = /^(--[^=]+=)(.*)$/s.exec(arg);
  return option ? option[1]! + expandHome(option[2]!) : expandHome(arg);
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * node:util parseArgs in strict mode, with its errors turned into a UsageError; `--help` anywhere
 * (before `--`) throws HelpRequested instead, whatever else is there. A leading `~` or
 * `~/` in any argument is expanded to the home folder, as a shell would: shells leave it alone in
 * `--project=~/faces`, and Node would take it for a folder named "~".
 */
export function parseCommandArgs<const T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  usage: string,
) {
  if (asksForHelp(args)) throw new HelpRequested(usage);
  try {
    return parseArgs({ args: args.map(expandArg), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), usage);
  }
}

/** `--format`'s value, one of `choices`; a usage error listing them when it is missing or not one. */
export function parseFormatOption<const T extends string>(
  value: string | undefined,
  choices: readonly T[],
  usage: string,
): T {
  const found = choices.find((choice) => choice === value);
  if (found !== undefined) return found;
  const list = `(${choices.join(', ')})`;
  throw new UsageError(
    value === undefined
      ? `Missing --format ${list}`
      : `Unknown --format ${JSON.stringify(value)} ${list}`,
    usage,
  );
}
