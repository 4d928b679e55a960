/**
 * Reading a project that another process writes: labels.json plus the label journal is only a
 * consistent snapshot if no compaction finished between reading labels.json and reading the
 * journal files (the compaction moves journal lines into a new labels.json and then removes them,
 * so a reader could see the old labels.json and no longer find those lines). Every write replaces
 * labels.json by rename, so a file that is the same before and after the read (same inode, size
 * and modification time) was not rewritten meanwhile.
 */
import { stat } from 'node:fs/promises';
import { StudioError } from '../shared/errors';

/** Tries before giving up; each retry follows a whole compaction, which takes a moment. */
const ATTEMPTS = 5;

/** Runs `read` until `file` was not replaced while it ran, and returns that run's result. */
export async function readWhileUnchanged<T>(file: string, read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const before = await identity(file);
    const result = await read();
    if ((await identity(file)) === before) return result;
    if (attempt >= ATTEMPTS) {
      throw new StudioError(
        'conflict',
        `${file} was rewritten by another process each of ${ATTEMPTS} times it was read; try again`,
      );
    }
  }
}

/**
 * A file's identity: device, inode, size and modification time (ns). Every write replaces a
 * project file by rename, so the same identity means the same bytes.
 */
export function identityOf(info: {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}`;
}

async function identity(file: string): Promise<string> {
  try {
    return identityOf(await stat(file, { bigint: true }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw new StudioError('io', `Cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
