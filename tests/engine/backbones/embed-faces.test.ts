/**
 * embed-faces: real HELEN faces cut by FaceMesh's crop policy around their labelled points and
 * embedded as they are and mirrored; the head's view picks rows of the right taps.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePtsFile } from '../../../src-main/core/formats/pts';
import { openImage } from '../../../src-main/core/library/image-source';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { loadFaceMesh } from '../../../src-main/engine/backbones/facemesh';
import {
  backboneCropBox,
  embedCrops,
  headInputOf,
  type FaceCrop,
} from '../../../src-main/engine/backbones/embed-faces';
import { useWasm } from '../../support/engine-helpers';
import { HELEN } from '../../support/helen-crops';

let mesh: FaceBackbone;
const faces: FaceCrop[] = [];

beforeAll(async () => {
  await useWasm();
  mesh = await loadFaceMesh();
  const dir = path.join(HELEN, 'test');
  const names = (await fs.readdir(dir))
    .filter((n) => n.endsWith('.pts'))
    .sort()
    .slice(0, 3);
  for (const name of names) {
    const file = path.join(dir, name.replace(/\.pts$/, '.jpg'));
    const points = parsePtsFile(await fs.readFile(path.join(dir, name), 'utf8'), name, {
      pointCount: 68,
    }).map((p) => ({ x: p.x, y: p.y, v: 2 as const }));
    const opened = await openImage(file);
    faces.push({ source: opened, box: backboneCropBox(mesh, opened, { points }) });
  }
});
afterAll(() => mesh.dispose());

describe('embedCrops', () => {
  it('cuts the square at the backbone scale of the labelled points', () => {
    // FaceMesh: crop side = 1.6 × the 68 points' longer side; every HELEN face is far wider than 20 px.
    for (const f of faces) {
      expect(f.box.width).toBe(f.box.height);
      expect(f.box.width).toBeGreaterThan(20 * 1.6);
    }
  });

  it('embeds each face and its mirror: the mirrored mesh is the face flipped', async () => {
    const e = await embedCrops(mesh, faces, ['mesh', 'p_re_lu_15'], { chunk: 2 });
    expect(e.count).toBe(3);
    expect(e.taps.mesh).toHaveLength(3 * 468 * 3);
    expect(e.taps.p_re_lu_15).toHaveLength(3 * 6 * 6 * 128);
    // The mesh's mean x in the mirrored crop is 1 − the mean x of the face (crop units).
    for (let f = 0; f < 3; f++) {
      let a = 0;
      let b = 0;
      for (let p = 0; p < 468; p++) {
        a += e.taps.mesh![(f * 468 + p) * 3]! / 468;
        b += e.flipped!.mesh![(f * 468 + p) * 3]! / 468;
      }
      expect(a + b).toBeCloseTo(1, 1);
      expect(Math.abs(a - 0.5)).toBeLessThan(0.15);
    }
  });

  it('gives the head the rows and taps it asks for', async () => {
    const e = await embedCrops(mesh, faces, ['mesh', 'p_re_lu_15'], { mirrored: false });
    expect(e.flipped).toBeNull();
    const input = headInputOf(mesh, e, { points: 'mesh', map: 'p_re_lu_15' }, false, [2, 0]);
    expect(input).toMatchObject({ count: 2, pointCount: 468, pointDims: 3, mapDim: 4608 });
    expect(Array.from(input.points!.subarray(0, 5))).toEqual(
      Array.from(e.taps.mesh!.subarray(2 * 1404, 2 * 1404 + 5)),
    );
    expect(() => headInputOf(mesh, e, { points: 'mesh', map: null }, true)).toThrow(/mirrored/);
  });

  it('concatenates several maps per face and hands over the local map with its shape', async () => {
    const taps = ['p_re_lu_9', 'p_re_lu_12', 'p_re_lu_15'];
    const e = await embedCrops(mesh, faces, taps, { mirrored: false });
    const input = headInputOf(
      mesh,
      e,
      { points: null, map: ['p_re_lu_12', 'p_re_lu_15'], local: 'p_re_lu_9' },
      false,
      [1, 2],
    );
    expect(input.mapDim).toBe(12 * 12 * 128 + 6 * 6 * 128);
    expect(input.maps).toHaveLength(2 * input.mapDim);
    // Face 2 is the second row: its p_re_lu_12 values, then its p_re_lu_15 values.
    const row = input.maps!.subarray(input.mapDim, 2 * input.mapDim);
    expect(Array.from(row.subarray(0, 4))).toEqual(
      Array.from(e.taps.p_re_lu_12!.subarray(2 * 18432, 2 * 18432 + 4)),
    );
    expect(Array.from(row.subarray(18432, 18432 + 4))).toEqual(
      Array.from(e.taps.p_re_lu_15!.subarray(2 * 4608, 2 * 4608 + 4)),
    );
    expect(input.local).toMatchObject({ height: 24, width: 24, channels: 64 });
    expect(input.local!.values).toHaveLength(2 * 24 * 24 * 64);
    expect(input.points).toBeNull();
  });

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop here'));
    await expect(embedCrops(mesh, faces, ['mesh'], { signal: controller.signal })).rejects.toThrow(
      'stop here',
    );
  });
});
