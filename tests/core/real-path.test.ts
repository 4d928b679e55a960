import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInside, climbsOut, liesInside, relativeInside } from '../../src-main/core/real-path';

describe('climbsOut', () => {
  it.each([
    ['..', true],
    [`..${path.sep}a.jpg`, true],
    [`..${path.sep}..${path.sep}b`, true],
    ['..notes.jpg', false],
    [`..a${path.sep}b.jpg`, false],
    ['a.jpg', false],
    ['', false],
  ])('%j: %s', (relative, out) => {
    expect(climbsOut(relative)).toBe(out);
  });
});

describe('relativeInside', () => {
  const root = path.resolve('/projects/faces');
  it('gives the path from the folder, empty for the folder itself', () => {
    expect(relativeInside(root, root)).toBe('');
    expect(relativeInside(root, path.join(root, 'images', 'a.jpg'))).toBe(
      path.join('images', 'a.jpg'),
    );
    expect(relativeInside(root, path.join(root, '..notes.jpg'))).toBe('..notes.jpg');
  });

  it('is null for what lies above or beside the folder', () => {
    expect(relativeInside(root, path.dirname(root))).toBeNull();
    expect(relativeInside(root, `${root}-old${path.sep}a.jpg`)).toBeNull();
    expect(relativeInside(root, path.resolve('/elsewhere/a.jpg'))).toBeNull();
  });
});

describe('liesInside', () => {
  const root = path.resolve('/projects/faces');
  it('takes the folder itself and anything below it, a name starting with two dots too', () => {
    expect(liesInside(root, root)).toBe(true);
    expect(liesInside(root, path.join(root, 'images', 'a.jpg'))).toBe(true);
    expect(liesInside(root, path.join(root, '..notes.jpg'))).toBe(true);
  });

  it('refuses its parent, a sibling that shares its name as a prefix, and what lies above', () => {
    expect(liesInside(root, path.dirname(root))).toBe(false);
    expect(liesInside(root, `${root}-old${path.sep}a.jpg`)).toBe(false);
    expect(liesInside(root, path.resolve('/etc/passwd'))).toBe(false);
  });
});

describe('checkInside', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'real-path-'));
    await writeFile(path.join(dir, '..dots.jpg'), 'x');
    await symlink(os.tmpdir(), path.join(dir, 'out'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('judges a link by where it leads and a missing file as missing', async () => {
    expect(await checkInside(dir, path.join(dir, '..dots.jpg'))).toEqual({
      kind: 'inside',
      real: path.join(dir, '..dots.jpg'),
    });
    expect((await checkInside(dir, path.join(dir, 'out'))).kind).toBe('outside');
    expect(await checkInside(dir, path.join(dir, 'gone.jpg'))).toEqual({ kind: 'missing' });
  });
});
