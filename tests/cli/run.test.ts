/**
 * The dispatcher: `--help` (or `-h`) on every command prints that command's usage to stdout and
 * exits 0, whatever else is on the line; `project --help` lists the project actions. The commands
 * are read from cli/usage.ts, so a command added there is checked here too.
 */
import { describe, expect, it } from 'vitest';
import * as usage from '../../src-main/cli/usage';
import { runCliInProcess } from './run-cli';

/** `face-studio project create DIR …` → ['project', 'create']. */
function commandWords(line: string): string[] {
  const words = line.split(' ').slice(1);
  const end = words.findIndex((word) => !/^[a-z][a-z-]*$/.test(word));
  return end === -1 ? words : words.slice(0, end);
}

const USAGES = Object.entries(usage)
  .filter(([name]) => name.endsWith('_USAGE'))
  .map(([, line]) => line as string);

describe('--help', () => {
  it('covers every command of the usage table', () => {
    const commands = USAGES.map((line) => commandWords(line).join(' '));
    expect(commands).toEqual(
      expect.arrayContaining(['serve', 'project create', 'project info', 'import', 'splits']),
    );
    expect(commands.every((command) => command.length > 0)).toBe(true);
  });

  it.each(USAGES.map((line) => [commandWords(line).join(' '), line] as const))(
    '%s --help prints its usage and exits 0',
    async (_command, line) => {
      const words = commandWords(line);
      for (const args of [
        [...words, '--help'],
        [...words, '-h'],
        // Help wins over a wrong or incomplete call.
        [...words, '--no-such-option', 'x', '--help'],
      ]) {
        const result = await runCliInProcess(args);
        expect(result.code, args.join(' ')).toBe(0);
        expect(result.stdout).toBe(`Usage: ${line}`);
        expect(result.stderr).toBe('');
      }
    },
  );

  it('takes --help after -- as an argument, not a request for help', async () => {
    const result = await runCliInProcess(['project', 'info', '--', '--help']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--help');
  });

  it('lists the project actions for project --help, and exits 2 without an action', async () => {
    const help = await runCliInProcess(['project', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(usage.PROJECT_CREATE_USAGE);
    expect(help.stdout).toContain(usage.PROJECT_INFO_USAGE);
    expect(help.stdout).toContain(usage.PROJECT_CONSOLIDATE_USAGE);
    const missing = await runCliInProcess(['project']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Missing the project action');
  });
});
