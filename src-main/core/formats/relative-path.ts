/**
 * Image paths named inside annotation files are resolved against the dataset root. A name that
 * is absolute or climbs out with `..` could make an import read (or an export write) any file on
 * the machine, so it is refused rather than cleaned up.
 */

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
