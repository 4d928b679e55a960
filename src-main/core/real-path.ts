/**
 * The studio's one symlink rule: a path is judged by where it really is. Symbolic links are
 * resolved first (realpath), then the "does it lie inside that folder" check is made on the
 * result, so a link inside a folder that points out of it counts as outside. Imports use it for
 * every image and label file of a set, the media routes for every image they serve, and the
 * browser studio's projects root for every folder it is sent.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** Whether `target` is `root` or lies below it; both must already be real, absolute paths. */
export function liesInside(root: string, target: string): boolean {
  return relativeInside(root, target) !== null;
}

/**
 * `target`'s path from `root` when it is `root` (`''`) or lies below it; null when it climbs out
 * or is on another drive (where `path.relative` answers an absolute path). Paths are taken as
 * they are written: `liesInside` on real paths is the symlink-safe judgement.
 */
export function relativeInside(root: string, target: string): string | null {
  const relative = path.relative(root, target);
  return climbsOut(relative) || path.isAbsolute(relative) ? null : relative;
}

/**
 * Whether a path relative to a folder (`path.relative`'s answer) starts by leaving it: its first
 * segment is `..`. A name that merely starts with two dots (`..notes.jpg`) lies inside.
 */
export function climbsOut(relative: string): boolean {
  return relative === '..' || relative.startsWith(`..${path.sep}`);
}

/** The real path of `file`, or null when it (or a folder on its way) does not exist. */
export async function realPathOrNull(file: string): Promise<string | null> {
  return realpath(file).catch(() => null);
}

export type InsideCheck =
  { kind: 'inside'; real: string } | { kind: 'missing' } | { kind: 'outside'; real: string };

/** Where `file` really is, and whether that lies inside `realRoot` (a real path). */
export async function checkInside(realRoot: string, file: string): Promise<InsideCheck> {
  const real = await realPathOrNull(file);
  if (real === null) return { kind: 'missing' };
  return liesInside(realRoot, real) ? { kind: 'inside', real } : { kind: 'outside', real };
}

/** Why `file` may not be read as part of the folder `realRoot`, or null when it really lies inside. */
export async function outsideProblem(realRoot: string, file: string): Promise<string | null> {
  const where = await checkInside(realRoot, file);
  return where.kind === 'outside' ? outsideMessage(where.real) : null;
}

export function outsideMessage(real: string): string {
  return `really lies at ${real}, outside the folder being imported (a symbolic link leads out of it)`;
}
