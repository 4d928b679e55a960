/**
 * Writing a dataset folder: label files and image copies, planned in full first, then written to
 * a new or empty folder. The library export and `predict` both write their output this way.
 */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { climbsOut } from '../real-path';
import type { Split } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import { writeFileAtomic } from '../atomic-write';
import type { LabelFormat, WriteContext } from '../formats/format';
import type { LabelledImage } from '../formats/model';

export interface PlannedFiles {
  /** Label files: path relative to the folder → text. */
  texts: { file: string; text: string }[];
  /** Image copies: absolute source → path relative to the folder. */
  copies: { source: string; target: string }[];
}

/** An image to write: its labels, named as in the folder, and where its file is now. */
export interface FolderImage {
  /** `file` is the image's `/`-separated name in the folder, before the format's image folder. */
  image: LabelledImage;
  /** The image file to copy. */
  source: string;
  split?: Split;
}

/**
 * The files of a dataset folder in `format`: its label files, and each image copied under its
 * name (unless `copyImages` is false) or where the format places it (class folders).
 */
export function planLabelledFolder(
  format: LabelFormat,
  images: readonly FolderImage[],
  context: Omit<WriteContext, 'splitOf'>,
  copyImages = true,
): PlannedFiles {
  const named = images.map((entry) => ({
    ...entry,
    image: { ...entry.image, file: format.imageFolder + entry.image.file },
  }));
  const byFile = new Map(named.map((entry) => [entry.image.file, entry]));
  const written = format.write(
    named.map(({ image }) => image),
    { ...context, splitOf: (file) => byFile.get(file)?.split },
  );
  const sourceOf = (file: string): string => byFile.get(file)!.source;
  if (written.placement) {
    const copies = written.placement.map(({ source, target }) => ({
      source: sourceOf(source),
      target,
    }));
    return { texts: written.texts, copies };
  }
  const copies = copyImages
    ? named.map(({ image, source }) => ({ source, target: image.file }))
    : [];
  return { texts: written.texts, copies };
}

/** Image copies run this many at a time: enough to hide disk latency, few enough for handles. */
const COPY_WORKERS = 8;

/** The deepest folder that holds every one of `files` (the root when there are none). */
export function commonFolder(files: readonly string[]): string {
  if (files.length === 0) return sep;
  let common = dirname(files[0]!);
  for (const file of files) {
    while (climbsOut(relative(common, file))) common = dirname(common);
  }
  return common;
}

/** Fails unless `outDir` is missing or empty; `role` names the folder in the message. */
export async function requireEmptyFolder(outDir: string, role: string): Promise<void> {
  const entries = await readdir(outDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new StudioError('io', `Cannot read the ${role} folder ${outDir}: ${error.message}`);
  });
  if (entries.length > 0) {
    throw new StudioError(
      'conflict',
      `The ${role} folder ${outDir} is not empty; pick a new or empty folder`,
    );
  }
}

export interface WritePlannedOptions {
  /** What is written, for the error message ("the export", "the predictions"). */
  what: string;
  /** Write label files atomically (one fsync each); a plain write is faster for many files. */
  atomic?: boolean;
}

/** Writes `planned` under `outDir`, making folders as needed; any failure is one `io` error. */
export async function writePlannedFiles(
  outDir: string,
  planned: PlannedFiles,
  options: WritePlannedOptions,
): Promise<void> {
  const writeText = options.atomic ? writeFileAtomic : writeFile;
  try {
    for (const { file, text } of planned.texts) {
      await mkdir(dirname(join(outDir, file)), { recursive: true });
      await writeText(join(outDir, file), text);
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < planned.copies.length) {
        const { source, target } = planned.copies[next++]!;
        await mkdir(dirname(join(outDir, target)), { recursive: true });
        await copyFile(source, join(outDir, target));
      }
    };
    await Promise.all(Array.from({ length: COPY_WORKERS }, worker));
  } catch (error) {
    throw new StudioError('io', `Cannot write ${options.what} to ${outDir}: ${String(error)}`, {
      cause: error,
    });
  }
}
