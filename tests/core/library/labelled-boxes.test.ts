/**
 * A face box read from a hand-written labelled set is stored in the project as written, in each
 * format that carries boxes. The box's four numbers differ (x 12, y 34, width 56, height 78) so a
 * swap of x with y or width with height anywhere between the file and labels.json shows.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importIntoProject } from '../../../src-main/core/library/library-service';
import { ProjectStore } from '../../../src-main/core/project-store';
import type { ImportFormat } from '../../../src-main/shared/library';

const BOX = { x: 12, y: 34, width: 56, height: 78 };
const SIZE = { width: 200, height: 160 };
/** Five points inside the box (the `five` schema), none with x = y. */
const POINTS = [
  [30, 50],
  [50, 52],
  [40, 70],
  [32, 95],
  [48, 96],
] as const;

let workDir: string;
let counter = 0;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'labelled-boxes-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** A 200×160 PNG whose colour depends on `seed`, so each set's image is a new one. */
async function writeImage(file: string, seed: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await sharp({
    create: { ...SIZE, channels: 3, background: { r: seed * 40, g: 90, b: 200 - seed * 30 } },
  })
    .png()
    .toFile(file);
}

const sets: Record<string, { format: ImportFormat; write: (dir: string) => Promise<void> }> = {
  coco: {
    format: 'coco',
    write: (dir) =>
      writeFile(
        path.join(dir, 'annotations.json'),
        JSON.stringify({
          images: [{ id: 1, file_name: 'a.png', ...SIZE }],
          annotations: [
            {
              id: 1,
              image_id: 1,
              category_id: 1,
              keypoints: POINTS.flatMap(([x, y]) => [x, y, 2]),
              bbox: [12, 34, 56, 78],
            },
          ],
          categories: [
            { id: 1, name: 'face', keypoints: ['le', 're', 'nose', 'lm', 'rm'], skeleton: [] },
          ],
        }),
      ),
  },
  dlib: {
    format: 'dlib',
    write: (dir) =>
      writeFile(
        path.join(dir, 'faces.xml'),
        [
          "<?xml version='1.0'?>",
          '<dataset><images>',
          "<image file='a.png' width='200' height='160'>",
          "<box top='34' left='12' width='56' height='78'>",
          ...POINTS.map(([x, y], i) => `<part name='0${i}' x='${x}' y='${y}'/>`),
          '</box></image></images></dataset>',
        ].join('\n'),
      ),
  },
  yolo: {
    format: 'yolo',
    write: async (dir) => {
      await writeFile(
        path.join(dir, 'data.yaml'),
        'path: .\ntrain: images\nkpt_shape: [5, 3]\nnames: [face]\n',
      );
      await mkdir(path.join(dir, 'labels'), { recursive: true });
      const n = (value: number, scale: number) => String(value / scale);
      const line = [
        '0',
        n(BOX.x + BOX.width / 2, SIZE.width),
        n(BOX.y + BOX.height / 2, SIZE.height),
        n(BOX.width, SIZE.width),
        n(BOX.height, SIZE.height),
        ...POINTS.flatMap(([x, y]) => [n(x, SIZE.width), n(y, SIZE.height), '2']),
      ];
      await writeFile(path.join(dir, 'labels', 'a.txt'), line.join(' ') + '\n');
    },
  },
  studio: {
    format: 'studio',
    write: (dir) =>
      writeFile(
        path.join(dir, 'studio-labels.json'),
        JSON.stringify({
          format: 'face-studio-labels',
          version: 1,
          landmarkSchema: 'five',
          attributeSchema: null,
          images: [
            {
              file: 'a.png',
              ...SIZE,
              faces: [{ box: BOX, points: POINTS.map(([x, y]) => ({ x, y, v: 2 })) }],
            },
          ],
        }),
      ),
  },
};

describe('boxes of a hand-written labelled set, as stored in the project', () => {
  it.each(Object.keys(sets))('%s', async (name) => {
    const { format, write } = sets[name]!;
    counter += 1;
    const source = path.join(workDir, `source-${name}`);
    const image =
      format === 'yolo' ? path.join(source, 'images', 'a.png') : path.join(source, 'a.png');
    await writeImage(image, counter);
    await write(source);
    const store = await ProjectStore.create(path.join(workDir, `project-${name}`), {
      name,
      landmarkSchema: 'five',
      attributeSchema: null,
    });
    try {
      const outcome = await importIntoProject(store, {
        dir: source,
        format,
        thumbnails: 'lazy',
      });
      expect(outcome).toMatchObject({ added: 1, labelled: 1, failed: [] });
      const [record] = store.listImages();
      const face = store.getFace(record!.id)!;
      for (const key of ['x', 'y', 'width', 'height'] as const) {
        expect(face.box?.[key]).toBeCloseTo(BOX[key], 6);
      }
      face.points.forEach((p, i) => {
        expect(p.x).toBeCloseTo(POINTS[i]![0], 6);
        expect(p.y).toBeCloseTo(POINTS[i]![1], 6);
      });
    } finally {
      await store.close();
    }
  });
});
