import { describe, expect, it } from 'vitest';
import { InputProblemsError, ProblemList, formatProblem } from '../../src-main/core/problems';
import { StudioError } from '../../src-main/shared/errors';

describe('formatProblem', () => {
  it('names the file and line, or the file alone', () => {
    expect(formatProblem({ file: 'a.pts', line: 3, message: 'bad x' })).toBe('a.pts:3: bad x');
    expect(formatProblem({ file: 'a.json', message: 'images[2].id: bad' })).toBe(
      'a.json: images[2].id: bad',
    );
  });
});

describe('InputProblemsError', () => {
  it('is an invalid-payload StudioError named InputProblemsError that keeps the list', () => {
    const problems = [{ file: 'a.pts', line: 1, message: 'bad' }];
    const error = new InputProblemsError('Import', problems);
    expect(error).toBeInstanceOf(StudioError);
    expect(error.name).toBe('InputProblemsError');
    expect(error.code).toBe('invalid-payload');
    expect(error.problems).toBe(problems);
    expect(error.message).toBe('Import: 1 problem\na.pts:1: bad');
  });

  it('counts in the plural and lists fifty problems, then counts the rest', () => {
    const problems = Array.from({ length: 52 }, (_, index) => ({
      file: `f${index}.pts`,
      message: 'bad',
    }));
    const lines = new InputProblemsError('Import', problems).message.split('\n');
    expect(lines[0]).toBe('Import: 52 problems');
    expect(lines).toHaveLength(1 + 50 + 1);
    expect(lines[50]).toBe('f49.pts: bad');
    expect(lines[51]).toBe('… and 2 more');
    // Exactly fifty: no tail.
    const fifty = new InputProblemsError('Import', problems.slice(0, 50)).message.split('\n');
    expect(fifty).toHaveLength(51);
    expect(fifty.at(-1)).toBe('f49.pts: bad');
    expect(new InputProblemsError('Import', problems.slice(0, 2)).message).toBe(
      'Import: 2 problems\nf0.pts: bad\nf1.pts: bad',
    );
  });
});

describe('ProblemList', () => {
  it('keeps a line only when there is one', () => {
    const list = new ProblemList();
    list.add('a.json', undefined, 'no line');
    list.add('b.pts', 7, 'line seven');
    expect(list.problems[0]).toStrictEqual({ file: 'a.json', message: 'no line' });
    expect('line' in list.problems[0]!).toBe(false);
    expect(list.problems[1]).toStrictEqual({ file: 'b.pts', line: 7, message: 'line seven' });
    expect(list.count).toBe(2);
  });

  it('throws every problem at once, and nothing when there is none', () => {
    const list = new ProblemList();
    expect(() => list.throwIfAny('Import')).not.toThrow();
    list.add('a.pts', 2, 'bad');
    let thrown: unknown;
    try {
      list.throwIfAny('Import');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputProblemsError);
    expect((thrown as InputProblemsError).message).toBe('Import: 1 problem\na.pts:2: bad');
    expect((thrown as InputProblemsError).problems).toEqual([
      { file: 'a.pts', line: 2, message: 'bad' },
    ]);
  });
});
