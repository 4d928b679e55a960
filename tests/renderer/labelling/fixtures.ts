/** Schemas for the canvas model tests, shaped like the built-in ones. */
/// <reference types="node" />
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Landmark } from '$shared/domain';
import type { CanvasSchema } from '../../../src-renderer/src/features/labelling/model/canvas-schema';

/** The 5-point MTFL layout: eyes, nose, mouth corners; eyes and mouth corners mirror. */
export const FIVE: CanvasSchema = {
  id: 'five',
  points: [
    { name: 'left eye', group: 'eyes' },
    { name: 'right eye', group: 'eyes' },
    { name: 'nose', group: 'nose' },
    { name: 'left mouth corner', group: 'mouth' },
    { name: 'right mouth corner', group: 'mouth' },
  ],
  mirrorPairs: [
    [0, 1],
    [3, 4],
  ],
};

/** 300-W 68-point groups by index range (0-based, inclusive). */
/** How a labeller's own confirmed point is marked. */
export const HUMAN = { source: 'human', confirmed: true } as const;

/** A 5-point face on FIVE: eyes, nose and mouth corners placed, like an MTFL row. */
export const FACE5: Landmark[] = [
  { x: 60, y: 60, v: 2, ...HUMAN },
  { x: 120, y: 62, v: 2, ...HUMAN },
  { x: 90, y: 90, v: 2, ...HUMAN },
  { x: 66, y: 120, v: 2, ...HUMAN },
  { x: 114, y: 121, v: 2, ...HUMAN },
];

const IBUG_GROUPS: [string, number, number][] = [
  ['jaw', 0, 16],
  ['right brow', 17, 21],
  ['left brow', 22, 26],
  ['nose', 27, 35],
  ['right eye', 36, 41],
  ['left eye', 42, 47],
  ['mouth', 48, 67],
];

export const IBUG68: CanvasSchema = {
  id: 'ibug68',
  points: Array.from({ length: 68 }, (_, i) => {
    const group = IBUG_GROUPS.find(([, from, to]) => i >= from && i <= to)?.[0] ?? 'none';
    return { name: `${group} ${i}`, group };
  }),
  // The jaw's mirror pairs are enough for these tests: i ↔ 16 − i.
  mirrorPairs: Array.from({ length: 8 }, (_, i) => [i, 16 - i] as [number, number]),
};

/** The project's shared test data (../shared/data from the project root). */
export const DATA_DIR = path.resolve('../shared/data');

/** A 300-W face from the shared data: its image size and its 68 points, 0-based. */
export async function helenFace(
  name: string,
): Promise<{ width: number; height: number; points: Landmark[] }> {
  const base = path.join(DATA_DIR, '300w-helen', 'test', name);
  const meta = await sharp(`${base}.jpg`).metadata();
  const text = await readFile(`${base}.pts`, 'utf8');
  const body = text.slice(text.indexOf('{') + 1, text.indexOf('}'));
  const points = body
    .trim()
    .split('\n')
    .map((line) => {
      const [x, y] = line.trim().split(/\s+/).map(Number);
      // .pts files are 1-based; the studio stores 0-based pixels.
      return {
        x: (x ?? NaN) - 1,
        y: (y ?? NaN) - 1,
        v: 2 as const,
        source: 'human' as const,
        confirmed: true,
      };
    });
  return { width: meta.width ?? 0, height: meta.height ?? 0, points };
}
