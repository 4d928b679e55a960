/**
 * What a folder holds, for tests that show an operation left it exactly as it was: take one
 * before, one after, and compare.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The text of each file directly in `folder`, by name (sub-folders are not read). */
export async function fileTexts(folder: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.isFile()) files[entry.name] = await readFile(path.join(folder, entry.name), 'utf8');
  }
  return files;
}

/**
 * Every folder and file under `dir` by relative path: a folder as `name/` with the value
 * `'folder'`, a file with its bytes' sha256.
 */
export async function treeSnapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        files[`${path.relative(dir, full)}/`] = 'folder';
        await walk(full);
      } else {
        const bytes = await readFile(full);
        files[path.relative(dir, full)] = createHash('sha256').update(bytes).digest('hex');
      }
    }
  };
  await walk(dir);
  return files;
}
