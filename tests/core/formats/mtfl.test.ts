import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MTFL_POSES, parseMtfl, serialiseMtfl } from '../../../src-main/core/formats/mtfl';
import { DATA, maxPointError } from './data-paths';

describe('MTFL lists', () => {
  it.each([
    ['training.txt', 10_000],
    ['testing.txt', 2995],
  ])('imports every row of %s: 5 points and 4 attributes', async (name, rows) => {
    const text = await readFile(join(DATA, 'mtfl', name), 'utf8');
    const lineCount = text.split('\n').filter((l) => l.trim() !== '').length;
    const set = parseMtfl(text, name);
    const faces = set.flatMap((i) => i.faces);
    expect(faces).toHaveLength(lineCount);
    expect(faces).toHaveLength(rows);
    // Checked in bulk and then asserted once: 10,000 separate expects cost seconds.
    const shapes = new Set(
      faces.map((f) => `${f.points.length} ${Object.keys(f.attributes!).sort()}`),
    );
    expect([...shapes]).toEqual(['5 Eyeglasses,Male,Smiling']);
    const poses = new Set(faces.map((f) => f.classes!.pose));
    expect([...poses].every((p) => (MTFL_POSES as readonly string[]).includes(p!))).toBe(true);
    // Every code occurs in the data, so a swapped 1/2 mapping could not hide.
    for (const attribute of ['Male', 'Smiling', 'Eyeglasses']) {
      const yes = faces.filter((f) => f.attributes![attribute]).length;
      expect(yes).toBeGreaterThan(0);
      expect(yes).toBeLessThan(faces.length);
    }
  });

  it('reads x values first, then y (left eye left of right eye, mouth below eyes)', async () => {
    const text = await readFile(join(DATA, 'mtfl', 'testing.txt'), 'utf8');
    const first = text.split('\n')[0]!.split(' ');
    const face = parseMtfl(text, 'testing.txt')[0]!.faces[0]!;
    expect(face.points[0]).toEqual({ x: Number(first[1]), y: Number(first[6]), v: 2 });
    expect(face.points[4]).toEqual({ x: Number(first[5]), y: Number(first[10]), v: 2 });
    const male = first[11] === '1';
    expect(face.attributes!.Male).toBe(male);
  });

  it('gives back every training value within 1e-3 px after export and import', async () => {
    const set = parseMtfl(
      await readFile(join(DATA, 'mtfl', 'training.txt'), 'utf8'),
      'training.txt',
    );
    const back = parseMtfl(serialiseMtfl(set), 'again.txt');
    expect(back.map((i) => i.file)).toEqual(set.map((i) => i.file));
    let worst = 0;
    let labelsDiffer = 0;
    back.forEach((image, i) => {
      image.faces.forEach((face, f) => {
        const original = set[i]!.faces[f]!;
        worst = Math.max(worst, maxPointError(face.points, original.points));
        const same =
          JSON.stringify([face.attributes, face.classes]) ===
          JSON.stringify([original.attributes, original.classes]);
        if (!same) labelsDiffer += 1;
      });
    });
    expect(worst).toBeLessThan(1e-3);
    expect(labelsDiffer).toBe(0);
    expect(back.flatMap((i) => i.faces)).toHaveLength(10_000);
  });

  it('refuses to write a face without the MTFL attributes, naming it', () => {
    const face = { points: Array.from({ length: 5 }, () => ({ x: 1, y: 1, v: 2 as const })) };
    expect(() => serialiseMtfl([{ file: 'a.jpg', faces: [face] }])).toThrow(
      /a\.jpg face 1: has no "Male"/,
    );
  });
});
