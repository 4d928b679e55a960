/**
 * One-of-N groups (class-groups.ts) on synthetic features whose signal sits where the test puts
 * it: the fit chooses the point taps when only they carry the class and all taps when the
 * appearance columns do; probabilities sum to 1 per group and keep the ridge's argmax; the
 * exported affine map + softmax equals them; faces without the group's label stay out of its fit;
 * a group labelled with one class answers its smoothed rates; bad labels are named.
 * (Real faces: pose-real-data.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  classGroupAffine,
  classGroupAnswers,
  classGroupProbabilities,
  fitClassGroups,
  pointColumns,
  selectColumns,
} from '../../../src-main/engine/attributes/class-groups';
import {
  ridgePredict,
  type FeatureRows,
} from '../../../src-main/engine/attributes/ridge-classifier';
import { Rng } from '../../../src-main/engine/model/rng';
import { useWasm } from '../../support/engine-helpers';

const NOISE = 30;
const POINTS = 4;
const GROUP = { name: 'pose', classes: ['left', 'frontal', 'right'] };

/**
 * `rows` faces of NOISE appearance columns then POINTS point columns; class `i % 3`; the class
 * shows in the point columns (`where: 'points'`) or in the first appearance columns.
 */
function synthetic(rows: number, where: 'points' | 'appearance', seed = 1) {
  const rng = new Rng(seed);
  const dim = NOISE + POINTS;
  const data = new Float32Array(rows * dim);
  const labels: number[] = [];
  for (let r = 0; r < rows; r++) {
    const c = r % 3;
    labels.push(c);
    for (let j = 0; j < dim; j++) data[r * dim + j] = rng.normal();
    // Class c raises column c of its block (one direction per class, linearly separable).
    const at = (where === 'points' ? NOISE : 0) + c;
    data[r * dim + at] = data[r * dim + at]! * 0.5 + 3;
  }
  return { x: { rows, dim, data } as FeatureRows, labels };
}

const points = pointColumns([NOISE, POINTS], [false, true]);

beforeAll(useWasm);

