/**
 * `labels:template` on a project: which box the template goes into, that the anchors found there
 * move it, and that a finder that fails or a schema without eyes leaves the box placement with a
 * reason. The finder is a stand-in; the real one is scored in face-anchors.test.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  centredFaceBox,
  fittedTemplate,
  type AnchorFinder,
} from '../../../src-main/core/labelling/fitted-template';
import type { FaceAnchors } from '../../../src-main/core/labelling/template-fit';
import { ProjectStore } from '../../../src-main/core/project-store';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import type { Box } from '../../../src-main/shared/domain';
import { HELEN } from '../../support/helen-crops';
import { faceWithCounter } from '../../support/project-data';

const IMAGE = path.join(HELEN, 'test', '296814969_3.jpg');
const imageId = createHash('sha256').update('helen face').digest('hex');
const five = builtinLandmarkSchema('five');
const STORED: Box = { x: 40, y: 50, width: 100, height: 120 };

let dir: string;
let store: ProjectStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fitted-template-'));
  store = await ProjectStore.create(
    dir,
    { name: 'T', landmarkSchema: 'five', attributeSchema: null },
    { labelDebounceMs: 0 },
  );
  await store.putImages([
    {
      id: imageId,
      path: IMAGE,
      width: 320,
      height: 320,
      split: 'pool',
      face: { box: STORED, crop: STORED, score: 0.9 },
    },
  ]);
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A finder that answers `anchors` and records the boxes it was asked about. */
function standIn(anchors: FaceAnchors): { finder: () => Promise<AnchorFinder>; boxes: Box[] } {
  const boxes: Box[] = [];
  return {
    boxes,
    finder: async () => ({
      find: async (_image, box) => {
        boxes.push(box);
        return anchors;
      },
    }),
  };
}

/** Anchors where the five-point template in `box` has them, moved down by `dy`. */
function anchorsIn(box: Box, dy: number): FaceAnchors {
  const at = (i: number) => ({
    x: box.x + five.template[i]![0] * box.width,
    y: box.y + five.template[i]![1] * box.height + dy,
  });
  return { leftEye: at(0), rightEye: at(1), mouthLeft: at(3), mouthRight: at(4) };
}

describe('fittedTemplate', () => {
  it('fits the template in the stored box to the anchors found there', async () => {
    const { finder, boxes } = standIn(anchorsIn(STORED, 12));
    const answer = await fittedTemplate(store, { imageId }, finder);
    expect(boxes).toEqual([STORED]);
    expect(answer.fit).toBe('eyes');
    expect(answer.source).toBe('schema');
    expect(answer.why).toBeUndefined();
    answer.points.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(STORED.x + five.template[i]![0] * STORED.width, 6);
      expect(y).toBeCloseTo(STORED.y + five.template[i]![1] * STORED.height + 12, 6);
    });
  });

  it('uses the box the labeller holds over the stored one', async () => {
    const held = { x: 60, y: 60, width: 80, height: 90 };
    const { finder, boxes } = standIn(anchorsIn(held, 0));
    await fittedTemplate(store, { imageId, box: held }, finder);
    expect(boxes).toEqual([held]);
  });

  it('keeps the box placement, saying why, when the finder fails', async () => {
    const failing = async (): Promise<AnchorFinder> => {
      throw new Error('no net here');
    };
    const answer = await fittedTemplate(store, { imageId }, failing);
    expect(answer.fit).toBe('box');
    expect(answer.why).toContain('no net here');
    expect(answer.points[0]).toEqual([STORED.x, STORED.y + five.template[0]![1] * STORED.height]);
  });

  it('refuses an image the project does not hold', async () => {
    const { finder } = standIn(anchorsIn(STORED, 0));
    await expect(fittedTemplate(store, { imageId: 'f'.repeat(64) }, finder)).rejects.toThrow(
      /is not in project/,
    );
  });
});

