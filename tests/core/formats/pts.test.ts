import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  exportPts,
  importPtsFolder,
  parsePtsFile,
  serialisePts,
} from '../../../src-main/core/formats/pts';
import { DATA, maxPointError } from './data-paths';

/** The coordinates as written in the file, read independently of the parser (1-based). */
function rawCoordinates(text: string): number[][] {
  return text
    .split('\n')
    .filter((line) => /^-?[\d.]+\s+-?[\d.]+$/.test(line.trim()))
    .map((line) => line.trim().split(/\s+/).map(Number));
}

describe('300-W .pts', () => {
  it.each([
    ['train', 870],
    ['test', 330],
  ])('imports every HELEN %s file with 68 points, each beside its image', async (split, count) => {
    const dir = join(DATA, '300w-helen', split);
    const set = await importPtsFolder(dir, { pointCount: 68 });
    const ptsOnDisk = (await readdir(dir)).filter((f) => f.endsWith('.pts'));
    expect(set).toHaveLength(ptsOnDisk.length);
    expect(set).toHaveLength(count);
    for (const image of set) {
      expect(image.file).toMatch(/\.jpg$/);
      expect(image.faces).toHaveLength(1);
      expect(image.faces[0]!.points).toHaveLength(68);
    }
  });

  it('converts the 1-based file coordinates to 0-based pixels', async () => {
    const dir = join(DATA, '300w-helen', 'test');
    const name = (await readdir(dir)).filter((f) => f.endsWith('.pts')).sort()[0]!;
    const text = await readFile(join(dir, name), 'utf8');
    const points = parsePtsFile(text, name);
    const raw = rawCoordinates(text);
    expect(points.map((p) => [p.x + 1, p.y + 1])).toEqual(raw);
    expect(points.every((p) => p.v === 2)).toBe(true);
  });

  it.each(['breakingbad', 'einstein', 'takeo'])(
    'reads the %s fixture (68 points)',
    async (name) => {
      const text = await readFile(join(DATA, 'fixtures', `${name}.pts`), 'utf8');
      expect(parsePtsFile(text, `${name}.pts`, { pointCount: 68 })).toHaveLength(68);
    },
  );

  it('pairs the fixtures folder files with .jpg and .ppm images', async () => {
    const set = await importPtsFolder(join(DATA, 'fixtures'), { pointCount: 68 });
    expect(set.map((i) => i.file).sort()).toEqual(['breakingbad.jpg', 'einstein.jpg', 'takeo.ppm']);
  });

  it('gives back every HELEN training point within 1e-3 px after export and import', async () => {
    const set = await importPtsFolder(join(DATA, '300w-helen', 'train'), { pointCount: 68 });
    let worst = 0;
    for (const file of exportPts(set)) {
      const image = set.find((i) => i.file.replace(/\.jpg$/, '.pts') === file.file)!;
      const back = parsePtsFile(file.text, file.file, { pointCount: 68 });
      worst = Math.max(worst, maxPointError(back, image.faces[0]!.points));
    }
    expect(worst).toBeLessThan(1e-3);
  });

  it('names the second face of an image NAME_2.pts', () => {
    const face = { points: [{ x: 1, y: 2, v: 2 as const }] };
    const files = exportPts([{ file: 'dir/a.png', faces: [face, face] }]);
    expect(files.map((f) => f.file)).toEqual(['dir/a.pts', 'dir/a_2.pts']);
    expect(serialisePts(face.points)).toBe('version: 1\nn_points: 1\n{\n2 3\n}\n');
  });
});
