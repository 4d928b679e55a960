/** JSON input for the JSON formats: BOM stripped, and a syntax error placed on its line. */
import type { ProblemList } from '../problems';
import { stripBom } from './text-lines';

/**
 * Where JSON.parse stopped. V8 says "at position N" for some errors; for an unexpected token it
 * quotes the text around it instead (`Unexpected token 'N', ..."[ NaN, "...`), which is found again.
 */
function errorPosition(body: string, message: string): number | null {
  const position = /position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  const quoted =
    /Unexpected token '(.)', (?:\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON/.exec(message);
  const at = quoted ? body.indexOf(quoted[2]!) : -1;
  return at < 0 ? null : at + quoted![2]!.indexOf(quoted![1]!);
}

/** The parsed value, or undefined after adding a `file:line: not JSON` problem. */
export function parseJsonText(text: string, file: string, problems: ProblemList): unknown {
  const body = stripBom(text);
  try {
    return JSON.parse(body);
  } catch (error) {
    const message = (error as Error).message;
    // V8 reports "... at position N" (and sometimes "(line L column C)"); turn it into a line.
    const position = errorPosition(body, message);
    const line = position === null ? undefined : body.slice(0, position).split('\n').length;
    problems.add(file, line, `not valid JSON: ${message}`);
    return undefined;
  }
}
