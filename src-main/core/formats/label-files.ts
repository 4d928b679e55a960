/**
 * Finding a format's label files in a folder, reading several of them with their problems thrown
 * together, the splits their names and folders set, and the listing detection judges a folder by.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Split } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import { InputProblemsError, ProblemList } from '../problems';
import type { FolderListing, SourceImage } from './format';

const SPLIT_NAMES: Readonly<Record<string, Split>> = {
  train: 'train',
  training: 'train',
  trainset: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
  testing: 'test',
  testset: 'test',
};

/** The split a folder on the path names (`train/a.jpg`), or undefined. */
export function splitFromPath(file: string): Split | undefined {
  const folders = file.split('/').slice(0, -1);
  for (const folder of folders) {
    const split = SPLIT_NAMES[folder.toLowerCase()];
    if (split) return split;
  }
  return undefined;
}

/** `training_with_face_landmarks` → train. */
function splitFromName(name: string): Split | undefined {
  for (const word of name.toLowerCase().split(/[^a-z]+/)) {
    const split = SPLIT_NAMES[word];
    if (split) return split;
  }
  return undefined;
}

/** The image with the split its list file's name sets (`testing.txt` → test), if any. */
export function withSplitOf(listFile: string, image: SourceImage): SourceImage {
  const split = splitFromName(basename(listFile).replace(/\.[^.]+$/, ''));
  return split ? { ...image, split } : image;
}

/** Each image marked as labelled in `file`. */
export function labelledIn(file: string, images: readonly SourceImage[]): SourceImage[] {
  return images.map((image) => ({ ...image, labelsFrom: file }));
}

/** Reads every file; the problems of all of them are thrown together. */
export async function readEach(
  files: readonly string[],
  read: (file: string) => Promise<SourceImage[]>,
): Promise<SourceImage[]> {
  const images: SourceImage[] = [];
  const problems = new ProblemList();
  for (const file of files) {
    try {
      images.push(...(await read(file)));
    } catch (error) {
      if (error instanceof InputProblemsError) problems.problems.push(...error.problems);
      else if (error instanceof StudioError) problems.add(file, undefined, error.message);
      else throw error;
    }
  }
  problems.throwIfAny(`Cannot import ${files.join(', ')}`);
  return images;
}

/** The first of `names` in `dir`, else its only file ending in `ext`; `dir` itself if a file. */
export async function locate(
  dir: string,
  isFile: boolean,
  names: readonly string[],
  ext: string,
): Promise<string> {
  if (isFile) return dir;
  const [named] = await present(dir, names);
  if (named) return named;
  const candidates = await filesEndingWith(dir, ext);
  if (candidates.length === 1) return candidates[0]!;
  throw new StudioError(
    'not-found',
    candidates.length === 0
      ? `${dir} holds neither ${names.join(' nor ')} nor any ${ext} file`
      : `${dir} holds several ${ext} files (${candidates.map((f) => basename(f)).join(', ')}): name ${names[0]} or pick the file`,
  );
}

/** Those of `names` that are files in `dir`, as paths. */
export async function present(dir: string, names: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of names) {
    const info = await stat(join(dir, name)).catch(() => null);
    if (info?.isFile()) found.push(join(dir, name));
  }
  return found;
}

/** The files directly in `dir` ending in `ext` (any case), dotfiles left out, sorted. */
export async function filesEndingWith(dir: string, ext: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name.toLowerCase().endsWith(ext))
    .map((e) => join(dir, e.name))
    .sort();
}

/** A folder's names as detection judges them (links count as what they lead to). */
export async function listFolder(dir: string): Promise<FolderListing> {
  const files: string[] = [];
  const folders = new Map<string, string[]>();
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const name = entry.name;
    if (name.startsWith('.')) continue;
    const info = entry.isSymbolicLink() ? await stat(join(dir, name)).catch(() => null) : entry;
    if (info?.isFile()) files.push(name);
    else if (info?.isDirectory()) {
      const inside = await readdir(join(dir, name), { withFileTypes: true });
      folders.set(
        name,
        inside
          .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()))
          .map((e) => e.name)
          .sort(),
      );
    }
  }
  return { files, folders };
}

/** Whether any of `names` ends in `ext` (any case). */
export function anyEndsWith(names: readonly string[], ext: string): boolean {
  return names.some((name) => name.toLowerCase().endsWith(ext));
}
