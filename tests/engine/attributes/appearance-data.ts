/**
 * CK+ and MTFL faces as `FaceInput`s with their labels, for the appearance tests and
 * bench/appearance.bench.ts (the data README: ../shared/data/README.md).
 *
 * - CK+: 48-px grey face crops, one folder per expression; the `S###` file prefix is the subject.
 *   The crop is the whole image (the faces already fill it).
 * - MTFL: each row's five points; the crop is a square of 2.2× the points' extent about their
 *   centre (the eye-to-mouth box is much smaller than a face box; bench/fewshot-data.ts alike).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { HeadCropPlan } from '../../../src-main/engine/backbones/head-crops';
import { cropFaces, faceCropBox } from '../../../src-main/engine/data/face-crop';
import { Rng, deriveSeed } from '../../../src-main/engine/model/rng';
import type { FaceInput } from '../../../src-main/engine/attributes/appearance-features';

export const DATA = new URL('../../../../shared/data', import.meta.url).pathname;

export interface CkFace extends FaceInput {
  label: number;
  subject: string;
}

/** All CK+ faces (or a seeded draw of `limit`), with their class names. */
export async function readCkFaces(
  limit = 0,
  seed = 1,
): Promise<{ classes: string[]; faces: CkFace[] }> {
  const dir = path.join(DATA, 'ck48');
  const classes = (await fs.readdir(dir)).sort();
  const faces: CkFace[] = [];
  for (const [label, name] of classes.entries())
    for (const file of (await fs.readdir(path.join(dir, name))).sort())
      if (file.endsWith('.png'))
        faces.push({
          source: path.join(dir, name, file),
          // Pixel centres on integers: the whole 48-px image is the box from −0.5 to 47.5.
          box: { x: -0.5, y: -0.5, width: 48, height: 48 },
          label,
          subject: file.split('_')[0]!,
        });
  return { classes, faces: draw(faces, limit, seed) };
}

/** MTFL attributes in the row's order: gender, smile, glasses (binary), pose (5 classes). */
export const MTFL_ATTRIBUTES = ['male', 'smiling', 'glasses', 'pose'] as const;
export type MtflAttribute = (typeof MTFL_ATTRIBUTES)[number];

export interface MtflFace extends FaceInput {
  /** male, smiling, glasses: 1 yes, 0 no; pose: 0..4 (the file's 1..5). */
  labels: Record<MtflAttribute, number>;
}

/** MTFL rows of `list` (a seeded draw of `limit`; 0 = all), cropped at `scale` × the points' extent. */
export async function readMtflFaces(
  list: 'training.txt' | 'testing.txt',
  limit = 0,
  seed = 1,
  scale = 2.2,
): Promise<MtflFace[]> {
  const dir = path.join(DATA, 'mtfl');
  const rows = (await fs.readFile(path.join(dir, list), 'utf8')).trim().split('\n');
  const faces = rows.map((line): MtflFace => {
    const f = line.trim().split(/\s+/);
    const n = f.slice(1).map(Number);
    if (n.length !== 14 || n.some((v) => !Number.isFinite(v)))
      throw new Error(`${path.join(dir, list)}: bad row "${line}"`);
    const xs = n.slice(0, 5);
    const ys = n.slice(5, 10);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const side = scale * Math.max(x1 - x0, y1 - y0);
    return {
      source: path.join(dir, f[0]!),
      box: { x: (x0 + x1 - side) / 2, y: (y0 + y1 - side) / 2, width: side, height: side },
      // gender 1 male 2 female; smile and glasses 1 yes 2 no; pose 1..5 (data README).
      labels: {
        male: n[10] === 1 ? 1 : 0,
        smiling: n[11] === 1 ? 1 : 0,
        glasses: n[12] === 1 ? 1 : 0,
        pose: n[13]! - 1,
      },
    };
  });
  return draw(faces, limit, seed + (list === 'training.txt' ? 0 : 1000));
}

/** `limit` of `items`, a seeded draw kept in file order (all when limit is 0 or ≥ length). */
function draw<T>(items: T[], limit: number, seed: number): T[] {
  if (limit <= 0 || limit >= items.length) return items;
  const picked = new Rng(deriveSeed(seed, 0xa77))
    .permutation(items.length)
    .slice(0, limit)
    .sort((a, b) => a - b);
  return picked.map((i) => items[i]!);
}

/** Share of the most frequent label: the majority-class baseline. */
export function majorityRate(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  return Math.max(...counts.values()) / labels.length;
}

/** Share of `predicted` equal to `truth`. */
export function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) hits++;
  return hits / truth.length;
}

/**
 * A CK+ face's landmarks' box: the images are that box grown by 10% a side (mini-Xception's
 * policy), so it is the middle 40 of the 48 px (pixel centres on integers).
 */
export const CK_FACE_BOX = { x: 3.5, y: 3.5, width: 40, height: 40 };

/** CK+ faces cut by `plan`'s crop policy from their landmarks' box: `[n, S, S, 3]`. */
export async function ckPlanCrops(
  faces: readonly CkFace[],
  plan: HeadCropPlan,
): Promise<tf.Tensor4D> {
  const box = faceCropBox(
    { width: 48, height: 48 },
    { detection: { box: CK_FACE_BOX, crop: CK_FACE_BOX, score: 1 } },
    plan.crop,
  );
  return stacked(faces.map((f) => cropFaces(f.source as string, [box], plan.inputSize)));
}

/**
 * MTFL faces cut for a plan whose crop is FaceMesh's: the row's box is the appearance crop (2.2×
 * the five points) and FaceMesh's is 1.6 / 1.2 of it, so the appearance backbones see the box
 * itself. `[n, S, S, 3]`.
 */
export async function mtflPlanCrops(
  faces: readonly MtflFace[],
  plan: HeadCropPlan,
): Promise<tf.Tensor4D> {
  const grow = 1.6 / 1.2;
  return stacked(
    faces.map((f) => {
      const { x, y, width, height } = f.box;
      const box = {
        x: x - (width * (grow - 1)) / 2,
        y: y - (height * (grow - 1)) / 2,
        width: width * grow,
        height: height * grow,
      };
      return cropFaces(f.source as string, [box], plan.inputSize);
    }),
  );
}

async function stacked(pieces: Promise<tf.Tensor4D>[]): Promise<tf.Tensor4D> {
  const all = await Promise.all(pieces);
  const out = tf.concat(all) as tf.Tensor4D;
  tf.dispose(all);
  return out;
}
