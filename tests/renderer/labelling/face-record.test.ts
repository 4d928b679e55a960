import { describe, expect, it } from 'vitest';
import type { Landmark } from '$shared/domain';
import {
  clearPoint,
  confirmPoint,
  confirmPoints,
  emptyPoints,
  labelledCount,
  mergePrediction,
  mostUncertain,
  unconfirmedCount,
  scalePoints,
  midlineX,
  mirrorAssist,
  movePoint,
  nextToPlace,
  offsetPoints,
  placePoint,
  samePoints,
  templateInBox,
  toggleOccluded,
} from '../../../src-renderer/src/features/labelling/model/face-record';
import { FIVE } from './fixtures';

/** Who placed a point and whether a person checked it, as the edits leave it. */
const HUMAN = { source: 'human', confirmed: true } as const;
const MODEL = { source: 'model', confirmed: false } as const;
const TEMPLATE = { source: 'template', confirmed: false } as const;

function five(placed: Partial<Record<number, [number, number]>>): Landmark[] {
  return emptyPoints(5).map((p, i) => {
    const at = placed[i];
    return at ? { x: at[0], y: at[1], v: 2, ...HUMAN } : p;
  });
}

describe('point edits', () => {
  it('finds the next point to place in schema order', () => {
    expect(nextToPlace(emptyPoints(5))).toBe(0);
    expect(nextToPlace(five({ 0: [1, 1], 2: [3, 3] }))).toBe(1);
    expect(nextToPlace(five({ 0: [1, 1], 1: [1, 1], 2: [1, 1], 3: [1, 1], 4: [1, 1] }))).toBe(null);
  });

  it('returns the same array for an edit that changes nothing', () => {
    const points = five({ 0: [10, 20] });
    expect(toggleOccluded(points, 1)).toBe(points);
    expect(clearPoint(points, 1)).toBe(points);
    expect(confirmPoint(points, 0)).toBe(points);
    expect(movePoint(points, 0, { x: 10, y: 20 })).toBe(points);
    expect(offsetPoints(points, points, [1, 2], 5, 5)).toBe(points);
  });

  it('never mutates its input', () => {
    const points = five({ 0: [10, 20] });
    const copy = structuredClone(points);
    placePoint(points, 1, { x: 5, y: 6 });
    movePoint(points, 0, { x: 1, y: 2 });
    toggleOccluded(points, 0);
    clearPoint(points, 0);
    expect(points).toEqual(copy);
  });

  it('throws on an index outside the schema', () => {
    expect(() => toggleOccluded(emptyPoints(5), 5)).toThrow(/outside 0..4/);
    expect(() => movePoint(emptyPoints(5), -1, { x: 0, y: 0 })).toThrow(RangeError);
  });

  it('makes a moved point human-confirmed and a confirmed one confirmed, keeping its source', () => {
    const points: Landmark[] = [
      { x: 1, y: 2, v: 2, ...TEMPLATE },
      { x: 5, y: 6, v: 2, ...MODEL, uncertainty: 0.1 },
    ];
    expect(movePoint(points, 0, { x: 3, y: 2 })[0]).toEqual({ x: 3, y: 2, v: 2, ...HUMAN });
    // Moving to where it already is still makes it the person's.
    expect(movePoint(points, 1, { x: 5, y: 6 })[1]).toEqual({ x: 5, y: 6, v: 2, ...HUMAN });
    expect(confirmPoint(points, 0)[0]).toEqual({ x: 1, y: 2, v: 2, ...TEMPLATE, confirmed: true });
    expect(confirmPoint(points, 1)[1]).toEqual({ x: 5, y: 6, v: 2, ...MODEL, confirmed: true });
    // Dragging one point makes it the person's too.
    expect(offsetPoints(points, points, [0], 1, 1)[0]).toEqual({ x: 2, y: 3, v: 2, ...HUMAN });
    // Occlusion is a fact about the face, not a confirmation of the position.
    expect(toggleOccluded(points, 0)[0]).toEqual({ x: 1, y: 2, v: 1, ...TEMPLATE });
    // Placing a point is a person's act.
    expect(placePoint(emptyPoints(1), 0, { x: 4, y: 4 })[0]).toEqual({
      x: 4,
      y: 4,
      v: 2,
      ...HUMAN,
    });
    expect(unconfirmedCount(points)).toBe(2);
    expect(unconfirmedCount(confirmPoints(points))).toBe(0);
  });

  it('keeps provenance when a group is moved or resized as a whole', () => {
    const points: Landmark[] = [
      { x: 0, y: 0, v: 2, ...TEMPLATE },
      { x: 10, y: 0, v: 2, ...TEMPLATE },
    ];
    expect(offsetPoints(points, points, [0, 1], 5, 5)).toEqual([
      { x: 5, y: 5, v: 2, ...TEMPLATE },
      { x: 15, y: 5, v: 2, ...TEMPLATE },
    ]);
    expect(
      scalePoints(points, [0, 1], 2).every((p) => p.source === 'template' && !p.confirmed),
    ).toBe(true);
  });

  it('compares point arrays by value', () => {
    expect(samePoints(five({ 0: [1, 2] }), five({ 0: [1, 2] }))).toBe(true);
    expect(samePoints(five({ 0: [1, 2] }), five({ 0: [1, 2.5] }))).toBe(false);
    expect(samePoints([{ x: 0, y: 0, v: 2, ...TEMPLATE }], [{ x: 0, y: 0, v: 2, ...HUMAN }])).toBe(
      false,
    );
    expect(
      samePoints(
        [{ x: 0, y: 0, v: 2, ...MODEL }],
        [{ x: 0, y: 0, v: 2, ...MODEL, confirmed: true }],
      ),
    ).toBe(false);
  });
});

