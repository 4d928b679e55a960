import { describe, expect, it } from 'vitest';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { FACEMESH_CROP, FACEMESH_TAPS } from '../../../src-main/engine/backbones/facemesh';
import {
  HeadCropRecord,
  headCropRecord,
  recordCropBox,
} from '../../../src-main/engine/landmarks/head-crop-record';

const meshLike: FaceBackbone = {
  id: 'facemesh',
  name: 'FaceMesh',
  kind: 'geometry',
  inputSize: 192,
  channels: 3,
  normalisation: { mean: [0, 0, 0], std: [1, 1, 1], description: '[0, 1]' },
  cropPolicy: FACEMESH_CROP,
  taps: FACEMESH_TAPS,
  licence: { spdx: 'Apache-2.0', attribution: 'x', package: null, noticeFile: null },
  embed: () => Promise.reject(new Error('not used')),
  dispose: () => {},
};

describe('head crop record', () => {
  it('records the backbone crop so training on landmarks cuts 1.6× their extent', () => {
    const record = headCropRecord(meshLike, 'landmarks');
    expect(record).toMatchObject({
      backbone: 'facemesh',
      inputSize: 192,
      trainedOn: 'landmarks',
      inference: 'detection',
    });
    const points = [
      { x: 100, y: 100, v: 2 as const },
      { x: 200, y: 150, v: 2 as const },
    ];
    const box = recordCropBox(record, { width: 400, height: 400 }, { points }, 'train');
    expect(box.width).toBeCloseTo(160);
    expect(box.x + box.width / 2).toBeCloseTo(150);
    // Inference uses the detection, grown by the same policy.
    const detection = {
      box: { x: 100, y: 100, width: 100, height: 100 },
      crop: { x: 75, y: 75, width: 150, height: 150 },
      score: 0.9,
    };
    const inferred = recordCropBox(
      record,
      { width: 400, height: 400 },
      { detection, points },
      'infer',
    );
    expect(inferred.width).toBeCloseTo(160);
    expect(inferred.x).toBeCloseTo(70);
  });

  it('is strict about its fields', () => {
    const record = headCropRecord(meshLike, 'detection');
    expect(HeadCropRecord.safeParse({ ...record, extra: 1 }).success).toBe(false);
    expect(HeadCropRecord.safeParse({ ...record, trainedOn: 'guess' }).success).toBe(false);
    expect(HeadCropRecord.parse(JSON.parse(JSON.stringify(record)))).toEqual(record);
  });
});
