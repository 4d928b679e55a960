/**
 * Size limits on the files an import reads, checked with one `stat` before a byte is read or
 * hashed, so a huge (or sparse) file is refused at once, by name and size, instead of failing deep
 * inside a reader ("File size … is greater than 2 GiB") or after minutes of hashing.
 *
 * - Annotation text (.pts, .json, .txt lists, .xml, .yaml): 512 MiB. V8 cannot hold a string much
 *   longer than 2^29 characters (about 512 Mi), so a larger text file could never be parsed whole;
 *   the largest public landmark sets' annotation files are tens of MB.
 * - Images: 640 MiB. The pixel limit is 100 MP, and the biggest honest file of such an image is an
 *   uncompressed 16-bit RGB PPM of 600 MB; any larger image file is padding or a trap.
 */
import { readFile, stat } from 'node:fs/promises';
import { StudioError } from '../shared/errors';

const MiB = 1024 * 1024;

export const TEXT_FILE_LIMIT = 512 * MiB;
export const IMAGE_FILE_LIMIT = 640 * MiB;

export type InputFileKind = 'annotation' | 'image';

const LIMITS: Readonly<Record<InputFileKind, number>> = {
  annotation: TEXT_FILE_LIMIT,
  image: IMAGE_FILE_LIMIT,
};

/** A file over its kind's size limit; the message names the file, its size and the limit. */
export class FileTooLarge extends StudioError {
  readonly file: string;
  readonly size: number;

  constructor(file: string, size: number, kind: InputFileKind, limit: number) {
    super('invalid-payload', `${file}: ${tooLargeDetail(size, kind, limit)}`);
    this.name = 'FileTooLarge';
    this.file = file;
    this.size = size;
  }
}

/** `1.9 GiB`, `600 MiB`, `12 KiB`, `5 bytes`. */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** What is wrong with a file of `size` bytes of this kind, or null when it is within the limit. */
export function sizeProblem(
  size: number,
  kind: InputFileKind,
  limit = LIMITS[kind],
): string | null {
  return size > limit ? tooLargeDetail(size, kind, limit) : null;
}

function tooLargeDetail(size: number, kind: InputFileKind, limit: number): string {
  return `${formatSize(size)} is too large for an ${kind} file (the limit is ${formatSize(limit)})`;
}

/** Stats `file` and refuses it when it is over the kind's limit; returns its size. */
export async function checkFileSize(
  file: string,
  kind: InputFileKind,
  limit = LIMITS[kind],
): Promise<number> {
  const info = await stat(file).catch((error: unknown) => {
    throw new StudioError('not-found', `${file} does not exist or cannot be read`, {
      cause: error,
    });
  });
  if (info.size > limit) throw new FileTooLarge(file, info.size, kind, limit);
  return info.size;
}

/** An annotation file's text (UTF-8), after the size check. */
export async function readAnnotationText(file: string): Promise<string> {
  await checkFileSize(file, 'annotation');
  return readFile(file, 'utf8');
}

/** An annotation file's bytes (for formats that declare their encoding), after the size check. */
export async function readAnnotationBytes(file: string): Promise<Buffer> {
  await checkFileSize(file, 'annotation');
  return readFile(file);
}