describe('templateInBox', () => {
  it('maps box-normalised points into the box, as unconfirmed template points', () => {
    const template = [
      { x: 0, y: 0 },
      { x: 1, y: 1 },
      { x: 0.5, y: 0.25 },
    ];
    const box = { x: 100, y: 200, width: 40, height: 80 };
    expect(templateInBox(template, box, 3)).toEqual([
      { x: 100, y: 200, v: 2, ...TEMPLATE },
      { x: 140, y: 280, v: 2, ...TEMPLATE },
      { x: 120, y: 220, v: 2, ...TEMPLATE },
    ]);
  });

  it('rejects a template of the wrong length or an empty box', () => {
    expect(() => templateInBox([{ x: 0, y: 0 }], { x: 0, y: 0, width: 1, height: 1 }, 5)).toThrow(
      /1 points; the schema has 5/,
    );
    expect(() => templateInBox([{ x: 0, y: 0 }], { x: 0, y: 0, width: 0, height: 1 }, 1)).toThrow(
      /positive size/,
    );
  });
});

describe('mirrorAssist', () => {
  it('takes the midline from pairs placed on both sides', () => {
    const points = five({ 0: [30, 40], 1: [70, 42], 2: [50, 60], 3: [35, 80] });
    expect(midlineX(points, FIVE)).toBe(50);
    const { points: out, proposed } = mirrorAssist(points, FIVE);
    expect(proposed).toEqual([4]);
    expect(out[4]).toEqual({ x: 65, y: 80, v: 2, ...TEMPLATE });
    expect(out.slice(0, 4)).toEqual(points.slice(0, 4));
  });

  it('falls back to midline points, then to the box centre', () => {
    const withNose = five({ 0: [30, 40], 2: [52, 60], 4: [66, 81] });
    const a = mirrorAssist(withNose, FIVE);
    expect(a.proposed).toEqual([1, 3]);
    expect(a.points[1]).toEqual({ x: 74, y: 40, v: 2, ...TEMPLATE });
    expect(a.points[3]).toEqual({ x: 38, y: 81, v: 2, ...TEMPLATE });

    const eyeOnly = five({ 0: [30, 40] });
    expect(mirrorAssist(eyeOnly, FIVE).proposed).toEqual([]);
    const boxed = mirrorAssist(eyeOnly, FIVE, { x: 10, y: 0, width: 100, height: 100 });
    expect(boxed.points[1]).toEqual({ x: 90, y: 40, v: 2, ...TEMPLATE });
  });

  it('keeps the partner’s occlusion and never overwrites a labelled point', () => {
    const points = five({ 0: [30, 40], 1: [71, 40], 3: [35, 80] });
    points[3] = { x: 35, y: 80, v: 1, ...HUMAN };
    const { points: out, proposed } = mirrorAssist(points, FIVE);
    expect(proposed).toEqual([4]);
    expect(out[4]?.v).toBe(1);
    expect(out[1]).toEqual(points[1]);
  });
});

