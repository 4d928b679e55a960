import { describe, expect, it } from 'vitest';
import { parseDataYaml } from '../../../src-main/core/formats/data-yaml';
import { ProblemList, formatProblem } from '../../../src-main/core/problems';

function parse(text: string): { data: ReturnType<typeof parseDataYaml>; problems: string[] } {
  const problems = new ProblemList();
  const data = parseDataYaml(text, 'data.yaml', problems);
  return { data, problems: problems.problems.map(formatProblem) };
}

describe('parseDataYaml', () => {
  it('wants kpt_shape to be exactly one bracketed list, nothing before or after it', () => {
    expect(parse('kpt_shape: x[5, 3]\n').problems).toEqual([
      'data.yaml:1: kpt_shape must be [points, 2 or 3], not x[5, 3]',
    ]);
    expect(parse('kpt_shape: [5, 3]x\n').problems).toEqual([
      'data.yaml:1: kpt_shape must be [points, 2 or 3], not [5, 3]x',
    ]);
  });

  it('drops the empty item after a trailing comma in an integer list', () => {
    expect(parse('kpt_shape: [5, 3,]\n')).toEqual({
      data: { kptShape: [5, 3], names: [] },
      problems: [],
    });
  });

  it('rejects a kpt_shape with a fractional point count', () => {
    expect(parse('kpt_shape: [1.5, 3]\n')).toEqual({
      data: null,
      problems: ['data.yaml:1: kpt_shape must be [points, 2 or 3], not [1.5, 3]'],
    });
  });

  it('calls a negative flip index not a list of point indices', () => {
    expect(parse('kpt_shape: [2, 3]\nflip_idx: [-1, 0]\n').problems).toEqual([
      'data.yaml:2: flip_idx must be a list of point indices',
    ]);
  });

  it('skips blank and whitespace-only lines', () => {
    expect(parse('kpt_shape: [1, 2]\n\nnames:\n  - face\n   \n')).toEqual({
      data: { kptShape: [1, 2], names: ['face'] },
      problems: [],
    });
  });

  it('wants a key at the very start of a top-level line', () => {
    expect(parse('kpt_shape: [1, 2]\n-name: x   \n').problems).toEqual([
      'data.yaml:2: expected "key: value", found "-name: x"',
    ]);
  });

  it('wants the value to run to the end of the line', () => {
    expect(parse('kpt_shape: [1, 2]\npath: a\u2028b\n').problems).toEqual([
      'data.yaml:2: expected "key: value", found "path: a\u2028b"',
    ]);
  });

  it('allows spaces between a key and its colon', () => {
    expect(parse('kpt_shape : [1, 2]\n')).toEqual({
      data: { kptShape: [1, 2], names: [] },
      problems: [],
    });
  });
});
