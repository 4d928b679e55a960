/**
 * The few lines of a YOLO `data.yaml` the studio reads and writes: `path`, `train`, `val`,
 * `kpt_shape: [K, 2|3]`, `flip_idx: [...]` and `names` (flow list, block list or `0: face` map).
 * Not a YAML parser: anything else is skipped, and a malformed value of a key it needs is an error.
 */
import type { ProblemList } from '../problems';
import { parseFiniteNumber, splitLines } from './text-lines';

export interface YoloDataYaml {
  path?: string;
  train?: string;
  val?: string;
  /** [points per face, 2 (x y) or 3 (x y v)]. */
  kptShape: [number, 2 | 3];
  /** flip[i] = the point i becomes in a horizontally flipped image. */
  flipIdx?: number[];
  names: string[];
}

function unquote(value: string): string {
  const v = value.trim();
  return /^(['"]).*\1$/.test(v) ? v.slice(1, -1) : v;
}

function stripComment(text: string): string {
  // A `#` starts a comment at the line start or after a space (not inside `a#b`).
  return text.replace(/(^|\s)#.*$/, '');
}

function integerList(raw: string): number[] | null {
  const match = /^\[(.*)\]$/.exec(raw.trim());
  if (!match) return null;
  const items = match[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const values = items.map(parseFiniteNumber);
  return values.every((v) => v !== null && Number.isInteger(v) && v >= 0)
    ? (values as number[])
    : null;
}

export function parseDataYaml(
  text: string,
  file: string,
  problems: ProblemList,
): YoloDataYaml | null {
  const before = problems.count;
  const top = new Map<string, { value: string; line: number; block: string[] }>();
  let current: { block: string[] } | null = null;
  for (const line of splitLines(text)) {
    const body = stripComment(line.text);
    if (body.trim() === '') continue;
    if (/^\s/.test(body)) {
      current?.block.push(body.trim());
      continue;
    }
    const match = /^([A-Za-z_][\w-]*)\s*:(.*)$/.exec(body);
    if (!match) {
      problems.add(file, line.number, `expected "key: value", found "${line.text.trim()}"`);
      current = null;
      continue;
    }
    const entry = { value: match[2]!.trim(), line: line.number, block: [] as string[] };
    top.set(match[1]!, entry);
    current = entry;
  }
  const shapeEntry = top.get('kpt_shape');
  const shape = shapeEntry ? integerList(shapeEntry.value) : null;
  if (!shapeEntry) problems.add(file, undefined, 'no kpt_shape (needed for pose labels)');
  else if (!shape || shape.length !== 2 || shape[0]! < 1 || (shape[1] !== 2 && shape[1] !== 3)) {
    problems.add(
      file,
      shapeEntry.line,
      `kpt_shape must be [points, 2 or 3], not ${shapeEntry.value}`,
    );
  }
  const flipEntry = top.get('flip_idx');
  let flipIdx: number[] | undefined;
  if (flipEntry) {
    const list = integerList(flipEntry.value);
    const k = shape?.[0];
    if (!list) problems.add(file, flipEntry.line, `flip_idx must be a list of point indices`);
    else if (k !== undefined && list.length !== k) {
      problems.add(
        file,
        flipEntry.line,
        `flip_idx has ${list.length} entries, kpt_shape says ${k} points`,
      );
    } else if (list.some((j, i) => j >= list.length || list[j] !== i)) {
      problems.add(
        file,
        flipEntry.line,
        'flip_idx is not an involution (flipping twice must give back each point)',
      );
    } else flipIdx = list;
  }
  const namesEntry = top.get('names');
  let names: string[] = [];
  if (namesEntry) {
    const flow = /^\[(.*)\]$/.exec(namesEntry.value);
    if (flow)
      names = flow[1]!
        .split(',')
        .map(unquote)
        .filter((n) => n !== '');
    else if (namesEntry.value === '') {
      names = namesEntry.block.map((item) => unquote(item.replace(/^-\s*|^\d+\s*:\s*/, '')));
    } else problems.add(file, namesEntry.line, 'names must be a list or an index: name map');
  }
  if (problems.count !== before) return null;
  const result: YoloDataYaml = { kptShape: [shape![0]!, shape![1] as 2 | 3], names };
  for (const key of ['path', 'train', 'val'] as const) {
    const entry = top.get(key);
    if (entry && entry.value !== '') result[key] = unquote(entry.value);
  }
  if (flipIdx) result.flipIdx = flipIdx;
  return result;
}

export function serialiseDataYaml(data: YoloDataYaml): string {
  const lines: string[] = [];
  for (const key of ['path', 'train', 'val'] as const) {
    if (data[key] !== undefined) lines.push(`${key}: ${data[key]}`);
  }
  lines.push(`kpt_shape: [${data.kptShape.join(', ')}]`);
  if (data.flipIdx) lines.push(`flip_idx: [${data.flipIdx.join(', ')}]`);
  lines.push('names:', ...data.names.map((n, i) => `  ${i}: ${n}`));
  return lines.join('\n') + '\n';
}