describe('model predictions', () => {
  /** A model's output for the five points: every point the model's, each with its doubt. */
  const PREDICTED: Landmark[] = [
    { x: 61, y: 59, v: 2, ...MODEL, uncertainty: 0.01 },
    { x: 119, y: 61, v: 2, ...MODEL, uncertainty: 0.02 },
    { x: 91, y: 92, v: 2, ...MODEL, uncertainty: 0.05 },
    { x: 65, y: 121, v: 2, ...MODEL, uncertainty: 0.03 },
    { x: 115, y: 120, v: 2, ...MODEL, uncertainty: 0.04 },
  ];

  it('keeps the points a person placed and fills the rest with the prediction', () => {
    const face = five({ 0: [60, 60], 3: [66, 120] });
    // A template guess (unconfirmed, no uncertainty) is replaced like an empty point.
    face[4] = { x: 100, y: 100, v: 2, ...TEMPLATE };
    const merged = mergePrediction(face, PREDICTED);
    expect(merged[0]).toEqual({ x: 60, y: 60, v: 2, ...HUMAN });
    expect(merged[3]).toEqual({ x: 66, y: 120, v: 2, ...HUMAN });
    expect(merged[1]).toEqual(PREDICTED[1]);
    expect(merged[2]).toEqual(PREDICTED[2]);
    expect(merged[4]).toEqual(PREDICTED[4]);
    expect(unconfirmedCount(merged)).toBe(3);
  });

  it('returns the same array when the prediction changes nothing', () => {
    const placed = five({ 0: [1, 1], 1: [2, 2], 2: [3, 3], 3: [4, 4], 4: [5, 5] });
    expect(mergePrediction(placed, PREDICTED)).toBe(placed);
    const again = mergePrediction(emptyPoints(5), PREDICTED);
    expect(mergePrediction(again, PREDICTED)).toBe(again);
  });

  it('leaves a point the model did not predict as it was, and refuses another schema', () => {
    const partial = PREDICTED.map((p, i) =>
      i === 2 ? { x: 0, y: 0, v: 0 as const, ...HUMAN } : p,
    );
    expect(mergePrediction(emptyPoints(5), partial)[2]).toEqual({ x: 0, y: 0, v: 0, ...HUMAN });
    expect(() => mergePrediction(emptyPoints(68), PREDICTED)).toThrow(/5 points; the face has 68/);
  });

  it('finds the most uncertain unconfirmed point, ignoring confirmed ones', () => {
    expect(mostUncertain(PREDICTED)).toEqual({ index: 2, uncertainty: 0.05 });
    const confirmed = confirmPoint(PREDICTED, 2);
    expect(mostUncertain(confirmed)).toEqual({ index: 4, uncertainty: 0.04 });
    expect(mostUncertain(five({ 0: [1, 1] }))).toBeNull();
  });

  it('confirms some or all points, keeping the source and dropping the uncertainty', () => {
    const some = confirmPoints(PREDICTED, [0, 4]);
    expect(some[0]).toEqual({ x: 61, y: 59, v: 2, source: 'model', confirmed: true });
    expect(some[4]).toEqual({ x: 115, y: 120, v: 2, source: 'model', confirmed: true });
    expect(unconfirmedCount(some)).toBe(3);
    const all = confirmPoints(PREDICTED);
    expect(unconfirmedCount(all)).toBe(0);
    expect(confirmPoints(all)).toBe(all);
  });

  it('drops the uncertainty when a point is moved, keeps it when occluded or resized', () => {
    expect(movePoint(PREDICTED, 1, { x: 120, y: 60 })[1]).toEqual({
      x: 120,
      y: 60,
      v: 2,
      ...HUMAN,
    });
    expect(offsetPoints(PREDICTED, PREDICTED, [1], 1, 1)[1]).toEqual({
      x: 120,
      y: 62,
      v: 2,
      ...HUMAN,
    });
    expect(toggleOccluded(PREDICTED, 2)[2]).toEqual({ ...PREDICTED[2], v: 1 });
    expect(scalePoints(PREDICTED, [0, 1], 2)[0]!.uncertainty).toBe(0.01);
  });

  it('tells points apart by uncertainty', () => {
    const other = PREDICTED.map((p) => ({ ...p, uncertainty: 0.5 }));
    expect(samePoints(PREDICTED, other)).toBe(false);
    expect(
      samePoints(
        PREDICTED,
        PREDICTED.map((p) => ({ ...p })),
      ),
    ).toBe(true);
  });
});

