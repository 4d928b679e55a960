import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_RECENT, RecentProjects } from '../../src-main/core/recent-projects';

let root: string;
let file: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-recent-'));
  file = path.join(root, 'recent.json');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('RecentProjects', () => {
  it('starts empty without a file', async () => {
    expect(await new RecentProjects(file).list()).toEqual([]);
  });

  it('lists the most recent first, one entry per resolved folder, and persists', async () => {
    const recent = new RecentProjects(file);
    await recent.add(path.join(root, 'a'), 'A');
    await recent.add(path.join(root, 'b'), 'B');
    // The same folder written another way moves to the front instead of appearing twice.
    await recent.add(`${root}/x/../a/`, 'A renamed');
    const list = await new RecentProjects(file).list();
    expect(list.map((entry) => [entry.dir, entry.name])).toEqual([
      [path.join(root, 'a'), 'A renamed'],
      [path.join(root, 'b'), 'B'],
    ]);
    expect(Date.parse(list[0]!.openedAt)).toBeGreaterThanOrEqual(Date.parse(list[1]!.openedAt));
  });

  it(`keeps at most ${MAX_RECENT} entries, dropping the oldest`, async () => {
    const recent = new RecentProjects(file);
    for (let i = 0; i < MAX_RECENT + 5; i += 1) await recent.add(path.join(root, `p${i}`), `P${i}`);
    const list = await recent.list();
    expect(list).toHaveLength(MAX_RECENT);
    expect(list[0]!.name).toBe(`P${MAX_RECENT + 4}`);
    expect(list.at(-1)!.name).toBe('P5');
  });

  it('forgets a folder and returns the rest', async () => {
    const recent = new RecentProjects(file);
    await recent.add(path.join(root, 'a'), 'A');
    await recent.add(path.join(root, 'b'), 'B');
    const left = await recent.forget(path.join(root, 'a'));
    expect(left.map((entry) => entry.name)).toEqual(['B']);
    expect((await new RecentProjects(file).list()).map((entry) => entry.name)).toEqual(['B']);
  });

  it('keeps concurrent adds from losing each other', async () => {
    const recent = new RecentProjects(file);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => recent.add(path.join(root, `p${i}`), `P${i}`)),
    );
    expect(await recent.list()).toHaveLength(10);
  });

  it('sets a corrupt file aside, reports it, and starts empty', async () => {
    const problems: string[] = [];
    await writeFile(file, '{"projects": [');
    const recent = new RecentProjects(file, { onProblem: (message) => problems.push(message) });
    expect(await recent.list()).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${file} is corrupt: not valid JSON`);
    const aside = (await readdir(root)).filter((name) => name.startsWith('recent.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(await readFile(path.join(root, aside[0]!), 'utf8')).toBe('{"projects": [');
    await recent.add(path.join(root, 'a'), 'A');
    expect((await recent.list()).map((entry) => entry.name)).toEqual(['A']);
  });
});
