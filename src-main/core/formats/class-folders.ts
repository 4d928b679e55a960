/**
 * Expression class folders: `<root>/<class>/<image>`, the folder name is the expression, or with a
 * split level above the classes, `<root>/train/<class>/<image>` (and `val/`, `test/`; the import
 * takes the split from the path). A folder named by another name of a class (FER-2013's `angry`
 * for `anger`, CK+'s `happiness` for `happy`) is that class (schemas/expression-aliases.ts). Dotfiles
 * are skipped; any other file in a class folder that is not an image, a folder that is not one of
 * the set's classes, or an image outside a class folder is a problem, all listed together.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ProblemList } from '../problems';
import { expressionClass } from '../schemas/expression-aliases';
import { carrying, type LabelFormat } from './format';
import { splitFromPath } from './label-files';
import type { LabelledImage, LabelledSet } from './model';
import { projectPathOf } from './relative-path';

const IMAGE = /\.(jpe?g|png|bmp|webp|gif|tiff?|ppm|pgm)$/i;

/** CK+ file names start with the subject: `S010_004_00000017.png` → `S010`. */
export const CK_PLUS_SUBJECT = /^(S\d{3})_/;

export interface ClassFolderOptions {
  /** The expression classes allowed (an attribute set's `expressions`); default: any folder. */
  classes?: readonly string[];
  /**
   * A pattern whose first group, matched on the file name, is the subject id. Default: CK+'s
   * `S###_` when every image's name starts so, else none.
   */
  subjectPattern?: RegExp;
}

export async function importClassFolders(
  root: string,
  options: ClassFolderOptions = {},
): Promise<LabelledSet> {
  const problems = new ProblemList();
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const set: LabelledSet = [];
  for (const entry of entries) {
    // Links are taken like files here; the import then judges each by its real path.
    if (!(entry.isFile() || entry.isSymbolicLink()) || entry.name.startsWith('.')) continue;
    const file = projectPathOf(root, join(entry.parentPath, entry.name));
    const parts = file.split('/');
    if (parts.some((p) => p.startsWith('.'))) continue;
    if (!IMAGE.test(entry.name)) {
      if (parts.length > 1) problems.add(file, undefined, 'not an image');
      continue;
    }
    // `<class>/<image>`, or `<split>/<class>/<image>` (FER-2013's train/ and test/).
    const underSplit = parts.length === 3 && splitFromPath(`${parts[0]}/${parts[2]}`) !== undefined;
    if (parts.length !== 2 && !underSplit) {
      problems.add(
        file,
        undefined,
        parts.length === 1
          ? 'image outside a class folder'
          : parts.length === 3
            ? `image nested below its class folder ("${parts[0]}" is not train, val or test)`
            : 'image nested below its class folder',
      );
      continue;
    }
    const folder = parts[parts.length - 2]!;
    const expression = options.classes ? expressionClass(folder, options.classes) : folder;
    if (expression === undefined) {
      problems.add(
        file,
        undefined,
        `"${folder}" is not one of the classes ${options.classes!.join(', ')} nor a name for one`,
      );
      continue;
    }
    set.push({ file, faces: [{ points: [], expression }] });
  }
  const name = (image: LabelledImage) => image.file.slice(image.file.lastIndexOf('/') + 1);
  const pattern =
    options.subjectPattern ??
    (set.length > 0 && set.every((image) => CK_PLUS_SUBJECT.test(name(image)))
      ? CK_PLUS_SUBJECT
      : undefined);
  if (pattern)
    for (const image of set) {
      const subject = pattern.exec(name(image))?.[1];
      if (subject) image.subject = subject;
    }
  if (set.length === 0 && problems.count === 0)
    problems.add(root, undefined, 'no images in class folders');
  problems.throwIfAny(`Cannot import the class folders in ${root}`);
  return set.sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * Where each image goes in a class-folder export: `<expression>/<file name>`. Images without an
 * expression are left out; a second file with the same name in a class gets `_2`, `_3`, ...
 */
export function planClassFolderExport(set: LabelledSet): { source: string; target: string }[] {
  const used = new Set<string>();
  const plan: { source: string; target: string }[] = [];
  for (const image of set) {
    const expression = image.faces.find((f) => f.expression)?.expression;
    if (!expression) continue;
    const name = image.file.split('/').pop()!;
    const dot = name.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    let target = `${expression}/${name}`;
    for (let n = 2; used.has(target); n += 1) target = `${expression}/${stem}_${n}${ext}`;
    used.add(target);
    plan.push({ source: image.file, target });
  }
  return plan;
}

/** `<folder>/<class>/<image>`: a folder of folders holding images and nothing else. */
export const classFoldersFormat: LabelFormat = {
  id: 'class-folders',
  name: 'Expression class folders',
  expects: 'one folder per expression class holding its images (<folder>/<class>/<image>)',
  carries: carrying({ expression: true }),
  predictions: ['expression'],
  needsPoints: false,
  imageFolder: '',
  detect: ({ files, folders }) =>
    files.length === 0 &&
    folders.size > 0 &&
    [...folders.values()].every((names) => names.length > 0 && names.every((n) => IMAGE.test(n))),
  read: ({ path, expressions, subjectPattern }) =>
    importClassFolders(path, {
      ...(expressions ? { classes: expressions } : {}),
      ...(subjectPattern ? { subjectPattern } : {}),
    }),
  // The folder names are the labels: the images are the output.
  write: (set) => ({ texts: [], placement: planClassFolderExport(set) }),
};