describe('fitClassGroups', () => {
  it('reads the point taps alone when only they carry the class, and says why', async () => {
    const { x, labels } = synthetic(90, 'points');
    const [head] = await fitClassGroups(
      [GROUP],
      x,
      labels.map((l) => [l]),
      points,
    );
    expect(head!.features).toBe('points');
    expect(head!.columns).toEqual([30, 31, 32, 33]);
    expect(head!.cvAccuracy.points!).toBeGreaterThan(0.9);
    expect(head!.cvAccuracy.points!).toBeGreaterThanOrEqual(head!.cvAccuracy.all!);
    expect(head!.model!.dim).toBe(POINTS);
    expect(head).toMatchObject({ faces: 90, counts: [30, 30, 30], majorityRate: 1 / 3 });
    expect(head!.temperature).toBeGreaterThan(0);
  });

  it('reads every tap when the appearance columns carry the class', async () => {
    const { x, labels } = synthetic(90, 'appearance');
    const [head] = await fitClassGroups(
      [GROUP],
      x,
      labels.map((l) => [l]),
      points,
    );
    expect(head!.features).toBe('all');
    expect(head!.columns).toBeNull();
    expect(head!.cvAccuracy.all!).toBeGreaterThan(head!.cvAccuracy.points! + 0.3);
    // No point taps: every tap, the other candidate not tried.
    const [alone] = await fitClassGroups(
      [GROUP],
      x,
      labels.map((l) => [l]),
      null,
    );
    expect(alone!.features).toBe('all');
    expect(alone!.cvAccuracy.points).toBeNull();
    // Told which features: no comparison.
    const [told] = await fitClassGroups(
      [GROUP],
      x,
      labels.map((l) => [l]),
      points,
      { only: 'points' },
    );
    expect(told).toMatchObject({ features: 'points', cvAccuracy: { all: null } });
    await expect(
      fitClassGroups(
        [GROUP],
        x,
        labels.map((l) => [l]),
        null,
        { only: 'points' },
      ),
    ).rejects.toThrow(/Group pose: no point taps to fit on/);
  });

  it('gives probabilities that sum to 1 and keep the ridge argmax; the affine map + softmax equals them', async () => {
    const { x, labels } = synthetic(90, 'points');
    const test = synthetic(30, 'points', 2);
    const heads = await fitClassGroups(
      [GROUP, { ...GROUP, name: 'pose again' }],
      x,
      labels.map((l) => [l, l]),
      points,
    );
    const p = classGroupProbabilities(heads, test.x);
    expect(p).toHaveLength(30 * 6);
    for (let r = 0; r < 30; r++) {
      expect(p[r * 6]! + p[r * 6 + 1]! + p[r * 6 + 2]!).toBeCloseTo(1, 12);
      expect(p[r * 6 + 3]! + p[r * 6 + 4]! + p[r * 6 + 5]!).toBeCloseTo(1, 12);
    }
    const [first] = classGroupAnswers(heads, p, 30);
    expect(Array.from(first!)).toEqual(
      Array.from(ridgePredict(heads[0]!.model!, selectColumns(test.x, heads[0]!.columns!))),
    );
    const hits = Array.from(first!).filter((c, i) => c === test.labels[i]).length;
    expect(hits / 30).toBeGreaterThan(0.9);

    const affine = classGroupAffine(heads, x.dim);
    let worst = 0;
    affine.forEach((g, gi) => {
      for (let r = 0; r < 30; r++) {
        const s = [0, 1, 2].map((c) => {
          let v = g.bias[c]!;
          for (let j = 0; j < x.dim; j++) v += test.x.data[r * x.dim + j]! * g.weights[j * 3 + c]!;
          return v;
        });
        const top = Math.max(...s);
        const e = s.map((v) => Math.exp(v - top));
        const sum = e.reduce((a, b) => a + b, 0);
        e.forEach((v, c) => (worst = Math.max(worst, Math.abs(v / sum - p[r * 6 + gi * 3 + c]!))));
      }
      // Outside the point taps the weights are zero.
      for (let j = 0; j < NOISE * 3; j++) expect(g.weights[j]).toBe(0);
    });
    // The engine standardises in float32 (ridgeScores); the folded map is float64.
    expect(worst).toBeLessThan(1e-6);
  });

  it('leaves faces without the label out; one labelled class answers its smoothed rates', async () => {
    const { x, labels } = synthetic(60, 'points');
    const rows = labels.map((l, i) => [i % 4 === 0 ? NaN : l, i < 10 ? 1 : NaN]);
    const [pose, lone] = await fitClassGroups(
      [GROUP, { name: 'side', classes: ['a', 'b', 'c', 'd'] }],
      x,
      rows,
      points,
    );
    expect(pose!.faces).toBe(45);
    expect(pose!.model).not.toBeNull();
    expect(lone).toMatchObject({ faces: 10, counts: [0, 10, 0, 0], model: null });
    const p = classGroupProbabilities([lone!], x);
    expect(Array.from(p.subarray(0, 4))).toEqual([1 / 14, 11 / 14, 1 / 14, 1 / 14]);
    const [affine] = classGroupAffine([lone!], x.dim);
    expect(affine!.weights.every((w) => w === 0)).toBe(true);
    expect(Array.from(affine!.bias, Math.exp)[1]).toBeCloseTo(11 / 14, 12);
  });

  it('names a face whose label is not a class of the group', async () => {
    const { x } = synthetic(6, 'points');
    await expect(
      fitClassGroups([GROUP], x, [[0], [1], [2], [3], [0], [1]], points),
    ).rejects.toThrow(/Face 3: "pose" is 3; it must be a class index 0…2 or NaN/);
    await expect(fitClassGroups([GROUP], x, [[0], [1]], points)).rejects.toThrow(
      /6 faces of features but 2 rows of group labels/,
    );
  });
});
