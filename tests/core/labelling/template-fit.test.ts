/** Fitting the template: which points are the anchors, the similarity, and when a fit is refused. */
import { describe, expect, it } from 'vitest';
import {
  applySimilarity,
  fitSimilarity,
  fitTemplate,
  MAX_FIT_SCALE,
  schemaAnchors,
  templateInBox,
  type FaceAnchors,
} from '../../../src-main/core/labelling/template-fit';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';

/** A five-point template: eyes, nose, mouth corners, spanning its box. */
const TEMPLATE: [number, number][] = [
  [0, 0],
  [1, 0],
  [0.5, 0.5],
  [0.1, 1],
  [0.9, 1],
];
const FIVE = { points: ['left_eye', 'right_eye', 'nose_tip', 'mouth_left', 'mouth_right'] };
const BOX = { x: 100, y: 100, width: 100, height: 100 };

describe('schemaAnchors', () => {
  it('reads the eye rings and outer mouth corners of the built-in schemas from their names', () => {
    expect(schemaAnchors(builtinLandmarkSchema('ibug68'))).toEqual({
      leftEye: [36, 37, 38, 39, 40, 41],
      rightEye: [42, 43, 44, 45, 46, 47],
      mouthLeft: [48],
      mouthRight: [54],
    });
    expect(schemaAnchors(builtinLandmarkSchema('five'))).toEqual({
      leftEye: [0],
      rightEye: [1],
      mouthLeft: [3],
      mouthRight: [4],
    });
    const wflw = schemaAnchors(builtinLandmarkSchema('wflw98'))!;
    expect(wflw.leftEye).toContain(60);
    expect(wflw.rightEye).toContain(72);
    expect(wflw.mouthLeft).toEqual([76]);
    expect(wflw.mouthRight).toEqual([82]);
  });

  it('is null for a schema that names no eyes, and leaves out a mouth it does not name', () => {
    expect(schemaAnchors({ points: ['tip', 'chin'] })).toBeNull();
    expect(schemaAnchors({ points: ['left_eye', 'right_eye', 'chin'] })).toEqual({
      leftEye: [0],
      rightEye: [1],
    });
  });
});

describe('fitSimilarity', () => {
  it('recovers a scaled, turned and shifted copy exactly', () => {
    const from = [
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 3, y: 7 },
    ];
    const angle = 0.3;
    const truth = { a: 1.5 * Math.cos(angle), b: 1.5 * Math.sin(angle), tx: 4, ty: -2 };
    const to = from.map((p) => applySimilarity(truth, p));
    const fit = fitSimilarity(from, to);
    expect(fit.a).toBeCloseTo(truth.a, 9);
    expect(fit.b).toBeCloseTo(truth.b, 9);
    expect(fit.tx).toBeCloseTo(truth.tx, 9);
    expect(fit.ty).toBeCloseTo(truth.ty, 9);
  });

  it('refuses fewer than two pairs, or points that coincide', () => {
    expect(() => fitSimilarity([{ x: 0, y: 0 }], [{ x: 1, y: 1 }])).toThrow(/two or more/);
    const same = [
      { x: 1, y: 1 },
      { x: 1, y: 1 },
    ];
    expect(() => fitSimilarity(same, same)).toThrow(/distinct/);
  });
});

describe('fitTemplate', () => {
  const anchors = schemaAnchors(FIVE)!;

  it('moves the boxed template so its eyes and mouth land on the ones found', () => {
    // The face is 20 px lower and 10% larger than the box says.
    const placed = templateInBox(TEMPLATE, BOX);
    const truth = placed.map((p) => ({ x: 150 + (p.x - 150) * 1.1, y: 170 + (p.y - 150) * 1.1 }));
    const found: FaceAnchors = {
      leftEye: truth[0]!,
      rightEye: truth[1]!,
      mouthLeft: truth[3]!,
      mouthRight: truth[4]!,
    };
    const fitted = fitTemplate(TEMPLATE, BOX, anchors, found)!;
    fitted.forEach((p, i) => {
      expect(p.x).toBeCloseTo(truth[i]!.x, 9);
      expect(p.y).toBeCloseTo(truth[i]!.y, 9);
    });
  });

  it('refuses a fit that shrinks the face past the limit, or turns it over', () => {
    const centre = { x: 150, y: 150 };
    const tiny = (p: { x: number; y: number }) => ({
      x: centre.x + (p.x - centre.x) / (MAX_FIT_SCALE + 0.5),
      y: centre.y + (p.y - centre.y) / (MAX_FIT_SCALE + 0.5),
    });
    const placed = templateInBox(TEMPLATE, BOX);
    const small: FaceAnchors = {
      leftEye: tiny(placed[0]!),
      rightEye: tiny(placed[1]!),
      mouthLeft: tiny(placed[3]!),
      mouthRight: tiny(placed[4]!),
    };
    expect(fitTemplate(TEMPLATE, BOX, anchors, small)).toBeNull();
    const flipped: FaceAnchors = {
      leftEye: placed[4]!,
      rightEye: placed[3]!,
      mouthLeft: placed[1]!,
      mouthRight: placed[0]!,
    };
    expect(fitTemplate(TEMPLATE, BOX, anchors, flipped)).toBeNull();
  });

  it('fits on the eyes alone when the schema names no mouth', () => {
    const eyesOnly = schemaAnchors({ points: ['left_eye', 'right_eye', 'nose', 'a', 'b'] })!;
    const found: FaceAnchors = {
      leftEye: { x: 110, y: 100 },
      rightEye: { x: 210, y: 100 },
      mouthLeft: { x: 0, y: 0 },
      mouthRight: { x: 0, y: 0 },
    };
    const fitted = fitTemplate(TEMPLATE, BOX, eyesOnly, found)!;
    expect(fitted[0]).toEqual({ x: 110, y: 100 });
    expect(fitted[1]).toEqual({ x: 210, y: 100 });
  });

  it('names an anchor point the template lacks', () => {
    expect(() =>
      fitTemplate(TEMPLATE.slice(0, 2), BOX, anchors, {
        leftEye: { x: 0, y: 0 },
        rightEye: { x: 1, y: 0 },
        mouthLeft: { x: 0, y: 1 },
        mouthRight: { x: 1, y: 1 },
      }),
    ).toThrow(/mouthLeft/);
  });
});
