/**
 * 300-W `.pts` files: `version: 1`, `n_points: N`, `{`, N lines `x y`, `}`. One face per file,
 * 1-based pixels (read into 0-based), no visibility. Files without the header (bare `x y` lines)
 * are read too. A folder import pairs `NAME.pts` with the image `NAME.<ext>` beside it.
 */
import { readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { readAnnotationText } from '../input-files';
import { ProblemList } from '../problems';
import { outsideProblem } from '../real-path';
import { carrying, type LabelFormat } from './format';
import { anyEndsWith } from './label-files';
import type { FormatPoint, LabelledImage, LabelledSet } from './model';
import { visiblePoint } from './model';
import { projectPathOf } from './relative-path';
import { fields, formatNumber, parseFiniteNumber, splitLines } from './text-lines';
import type { TextLine } from './text-lines';

export interface PtsOptions {
  /** The schema's point count; a file with another count is an error. */
  pointCount?: number;
}

/** Image extensions looked for beside a `.pts` file, in this order. */
const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.webp'];

function parseCoordinateLine(
  line: TextLine,
  file: string,
  problems: ProblemList,
): FormatPoint | null {
  const parts = fields(line.text);
  if (parts.length !== 2) {
    problems.add(file, line.number, `expected "x y", found ${parts.length} value(s)`);
    return null;
  }
  const x = parseFiniteNumber(parts[0]!);
  const y = parseFiniteNumber(parts[1]!);
  if (x === null || y === null) {
    problems.add(file, line.number, `not a finite number: "${line.text.trim()}"`);
    return null;
  }
  // 300-W counts pixels from 1; the studio from 0.
  return visiblePoint(x - 1, y - 1);
}

function headerValue(line: TextLine | undefined, key: string): string | null {
  if (line === undefined) return null;
  const match = new RegExp(`^\\s*${key}\\s*:\\s*(\\S+)\\s*$`).exec(line.text);
  return match ? match[1]! : null;
}

/**
 * Reads one file's points, adding each problem to `problems`; returns null when there was any.
 */
export function parsePts(
  text: string,
  file: string,
  problems: ProblemList,
  options: PtsOptions = {},
): FormatPoint[] | null {
  const before = problems.count;
  const lines = splitLines(text).filter((line) => line.text.trim() !== '');
  const points: FormatPoint[] = [];
  const hasHeader = lines[0] !== undefined && /^\s*version\s*:/.test(lines[0].text);
  let declared: number | null = null;
  if (hasHeader) {
    const version = headerValue(lines[0], 'version');
    if (version !== '1') problems.add(file, lines[0]!.number, `unsupported version "${version}"`);
    const count = headerValue(lines[1], 'n_points');
    declared = count === null ? null : parseFiniteNumber(count);
    if (declared === null || !Number.isInteger(declared) || declared < 1) {
      problems.add(file, lines[1]?.number ?? 2, 'expected "n_points: N" after the version line');
      return null;
    }
    if (lines[2]?.text.trim() !== '{') {
      problems.add(file, lines[2]?.number ?? 3, 'expected "{" after the header');
      return null;
    }
    const close = lines.findIndex((line, i) => i > 2 && line.text.trim() === '}');
    if (close < 0) {
      const last = lines[lines.length - 1]!;
      problems.add(file, last.number, 'file ends before the closing "}" (truncated?)');
      return null;
    }
    for (const line of lines.slice(close + 1)) {
      problems.add(file, line.number, 'unexpected text after the closing "}"');
    }
    for (const line of lines.slice(3, close)) {
      const point = parseCoordinateLine(line, file, problems);
      if (point) points.push(point);
    }
    if (problems.count === before && points.length !== declared) {
      problems.add(file, lines[1]!.number, `n_points is ${declared} but ${points.length} found`);
    }
  } else {
    for (const line of lines) {
      const point = parseCoordinateLine(line, file, problems);
      if (point) points.push(point);
    }
    if (lines.length === 0) problems.add(file, undefined, 'the file has no points');
  }
  const expected = options.pointCount;
  if (problems.count === before && expected !== undefined && points.length !== expected) {
    // The header's count line is where a reader looks; a headerless file has no such line.
    const line = hasHeader ? lines[1]!.number : undefined;
    problems.add(file, line, `${points.length} points, the schema has ${expected}`);
  }
  return problems.count === before ? points : null;
}

/** One file's points, or a StudioError listing what is wrong with it. */
export function parsePtsFile(text: string, file: string, options: PtsOptions = {}): FormatPoint[] {
  const problems = new ProblemList();
  const points = parsePts(text, file, problems, options);
  problems.throwIfAny(`Cannot read ${file}`);
  return points!;
}

export function serialisePts(points: readonly FormatPoint[]): string {
  const body = points.map((p) => `${formatNumber(p.x + 1)} ${formatNumber(p.y + 1)}`);
  return ['version: 1', `n_points: ${points.length}`, '{', ...body, '}', ''].join('\n');
}

/** Files and links under `dir` (links are judged by their real path when read). */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => join(e.parentPath, e.name));
}

