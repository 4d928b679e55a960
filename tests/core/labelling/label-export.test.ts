/**
 * A face labelled on the canvas exports correctly: the canvas model's points, written as the
 * labeller writes them (`toAnnotation`) through the project store, come back from disk and out
 * through the 300-W `.pts` and COCO writers with the same coordinates (and, in COCO, the same
 * visibility). Coordinates are fractional on purpose: the canvas places sub-pixel points.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCoco, serialiseCoco } from '../../../src-main/core/formats/coco';
import type { LabelledSet } from '../../../src-main/core/formats/model';
import { exportPts, parsePtsFile } from '../../../src-main/core/formats/pts';
import { ProjectStore } from '../../../src-main/core/project-store';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { toAnnotation } from '../../../src-renderer/src/features/labelling/face-draft';
import { CanvasModel } from '../../../src-renderer/src/features/labelling/model/canvas-model';
import { canvasSchemaOf } from '../../../src-renderer/src/features/labelling/model/canvas-schema';

const schema = builtinLandmarkSchema('ibug68');
const imageId = createHash('sha256').update('a face').digest('hex');
const SIZE = { width: 320, height: 240 };
const OCCLUDED = 8;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'label-export-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Places every point by "clicking" at identity zoom, then occludes one, as a person would. */
function labelOnCanvas(): CanvasModel {
  const model = new CanvasModel(canvasSchemaOf(schema), { viewport: SIZE });
  model.load({ imageId, imageSize: SIZE });
  model.setMode('place');
  schema.template.forEach(([x, y], i) => {
    // Spread the template over the image with irrational-looking fractions.
    const at = model.imageToStage({ x: 40 + x * 211.37 + i / 7, y: 20 + y * 187.91 + i / 11 });
    expect(model.placePoint(at)).toEqual({ placed: i });
  });
  expect(model.toggleOccluded(OCCLUDED)).toBe(true);
  return model;
}

describe('a face labelled on the canvas', () => {
  it('exports through .pts and COCO with the coordinates it was given', async () => {
    const model = labelOnCanvas();
    const placed = model.points;

    const store = await ProjectStore.create(
      dir,
      { name: 'Export', landmarkSchema: 'ibug68', attributeSchema: null },
      { labelDebounceMs: 0 },
    );
    await store.putImages([{ id: imageId, path: 'face.jpg', ...SIZE, split: 'train' }]);
    const details = {
      attributes: { Smiling: true },
      classes: {},
      expression: null,
      note: 'test',
    };
    await store.saveFace(toAnnotation(model.face!, details, new Date().toISOString()));
    await store.close();

    const reopened = await ProjectStore.open(dir);
    const face = reopened.getFace(imageId);
    await reopened.close();
    expect(face?.points).toHaveLength(68);
    expect(face?.attributes).toEqual({ Smiling: true });

    const set: LabelledSet = [{ file: 'face.jpg', ...SIZE, faces: [{ points: face!.points }] }];

    const [pts] = exportPts(set);
    expect(pts?.file).toBe('face.pts');
    const fromPts = parsePtsFile(pts!.text, 'face.pts', { pointCount: 68 });
    fromPts.forEach((p, i) => {
      // .pts keeps six decimals: far below the 0.5 px the labeller promises.
      expect(p.x).toBeCloseTo(placed[i]!.x, 5);
      expect(p.y).toBeCloseTo(placed[i]!.y, 5);
    });

    const coco = parseCoco(serialiseCoco(set, schema), 'face.json', { pointCount: 68 });
    const fromCoco = coco.set[0]!.faces[0]!.points;
    fromCoco.forEach((p, i) => {
      expect(p.x).toBeCloseTo(placed[i]!.x, 9);
      expect(p.y).toBeCloseTo(placed[i]!.y, 9);
      expect(p.v).toBe(i === OCCLUDED ? 1 : 2);
    });
    expect(coco.category.keypoints).toEqual(schema.points);
  });
});
