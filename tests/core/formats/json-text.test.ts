import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../../../src-main/core/formats/json-text';
import { ProblemList, formatProblem } from '../../../src-main/core/problems';

function problemsFor(text: string): string[] {
  const problems = new ProblemList();
  expect(parseJsonText(text, 'a.json', problems)).toBeUndefined();
  return problems.problems.map(formatProblem);
}

describe('parseJsonText', () => {
  it('places an "at position N" error with a many-digit N on its line', () => {
    expect(problemsFor('{\n"a":1,\n"b":2,\n"c" 3}')).toEqual([
      'a.json:4: not valid JSON: Unexpected number in JSON at position 20',
    ]);
  });

  it('finds a quoted unexpected token that starts the text, with no ellipsis around it', () => {
    expect(problemsFor('[NaN]')).toEqual([
      'a.json:1: not valid JSON: Unexpected token \'N\', "[NaN]" is not valid JSON',
    ]);
  });

  it('finds a quoted unexpected token after leading lines', () => {
    expect(problemsFor('\n\nNaN')).toEqual([
      'a.json:3: not valid JSON: Unexpected token \'N\', "\n\nNaN" is not valid JSON',
    ]);
  });

  it('leaves the line out when the message places nothing', () => {
    expect(problemsFor('')).toEqual(['a.json: not valid JSON: Unexpected end of JSON input']);
  });
});
