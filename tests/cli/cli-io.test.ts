/**
 * The command line expands a leading `~` in its arguments, as a shell would: shells leave it alone
 * in `--project=~/faces` (and in quoted arguments), and Node would take it for a folder named "~".
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src-main/cli/cli-io';

describe('parseCommandArgs', () => {
  it('expands ~ and ~/… in option values and positionals, and nothing else', () => {
    const home = os.homedir();
    const { values, positionals } = parseCommandArgs(
      ['~/sets/helen', '--project=~/faces/helen', '--out', '~', 'a~b', '~other/x', 'rel/~/x'],
      { project: { type: 'string' }, out: { type: 'string' } },
      'usage',
    );
    expect(values).toEqual({ project: path.join(home, 'faces/helen'), out: home });
    expect(positionals).toEqual([path.join(home, 'sets/helen'), 'a~b', '~other/x', 'rel/~/x']);
  });
});
