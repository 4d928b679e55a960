/**
 * Collects every problem in an input before anything is written, so the user fixes a file in one
 * pass instead of one error at a time. Each problem names where it is: `file:line: problem`, or
 * `file: problem` when the place has no line (a JSON path is put in the problem text).
 */
import { StudioError } from '../shared/errors';

export interface Problem {
  file: string;
  /** 1-based line, when the input has lines. */
  line?: number;
  message: string;
}

/** The message lists at most this many problems; the rest are counted (the error keeps them all). */
const LISTED_PROBLEMS = 50;

export function formatProblem(problem: Problem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return `${where}: ${problem.message}`;
}

/** A StudioError that carries the whole list, for a UI that shows them as a table. */
export class InputProblemsError extends StudioError {
  readonly problems: readonly Problem[];

  constructor(what: string, problems: readonly Problem[]) {
    const listed = problems.slice(0, LISTED_PROBLEMS).map(formatProblem);
    const more = problems.length - listed.length;
    const tail = more > 0 ? [`… and ${more} more`] : [];
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super('invalid-payload', [`${what}: ${count}`, ...listed, ...tail].join('\n'));
    this.name = 'InputProblemsError';
    this.problems = problems;
  }
}

export class ProblemList {
  readonly problems: Problem[] = [];

  add(file: string, line: number | undefined, message: string): void {
    this.problems.push(line === undefined ? { file, message } : { file, line, message });
  }

  get count(): number {
    return this.problems.length;
  }

  /** Throws one error listing every problem, if there is any. */
  throwIfAny(what: string): void {
    if (this.problems.length > 0) throw new InputProblemsError(what, this.problems);
  }
}
