/**
 * The probe bench's faces (probe.bench.ts, probe-dump.ts): seeded draws of MTFL rows, each cropped
 * to a square of 2.2× its five landmarks' extent, with the four attributes the probe scores.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { FaceSource } from '../src-main/engine/data/project-faces';
import { Rng, deriveSeed } from '../src-main/engine/model/rng';
import { DATA } from './fewshot-data';

export const MTFL = path.join(DATA, 'mtfl');

/**
 * The attributes probed: smile and gender are the verdict; glasses and a frontal head
 * (MTFL pose 3 of 1–5) show what else pre-training has or has not learnt.
 */
export const ATTRIBUTES = ['smile', 'gender', 'glasses', 'frontal'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

export interface Face {
  source: FaceSource;
  /** 1 = smiling / male / wearing glasses / frontal, else 0. */
  labels: Record<Attribute, number>;
}

/**
 * A seeded draw of `count` rows of an MTFL list (only files under `folder`, when given) → faces
 * cropped to 2.2× the points' extent.
 */
export async function readFaces(
  list: string,
  count: number,
  seed: number,
  folder?: string,
): Promise<Face[]> {
  const all = (await readFile(path.join(MTFL, list), 'utf8'))
    .trim()
    .split('\n')
    .filter((row) => folder === undefined || row.startsWith(`${folder}/`));
  const rows = new Rng(deriveSeed(seed, 0x9f0b))
    .permutation(all.length)
    .slice(0, count)
    .map((i) => all[i]!);
  return Promise.all(
    rows.map(async (row) => {
      const f = row.trim().split(/\s+/);
      const file = path.join(MTFL, f[0]!);
      const n = f.slice(1).map(Number);
      const xs = n.slice(0, 5);
      const ys = n.slice(5, 10);
      const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
      const side = 2.2 * Math.max(x1 - x0, y1 - y0);
      const meta = await sharp(file).metadata();
      return {
        source: {
          file,
          width: meta.width!,
          height: meta.height!,
          crop: { x: (x0 + x1 - side) / 2, y: (y0 + y1 - side) / 2, width: side, height: side },
        },
        labels: {
          gender: n[10] === 1 ? 1 : 0,
          smile: n[11] === 1 ? 1 : 0,
          glasses: n[12] === 1 ? 1 : 0,
          frontal: n[13] === 3 ? 1 : 0,
        },
      };
    }),
  );
}

/**
 * Which faces the pre-training pool draws from, with bench:probe's `--pool` words: `faces`, the
 * net_7876 web faces of training.txt (5,849); `faces-all`, every training.txt row (10,000, the LFW
 * faces too — the probe's training faces are among them, their labels unused, as a lab pre-trains
 * on the faces it then labels). testing.txt is never in the pool.
 */
export type FacePool = 'faces' | 'faces-all';

export function isFacePool(value: string | undefined): value is FacePool {
  return value === 'faces' || value === 'faces-all';
}

export const PROBE_SETS = {
  pool: (count: number, pool: FacePool = 'faces'): Promise<Face[]> =>
    readFaces('training.txt', count, 3, pool === 'faces' ? 'net_7876' : undefined),
  train: (count: number): Promise<Face[]> => readFaces('training.txt', count, 1),
  test: (count: number): Promise<Face[]> => readFaces('testing.txt', count, 2),
};