describe('edits a labeller feels', () => {
  it('counts the labelled points, occluded ones included', () => {
    const points = five({ 0: [1, 1], 3: [4, 4] });
    points[3] = { x: 4, y: 4, v: 1, ...HUMAN };
    expect(labelledCount(points)).toBe(2);
    expect(labelledCount(emptyPoints(5))).toBe(0);
  });

  it('moves a person’s point along one axis only', () => {
    const points = five({ 0: [10, 20] });
    expect(movePoint(points, 0, { x: 11, y: 20 })[0]).toEqual({ x: 11, y: 20, v: 2, ...HUMAN });
    expect(movePoint(points, 0, { x: 10, y: 21 })[0]).toEqual({ x: 10, y: 21, v: 2, ...HUMAN });
  });

  it('makes an unlabelled point visible when moved, even to the origin, and keeps occlusion', () => {
    expect(movePoint(emptyPoints(1), 0, { x: 0, y: 0 })[0]).toEqual({ x: 0, y: 0, v: 2, ...HUMAN });
    expect(movePoint(emptyPoints(1), 0, { x: 5, y: 6 })[0]).toEqual({ x: 5, y: 6, v: 2, ...HUMAN });
    const occluded: Landmark[] = [{ x: 5, y: 6, v: 1, ...HUMAN }];
    expect(movePoint(occluded, 0, { x: 7, y: 8 })[0]).toEqual({ x: 7, y: 8, v: 1, ...HUMAN });
  });

  it('clears a placed point wherever it lies, so it is next to place again', () => {
    for (const at of [
      [5, 6],
      [5, 0],
      [0, 6],
      [0, 0],
    ] as const) {
      const cleared = clearPoint(five({ 0: [1, 1], 1: [at[0], at[1]] }), 1);
      expect(cleared[1]).toEqual({ x: 0, y: 0, v: 0, ...HUMAN });
      expect(nextToPlace(cleared)).toBe(1);
    }
  });

  it('leaves no stale position or provenance on a cleared point', () => {
    for (const stale of [
      { x: 5, y: 0, v: 0, ...HUMAN },
      { x: 0, y: 5, v: 0, ...HUMAN },
      { x: 0, y: 0, v: 0, ...MODEL },
      { x: 0, y: 0, v: 0, source: 'model', confirmed: true },
    ] as const) {
      expect(clearPoint([stale], 0)).toEqual([{ x: 0, y: 0, v: 0, ...HUMAN }]);
    }
  });

  it('scales a group about its centroid, ignoring its unlabelled points', () => {
    const points: Landmark[] = [
      { x: 10, y: 10, v: 2, ...TEMPLATE },
      { x: 30, y: 30, v: 2, ...TEMPLATE },
      { x: 0, y: 0, v: 0, ...HUMAN },
    ];
    expect(scalePoints(points, [0, 1, 2], 2)).toEqual([
      { x: 0, y: 0, v: 2, ...TEMPLATE },
      { x: 40, y: 40, v: 2, ...TEMPLATE },
      { x: 0, y: 0, v: 0, ...HUMAN },
    ]);
  });

  it('leaves the points as they are when there is nothing to scale', () => {
    const points: Landmark[] = [
      { x: 10, y: 10, v: 2, ...TEMPLATE },
      { x: 30, y: 30, v: 2, ...TEMPLATE },
      { x: 0, y: 0, v: 0, ...HUMAN },
    ];
    expect(scalePoints(points, [0, 1], 1)).toBe(points);
    expect(scalePoints(points, [0, 2], 3)).toBe(points);
    expect(() => scalePoints(points, [0, 1], 0)).toThrow('Bad scale factor 0');
  });

  it('checks the first of equally uncertain points first', () => {
    const tie: Landmark[] = [
      { x: 1, y: 1, v: 2, ...HUMAN },
      { x: 2, y: 2, v: 2, ...MODEL, uncertainty: 0.3 },
      { x: 3, y: 3, v: 2, ...MODEL, uncertainty: 0.3 },
    ];
    expect(mostUncertain(tie)).toEqual({ index: 1, uncertainty: 0.3 });
  });

  it('rejects a template box with no height', () => {
    expect(() => templateInBox([{ x: 0, y: 0 }], { x: 0, y: 0, width: 4, height: 0 }, 1)).toThrow(
      'Template box must have a positive size, got 4×0',
    );
  });

  it('averages the centres of every pair placed on both sides, ignoring the midline points', () => {
    // Eye centre 50, mouth centre 54; the nose at 80 does not count while pairs are placed.
    const points = five({ 0: [30, 40], 1: [70, 40], 2: [80, 60], 3: [34, 80], 4: [74, 80] });
    expect(midlineX(points, FIVE)).toBe(52);
    expect(midlineX(five({ 0: [30, 40], 1: [70, 40], 2: [80, 60] }), FIVE)).toBe(50);
  });

  it('proposes nothing for a pair with neither side placed', () => {
    const boxed = mirrorAssist(five({ 0: [30, 40] }), FIVE, {
      x: 10,
      y: 0,
      width: 100,
      height: 100,
    });
    expect(boxed.proposed).toEqual([1]);
    expect(boxed.points.slice(2)).toEqual(emptyPoints(3));
  });

  it('lists proposals in schema order whatever the order of the pairs', () => {
    const reversed = { ...FIVE, mirrorPairs: [[4, 3] as const, [1, 0] as const] };
    const points = five({ 0: [30, 40], 2: [50, 60], 4: [66, 80] });
    expect(mirrorAssist(points, reversed).proposed).toEqual([1, 3]);
  });

  it('tells arrays of different lengths and points of different sources apart', () => {
    const points = five({ 0: [1, 2] });
    expect(samePoints(points.slice(0, 4), points)).toBe(false);
    expect(samePoints(points, points.slice(0, 4))).toBe(false);
    expect(
      samePoints(
        [{ x: 0, y: 0, v: 2, source: 'model', confirmed: true }],
        [{ x: 0, y: 0, v: 2, source: 'template', confirmed: true }],
      ),
    ).toBe(false);
  });
});