describe('fittedTemplate, when the fit cannot stand', () => {
  /** The five-point template in `box`, image px. */
  const inBox = (box: Box) =>
    five.template.map(([u, v]) => [box.x + u * box.width, box.y + v * box.height]);

  it('keeps the box placement when the eyes found lie far from the box', async () => {
    // Moved down by 500 px, five times the box's side: no fit is trusted that far.
    const { finder } = standIn(anchorsIn(STORED, 500));
    expect(await fittedTemplate(store, { imageId }, finder)).toEqual({
      points: inBox(STORED),
      fit: 'box',
      source: 'schema',
      why: 'the eyes found lie too far from the face box to trust',
    });
  });

  it('says what the finder threw, an Error or not', async () => {
    const throwing = (thrown: unknown) => async (): Promise<AnchorFinder> => ({
      find: async () => {
        throw thrown;
      },
    });
    expect(await fittedTemplate(store, { imageId }, throwing(new Error('no net here')))).toEqual({
      points: inBox(STORED),
      fit: 'box',
      source: 'schema',
      why: 'the eyes could not be found (no net here)',
    });
    const answer = await fittedTemplate(store, { imageId }, throwing('a bare string'));
    expect(answer.why).toBe('the eyes could not be found (a bare string)');
  });

  it('says so when the image cannot be opened, without asking the finder', async () => {
    const missing = createHash('sha256').update('gone').digest('hex');
    await store.putImages([
      { id: missing, path: path.join(dir, 'gone.jpg'), width: 100, height: 100, split: 'pool' },
    ]);
    const { finder, boxes } = standIn(anchorsIn(STORED, 0));
    const answer = await fittedTemplate(store, { imageId: missing }, finder);
    expect(boxes).toEqual([]);
    expect(answer.fit).toBe('box');
    expect(answer.why).toMatch(/^the eyes could not be found \(.*gone\.jpg/);
    // No face box anywhere: the centred square, half the shorter side.
    expect(answer.points).toEqual(inBox({ x: 25, y: 25, width: 50, height: 50 }));
  });

  it('puts the template into the labelled face’s box over curation’s', async () => {
    const labelled = { x: 70, y: 80, width: 90, height: 110 };
    await store.saveFace({ ...faceWithCounter(imageId, 1, 5), box: labelled });
    const { finder, boxes } = standIn(anchorsIn(labelled, 0));
    await fittedTemplate(store, { imageId }, finder);
    expect(boxes).toEqual([labelled]);
  });

  it('ignores a held box without area, falling back to the stored one', async () => {
    const { finder, boxes } = standIn(anchorsIn(STORED, 0));
    await fittedTemplate(store, { imageId, box: { x: 1, y: 1, width: 0, height: 50 } }, finder);
    await fittedTemplate(store, { imageId, box: { x: 1, y: 1, width: 50, height: 0 } }, finder);
    expect(boxes).toEqual([STORED, STORED]);
  });

  it('names the schema that has no eyes to fit to', async () => {
    const file = new URL('../../../resources/schemas/landmarks.five.json', import.meta.url);
    const blobs = {
      ...JSON.parse(await readFile(file, 'utf8')),
      id: 'blobs',
      points: ['a', 'b', 'c', 'd', 'e'],
    };
    const otherDir = await mkdtemp(path.join(os.tmpdir(), 'fitted-template-'));
    const other = await ProjectStore.create(
      otherDir,
      { name: 'B', landmarkSchema: blobs, attributeSchema: null },
      { labelDebounceMs: 0 },
    );
    try {
      await other.putImages([
        { id: imageId, path: IMAGE, width: 320, height: 200, split: 'pool', face: null },
      ]);
      const { finder, boxes } = standIn(anchorsIn(STORED, 0));
      const answer = await fittedTemplate(other, { imageId }, finder);
      expect(boxes).toEqual([]);
      expect(answer).toEqual({
        points: inBox({ x: 110, y: 50, width: 100, height: 100 }),
        fit: 'box',
        source: 'schema',
        why: 'the blobs schema names no eyes to fit to',
      });
    } finally {
      await other.close();
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});

describe('centredFaceBox', () => {
  it('is half the shorter side, centred', () => {
    expect(centredFaceBox({ width: 400, height: 200 })).toEqual({
      x: 150,
      y: 50,
      width: 100,
      height: 100,
    });
  });
});
