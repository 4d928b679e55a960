/**
 * Readers for the few-shot bench (fewshot.bench.ts): MTFL rows and CK+ class folders as square
 * crops at the backbone's input size, in the engine's label layouts (finetune-data.ts). HELEN is
 * read by the tests' reader (tests/engine/finetune/helen-crops.ts); both cut their squares with
 * tests/engine/finetune/square-crops.ts.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type * as tf from '@tensorflow/tfjs';
import type { FaceSource } from '../src-main/engine/data/project-faces';
import { Rng, deriveSeed } from '../src-main/engine/model/rng';
import { readCrops, type CropBox } from '../tests/engine/finetune/square-crops';

export const DATA = new URL('../../shared/data', import.meta.url).pathname;

/** `count` of `n` indices, a seeded draw (all of them, in order, when count ≥ n). */
export function seededDraw(n: number, count: number, ...seed: number[]): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  return new Rng(deriveSeed(...seed))
    .permutation(n)
    .slice(0, count)
    .sort((a, b) => a - b);
}

export interface MtflFaces {
  images: tf.Tensor4D;
  /** `[n·5·2]` normalised crop coordinates (schema `five`). */
  points: Float32Array;
  /** `[n·3]` Male, Smiling, Eyeglasses: 1 yes, 0 no. */
  attributes: Float32Array;
}

/**
 * MTFL faces of `list` (training.txt or testing.txt), a seeded draw of `limit`: each cropped to a
 * square of 2.2× the five landmarks' extent about their centre (as bench/probe.bench.ts does; the
 * eye-to-mouth box is much smaller than a face box).
 */
export async function readMtfl(
  list: 'training.txt' | 'testing.txt',
  limit: number,
  size: number,
  seed: number,
): Promise<MtflFaces> {
  const dir = path.join(DATA, 'mtfl');
  const rows = (await fs.readFile(path.join(dir, list), 'utf8')).trim().split('\n');
  const picked = seededDraw(rows.length, limit, seed, list === 'training.txt' ? 1 : 2);
  const points = new Float32Array(picked.length * 10);
  const attributes = new Float32Array(picked.length * 3);
  const boxes = picked.map((row, face): CropBox => {
    const f = rows[row]!.trim().split(/\s+/);
    const n = f.slice(1).map(Number);
    const xs = n.slice(0, 5);
    const ys = n.slice(5, 10);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const side = 2.2 * Math.max(x1 - x0, y1 - y0);
    const left = (x0 + x1 - side) / 2;
    const top = (y0 + y1 - side) / 2;
    for (let i = 0; i < 5; i++) {
      points[face * 10 + 2 * i] = (xs[i]! - left) / side;
      points[face * 10 + 2 * i + 1] = (ys[i]! - top) / side;
    }
    // gender 1 male 2 female; smile and glasses 1 yes 2 no (data README).
    for (let a = 0; a < 3; a++) attributes[face * 3 + a] = n[10 + a] === 1 ? 1 : 0;
    return { file: path.join(dir, f[0]!), left, top, side };
  });
  return { images: await readCrops(boxes, size), points, attributes };
}

export interface CkFaces {
  classes: string[];
  train: { images: tf.Tensor4D; labels: Int32Array; subjects: number };
  test: { images: tf.Tensor4D; labels: Int32Array; subjects: number };
}

/**
 * CK+ 48-px faces (whole images: already face crops), split by subject (the `S###` prefix): a
 * seeded `testFraction` of the subjects is the test set, so no person is in both. `limit` draws a
 * seeded subset of the images first (0 = all).
 */
export async function readCkPlus(
  size: number,
  testFraction: number,
  limit: number,
  seed: number,
): Promise<CkFaces> {
  const dir = path.join(DATA, 'ck48');
  const classes = (await fs.readdir(dir)).sort();
  const all: { file: string; label: number; subject: string }[] = [];
  for (const [label, name] of classes.entries())
    for (const file of (await fs.readdir(path.join(dir, name))).sort())
      if (file.endsWith('.png'))
        all.push({ file: path.join(dir, name, file), label, subject: file.split('_')[0]! });
  const faces = seededDraw(all.length, limit > 0 ? limit : all.length, seed, 3).map((i) => all[i]!);
  const subjects = [...new Set(faces.map((f) => f.subject))].sort();
  const order = new Rng(deriveSeed(seed, 4)).permutation(subjects.length);
  const testSubjects = new Set(
    order.slice(0, Math.round(subjects.length * testFraction)).map((i) => subjects[i]!),
  );
  const part = async (inTest: boolean) => {
    const chosen = faces.filter((f) => testSubjects.has(f.subject) === inTest);
    const boxes = chosen.map(
      (f): CropBox => ({ file: f.file, left: -0.5, top: -0.5, side: 0 }), // side set below
    );
    // The whole image: side = its width (48), edges half a pixel outside the first centres.
    for (const b of boxes) {
      const meta = await sharp(b.file).metadata();
      b.side = meta.width!;
    }
    return {
      images: await readCrops(boxes, size),
      labels: Int32Array.from(chosen.map((f) => f.label)),
      subjects: new Set(chosen.map((f) => f.subject)).size,
    };
  };
  return { classes, train: await part(false), test: await part(true) };
}

/**
 * `count` images of an unlabelled folder (a seeded draw, file names sorted first) as pre-training
 * sources, uncropped: what bench:fewshot and bench:probe pre-train on.
 */
export async function seededPool(dir: string, count: number, seed: number): Promise<FaceSource[]> {
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.jpg')).sort();
  const order = new Rng(deriveSeed(seed, 0x9001))
    .permutation(names.length)
    .slice(0, Math.min(count, names.length));
  return Promise.all(
    order.map(async (i): Promise<FaceSource> => {
      const file = path.join(dir, names[i]!);
      const meta = await sharp(file).metadata();
      return { file, width: meta.width!, height: meta.height!, crop: null };
    }),
  );
}
