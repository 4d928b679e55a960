/**
 * CelebA attribute lists (`list_attr_celeba.txt`): the image count, a line of attribute names,
 * then `file v1 … vN` with each v in {-1, 1}. Faces carry attributes only (no points).
 */
import { StudioError } from '../../shared/errors';
import { readAnnotationText } from '../input-files';
import { ProblemList } from '../problems';
import { carrying, type LabelFormat } from './format';
import { labelledIn, locate } from './label-files';
import type { LabelledSet } from './model';
import { checkRelativePath } from './relative-path';
import { fields, parseFiniteNumber, splitLines } from './text-lines';

export interface CelebaImport {
  set: LabelledSet;
  attributeNames: string[];
}

export interface CelebaOptions {
  /** The attribute set's names, in order; a file with other names is an error. */
  attributeNames?: readonly string[];
}

/** A whole list, or a StudioError naming every bad line. */
export function parseCelebaAttributes(
  text: string,
  file: string,
  options: CelebaOptions = {},
): CelebaImport {
  const problems = new ProblemList();
  const lines = splitLines(text).filter((line) => line.text.trim() !== '');
  const countLine = lines[0];
  const namesLine = lines[1];
  const count = countLine ? parseFiniteNumber(countLine.text.trim()) : null;
  if (count === null || !Number.isInteger(count) || count < 0) {
    problems.add(file, countLine?.number ?? 1, 'expected the image count on the first line');
  }
  const names = namesLine ? fields(namesLine.text) : [];
  if (names.length === 0)
    problems.add(file, namesLine?.number ?? 2, 'expected the attribute names');
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) problems.add(file, namesLine!.number, `duplicate attribute name "${duplicate}"`);
  const expected = options.attributeNames;
  if (expected && names.length > 0 && names.join(' ') !== expected.join(' ')) {
    const missing = expected.filter((n) => !names.includes(n));
    const detail =
      missing.length > 0 ? `missing ${missing.slice(0, 5).join(', ')}` : 'different order';
    problems.add(
      file,
      namesLine!.number,
      `attribute names differ from the set's ${expected.length} (${detail})`,
    );
  }
  problems.throwIfAny(`Cannot import ${file}`);

  const rows = lines.slice(2);
  if (rows.length !== count) {
    problems.add(
      file,
      countLine!.number,
      `the count says ${count} images but ${rows.length} rows follow`,
    );
  }
  const set: LabelledSet = [];
  const seen = new Set<string>();
  for (const line of rows) {
    const parts = fields(line.text);
    if (parts.length !== names.length + 1) {
      problems.add(
        file,
        line.number,
        `expected a file name and ${names.length} values, found ${parts.length} fields`,
      );
      continue;
    }
    const path = checkRelativePath(parts[0]!);
    if ('problem' in path) {
      problems.add(file, line.number, path.problem);
      continue;
    }
    if (seen.has(path.path)) problems.add(file, line.number, `"${path.path}" is listed twice`);
    seen.add(path.path);
    const attributes: Record<string, boolean> = {};
    parts.slice(1).forEach((value, i) => {
      if (value === '1') attributes[names[i]!] = true;
      else if (value === '-1') attributes[names[i]!] = false;
      else problems.add(file, line.number, `${names[i]} must be -1 or 1, not "${value}"`);
    });
    set.push({ file: path.path, faces: [{ points: [], attributes }] });
  }
  problems.throwIfAny(`Cannot import ${file}`);
  return { set, attributeNames: names };
}

/** The list for a set: one row per image (its first face); a missing attribute is an error. */
export function serialiseCelebaAttributes(
  set: LabelledSet,
  attributeNames: readonly string[],
): string {
  const problems = new ProblemList();
  const rows = set.map((image) => {
    const attributes = image.faces[0]?.attributes ?? {};
    const values = attributeNames.map((name) => {
      const value = attributes[name];
      if (value === undefined) problems.add(image.file, undefined, `has no "${name}" attribute`);
      return value ? ' 1' : '-1';
    });
    return `${image.file} ${values.join(' ')}`;
  });
  problems.throwIfAny('Cannot write a CelebA attribute list');
  return [String(set.length), attributeNames.join(' '), ...rows, ''].join('\n');
}

/** `list_attr_celeba.txt`, else the one `.txt` in the folder. */
export const celebaFormat: LabelFormat = {
  id: 'celeba',
  name: 'CelebA attributes',
  expects: 'list_attr_celeba.txt and the images it names',
  carries: carrying({ attributes: true }),
  predictions: ['attributes'],
  needsPoints: false,
  imageFolder: '',
  detect: ({ files }) => files.includes('list_attr_celeba.txt'),
  async read({ path, isFile, labelFile }) {
    const file = await labelFile(await locate(path, isFile, ['list_attr_celeba.txt'], '.txt'));
    return labelledIn(file, parseCelebaAttributes(await readAnnotationText(file), file).set);
  },
  write(set, { attributeNames }) {
    if (attributeNames.length === 0) {
      throw new StudioError(
        'invalid-payload',
        'Cannot export CelebA attributes: the attribute set has no yes/no attributes',
      );
    }
    const text = serialiseCelebaAttributes(set, attributeNames);
    return { texts: [{ file: 'list_attr_celeba.txt', text }] };
  },
};
