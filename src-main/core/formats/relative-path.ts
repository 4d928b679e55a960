/**
 * The studio stores an image's path relative to its dataset root with `/` separators. Two kinds
 * of path become one: names written inside annotation files (`checkRelativePath`) and files found
 * by listing a folder (`projectPathOf`). They are converted differently, because a `\` in an
 * annotation file is a Windows separator while a `\` in a name read from disk on Linux or macOS is
 * part of that name.
 *
 * Image paths named inside annotation files are resolved against the dataset root. A name that
 * is absolute or climbs out with `..` could make an import read (or an export write) any file on
 * the machine, so it is refused rather than cleaned up.
 */
import { relative, sep } from 'node:path';

/** The path with `/` separators, or a reason it is not a safe relative path. */
export function checkRelativePath(name: string): { path: string } | { problem: string } {
  if (name.trim() === '') return { problem: 'empty file name' };
  if (name.includes('\0')) return { problem: 'file name contains a NUL character' };
  // MTFL's original lists use Windows separators; the studio stores `/`.
  const path = name.replace(/\\/g, '/');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.startsWith('//')) {
    return { problem: `file name "${name}" is absolute; it must be relative to the dataset root` };
  }
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) {
    return { problem: `file name "${name}" leaves the dataset root ("..")` };
  }
  if (parts.length === 0) return { problem: `file name "${name}" names no file` };
  return { path: parts.join('/') };
}

/**
 * `file` (found under `root` by listing folders) as a project path: relative to `root`, with `/`
 * separators. Only the platform's separator is converted: on Linux and macOS a file may be named
 * `face\1.jpg`, and reading its `\` as a separator would name a file that is not there.
 */
export function projectPathOf(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}
