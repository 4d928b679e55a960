import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPretrainSources } from '../../../src-main/app/training/pretrain-sources';
import { cropPlan, ProjectFacesData } from '../../../src-main/engine/data/project-faces';
import { createTinyProject } from '../../support/tiny-project';
import { useWasm } from '../../support/engine-helpers';

let dir: string;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-faces-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('project face crops', () => {
  it('plans the part inside the image and pads the rest', () => {
    expect(
      cropPlan({ width: 100, height: 80, crop: { x: -10, y: 60, width: 50, height: 40 } }),
    ).toEqual({
      extract: { left: 0, top: 60, width: 40, height: 20 },
      pad: { left: 10, top: 0, right: 0, bottom: 20 },
    });
    expect(cropPlan({ width: 100, height: 80, crop: null })).toEqual({
      extract: { left: 0, top: 0, width: 100, height: 80 },
      pad: { left: 0, top: 0, right: 0, bottom: 0 },
    });
  });

  it('plans a box inside on the left and above the image', () => {
    // Inside from x = 20 (extract width 50, not 70), 15 px above the top edge (15 px of pad).
    expect(
      cropPlan({ width: 100, height: 80, crop: { x: 20, y: -15, width: 50, height: 30 } }),
    ).toEqual({
      extract: { left: 20, top: 0, width: 50, height: 15 },
      pad: { left: 0, top: 15, right: 0, bottom: 0 },
    });
  });

  it('refuses a set of no images, and names an image it cannot decode', async () => {
    expect(() => new ProjectFacesData([], 16)).toThrow(
      'The project has no images with a face to train on',
    );
    const file = path.join(dir, 'not-an-image.png');
    await writeFile(file, 'plain text');
    const data = new ProjectFacesData([{ file, width: 10, height: 10, crop: null }], 16);
    await expect(data.decode(data.sources[0]!)).rejects.toThrow(
      `Image ${file} cannot be decoded and cropped: `,
    );
  });

  it('stretches a cut that is not square to the square input, keeping all of it', async () => {
    // A white 40×40 image in a 120×40 box: the white third stays at the left of the result
    // (scaling to cover and cutting the middle would leave only black padding).
    const file = path.join(dir, 'white-third.png');
    await sharp({ create: { width: 40, height: 40, channels: 3, background: '#ffffff' } })
      .png()
      .toFile(file);
    const data = new ProjectFacesData(
      [{ file, width: 40, height: 40, crop: { x: 0, y: 0, width: 120, height: 40 } }],
      16,
    );
    const raw = await data.decode(data.sources[0]!);
    const at = (x: number, y: number) => raw[(y * 16 + x) * 3]!;
    expect([at(0, 8), at(2, 8), at(8, 8), at(14, 8)]).toEqual([255, 255, 0, 0]);
  });

  it('crops the box, pads past the edge with black, and resizes', async () => {
    // A white 40×40 image; the crop covers it and as much again to the right: the right half
    // of the 16-px result must be black, the left half white.
    const file = path.join(dir, 'white.png');
    await sharp({ create: { width: 40, height: 40, channels: 3, background: '#ffffff' } })
      .png()
      .toFile(file);
    const data = new ProjectFacesData(
      [{ file, width: 40, height: 40, crop: { x: 0, y: 0, width: 80, height: 40 } }],
      16,
    );
    const raw = await data.decode(data.sources[0]!);
    expect(raw.length).toBe(16 * 16 * 3);
    const at = (x: number, y: number) => raw[(y * 16 + x) * 3]!;
    expect(at(2, 8)).toBe(255);
    expect(at(13, 8)).toBe(0);
    const batch = await data.batch([0, 0]);
    expect(batch.shape).toEqual([2, 16, 16, 3]);
    expect(batch.max().dataSync()[0]).toBeCloseTo(1, 5);
    batch.dispose();
  });

  it('reads pool and train images from a project, leaving out no-face images', async () => {
    const projectDir = path.join(dir, 'project');
    await createTinyProject(projectDir, 4);
    const sources = await readPretrainSources(projectDir);
    expect(sources).toHaveLength(4);
    expect(sources[0]!.crop).toMatchObject({ x: -10, y: -10 });
    expect(sources.slice(1).every((s) => s.crop === null)).toBe(true);
    const batch = await new ProjectFacesData(sources, 16).batch([0, 1, 2, 3]);
    expect(batch.shape).toEqual([4, 16, 16, 3]);
    batch.dispose();
  });
});
