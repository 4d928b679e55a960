/**
 * MTFL lists (`training.txt`, `testing.txt`): one face per row,
 * `path x1 x2 x3 x4 x5 y1 y2 y3 y4 y5 gender smile glasses pose` — all five x first, then the five
 * y. Points: left eye, right eye, nose, left mouth corner, right mouth corner (the `five` schema).
 * Attributes are coded 1 yes / 2 no (gender: 1 male), pose 1..5 from left profile to right profile.
 * They are stored under CelebA's names (`Male`, `Smiling`, `Eyeglasses`) so the two sets agree.
 */
import { StudioError } from '../../shared/errors';
import { readAnnotationText } from '../input-files';
import { ProblemList } from '../problems';
import { carrying, type LabelFormat } from './format';
import { labelledIn, present, readEach, withSplitOf } from './label-files';
import type { FormatPoint, LabelledFace, LabelledImage, LabelledSet } from './model';
import { visiblePoint } from './model';
import { checkRelativePath } from './relative-path';
import { fields, formatNumber, parseFiniteNumber, splitLines } from './text-lines';

/** The binary attributes in column order, with the name each takes in the studio. */
export const MTFL_BINARY_ATTRIBUTES = ['Male', 'Smiling', 'Eyeglasses'] as const;
/** Pose codes 1..5 in order. */
export const MTFL_POSES = ['left profile', 'left', 'frontal', 'right', 'right profile'] as const;
const POINTS = 5;
const COLUMNS = 1 + 2 * POINTS + MTFL_BINARY_ATTRIBUTES.length + 1;

function parseCode(text: string, max: number): number | null {
  const value = parseFiniteNumber(text);
  return value !== null && Number.isInteger(value) && value >= 1 && value <= max ? value : null;
}

/** A whole list, or a StudioError naming every bad line. */
export function parseMtfl(text: string, file: string): LabelledSet {
  const problems = new ProblemList();
  const byFile = new Map<string, LabelledFace[]>();
  for (const line of splitLines(text)) {
    const parts = fields(line.text);
    if (parts.length === 0) continue;
    if (parts.length !== COLUMNS) {
      problems.add(file, line.number, `expected ${COLUMNS} columns, found ${parts.length}`);
      continue;
    }
    const before = problems.count;
    const path = checkRelativePath(parts[0]!);
    if ('problem' in path) problems.add(file, line.number, path.problem);
    const coords = parts.slice(1, 1 + 2 * POINTS).map(parseFiniteNumber);
    const bad = coords.findIndex((c) => c === null);
    if (bad >= 0) {
      const name = bad < POINTS ? `x${bad + 1}` : `y${bad - POINTS + 1}`;
      problems.add(file, line.number, `${name} is not a finite number: "${parts[1 + bad]}"`);
    }
    const codes = parts.slice(1 + 2 * POINTS);
    const binary = MTFL_BINARY_ATTRIBUTES.map((name, i) => {
      const code = parseCode(codes[i]!, 2);
      if (code === null)
        problems.add(file, line.number, `${name} must be 1 or 2, not "${codes[i]}"`);
      return code === 1;
    });
    const pose = parseCode(codes[3]!, 5);
    if (pose === null) problems.add(file, line.number, `pose must be 1..5, not "${codes[3]}"`);
    if (problems.count !== before || 'problem' in path) continue;
    const xy = coords as number[];
    const points: FormatPoint[] = [];
    for (let i = 0; i < POINTS; i += 1) points.push(visiblePoint(xy[i]!, xy[POINTS + i]!));
    const attributes = Object.fromEntries(MTFL_BINARY_ATTRIBUTES.map((n, i) => [n, binary[i]!]));
    const face: LabelledFace = { points, attributes, classes: { pose: MTFL_POSES[pose! - 1]! } };
    const faces = byFile.get(path.path) ?? [];
    faces.push(face);
    byFile.set(path.path, faces);
  }
  problems.throwIfAny(`Cannot import ${file}`);
  return [...byFile].map(([path, faces]) => ({ file: path, faces }));
}

/** Rows for every face; a face without five points or one of the four attributes is an error. */
export function serialiseMtfl(set: LabelledSet): string {
  const problems = new ProblemList();
  const rows: string[] = [];
  for (const image of set) {
    image.faces.forEach((face, i) => {
      const where = `${image.file} face ${i + 1}`;
      if (face.points.length !== POINTS) {
        problems.add(where, undefined, `has ${face.points.length} points; MTFL needs ${POINTS}`);
        return;
      }
      const codes: number[] = [];
      for (const name of MTFL_BINARY_ATTRIBUTES) {
        const value = face.attributes?.[name];
        if (value === undefined) problems.add(where, undefined, `has no "${name}" attribute`);
        codes.push(value ? 1 : 2);
      }
      const pose = MTFL_POSES.indexOf(face.classes?.pose as (typeof MTFL_POSES)[number]);
      if (pose < 0) problems.add(where, undefined, `has no MTFL pose (${MTFL_POSES.join(', ')})`);
      codes.push(pose + 1);
      const xs = face.points.map((p) => formatNumber(p.x));
      const ys = face.points.map((p) => formatNumber(p.y));
      rows.push([image.file, ...xs, ...ys, ...codes].join(' '));
    });
  }
  problems.throwIfAny('Cannot write an MTFL list');
  return rows.map((row) => `${row}\n`).join('');
}

/** `training.txt` (split train) and `testing.txt` (split test). */
export const mtflFormat: LabelFormat = {
  id: 'mtfl',
  name: 'MTFL',
  expects: 'training.txt and testing.txt with the images they name',
  carries: carrying({ points: true, attributes: true, classes: true }),
  predictions: [],
  landmarkSchema: 'five',
  needsPoints: true,
  imageFolder: '',
  detect: ({ files }) => files.includes('training.txt') || files.includes('testing.txt'),
  async read({ path, isFile, labelFile }) {
    const files = isFile ? [path] : await present(path, ['training.txt', 'testing.txt']);
    if (files.length === 0) {
      throw new StudioError('not-found', `${path} holds no MTFL list (training.txt, testing.txt)`);
    }
    return readEach(files, async (file) =>
      labelledIn(
        file,
        parseMtfl(await readAnnotationText(await labelFile(file)), file).map((image) =>
          withSplitOf(file, image),
        ),
      ),
    );
  },
  write(set, { splitOf }) {
    // The test split goes to testing.txt, everything else to training.txt, as MTFL has it.
    const isTest = (image: LabelledImage): boolean => splitOf(image.file) === 'test';
    const texts = [{ file: 'training.txt', text: serialiseMtfl(set.filter((i) => !isTest(i))) }];
    const testing = set.filter(isTest);
    if (testing.length > 0) texts.push({ file: 'testing.txt', text: serialiseMtfl(testing) });
    return { texts };
  },
};