/**
 * Every `.pts` under `root` (recursively), each paired with its image. All files are checked before
 * anything is returned; one error lists every bad file and line.
 */
export async function importPtsFolder(
  root: string,
  options: PtsOptions = {},
): Promise<LabelledSet> {
  const files = await listFiles(root);
  const present = new Set(files.map((f) => projectPathOf(root, f)));
  const ptsFiles = [...present].filter((f) => f.toLowerCase().endsWith('.pts')).sort();
  const problems = new ProblemList();
  if (ptsFiles.length === 0) problems.add(root, undefined, 'no .pts files found');
  const set: LabelledSet = [];
  const realRoot = await realpath(root);
  for (const ptsFile of ptsFiles) {
    const outside = await outsideProblem(realRoot, join(root, ptsFile));
    if (outside !== null) {
      problems.add(ptsFile, undefined, outside);
      continue;
    }
    const text = await readAnnotationText(join(root, ptsFile));
    const points = parsePts(text, ptsFile, problems, options);
    const stem = ptsFile.slice(0, -'.pts'.length);
    const image = IMAGE_EXTENSIONS.map((ext) => stem + ext).find((name) => present.has(name));
    if (image === undefined) {
      problems.add(ptsFile, undefined, `no image beside it (${IMAGE_EXTENSIONS.join(', ')})`);
    }
    if (points && image !== undefined) {
      const record: LabelledImage = { file: image, faces: [{ points }] };
      set.push(record);
    }
  }
  problems.throwIfAny(`Cannot import the .pts files in ${root}`);
  return set;
}

/**
 * The `.pts` files for a set: `NAME.pts` beside `NAME.<ext>`; an image's second and later faces go
 * to `NAME_2.pts`, `NAME_3.pts`, ... Faces without points write no file.
 */
export function exportPts(set: LabelledSet): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const image of set) {
    const stem = image.file.replace(/\.[^./]+$/, '');
    image.faces.forEach((face, i) => {
      if (face.points.length === 0) return;
      out.push({
        file: i === 0 ? `${stem}.pts` : `${stem}_${i + 1}.pts`,
        text: serialisePts(face.points),
      });
    });
  }
  return out;
}

/** Every `NAME.pts` under the folder, with `NAME.<ext>` beside it. */
export const ptsFormat: LabelFormat = {
  id: 'pts',
  name: '300-W .pts',
  expects: 'NAME.pts files, each beside its image NAME.jpg (or .png)',
  carries: carrying({ points: true }),
  predictions: ['landmarks'],
  needsPoints: false,
  imageFolder: '',
  detect: ({ files, folders }) =>
    anyEndsWith(files, '.pts') || [...folders.values()].some((names) => anyEndsWith(names, '.pts')),
  read: ({ path, pointCount }) => importPtsFolder(path, { pointCount }),
  write: (set) => ({ texts: exportPts(set) }),
};
