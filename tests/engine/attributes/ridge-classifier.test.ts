/**
 * The ridge classifier: closed-form fit, λ by grouped cross-validation, standardisation with a
 * std floor, and clear errors for mismatched input.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../src-main/engine/backend';
import { Rng } from '../../../src-main/engine/model/rng';
import {
  concatFeatures,
  fitRidgeClassifier,
  fitRidgeWithHeldOutScores,
  ridgePredict,
  selectRows,
  type FeatureRows,
} from '../../../src-main/engine/attributes/ridge-classifier';

/** Three Gaussian classes in `dim` dimensions, centres `gap` out on the first axes, plus a dead feature. */
function blobs(n: number, dim: number, seed: number, gap = 3): { x: FeatureRows; y: Int32Array } {
  const rng = new Rng(seed);
  const data = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let j = 0; j < dim; j++) data[i * dim + j] = rng.normal() + (j === y[i] ? gap : 0);
    data[i * dim + dim - 1] = 7; // constant: std 0, must not blow up
  }
  return { x: { rows: n, dim, data }, y };
}

describe('ridge classifier', () => {
  beforeAll(async () => {
    await chooseBackend({ force: 'wasm' });
  });

  it('separates classes it was fitted on, on new rows (primal and dual)', async () => {
    for (const dim of [8, 300]) {
      // 300 noisy dimensions from 120 rows (the dual form) need a wider gap to be learnable.
      const gap = dim > 100 ? 6 : 3;
      const train = blobs(120, dim, 1, gap);
      const test = blobs(300, dim, 2, gap);
      const model = await fitRidgeClassifier(train.x, train.y, 3);
      const predicted = ridgePredict(model, test.x);
      const hits = predicted.filter((p, i) => p === test.y[i]).length;
      // Chance is 33%; the Bayes rate for centres 3·√2 apart is ~93% (8 dims), and 297 pure-noise
      // dimensions fitted from 120 rows cost the dual form some of the wider gap's margin (~78%).
      expect(hits / 300).toBeGreaterThan(dim > 100 ? 0.7 : 0.8);
      expect(model.cvAccuracy).toBeGreaterThan(0.7);
    }
  });

  it('is the closed-form ridge solution on the standardised rows, and its held-out scores a fit without their fold', async () => {
    const { x, y } = blobs(90, 6, 5);
    const lambda = 0.1;
    const groups = Array.from({ length: 90 }, (_, i) => `g${i % 5}`);
    const fit = await fitRidgeWithHeldOutScores(x, y, 3, { lambdas: [lambda], groups });
    const { model } = fit;
    // Direct float64 solve: centred standardised rows A, targets ±1 centred, (AᵀA + λnI) W = AᵀY.
    const direct = (rows: number[]) => {
      const n = rows.length;
      const d = x.dim;
      const z = rows.map((r) =>
        Array.from(
          { length: d },
          (_, j) => (x.data[r * d + j]! - model.mean[j]!) / model.scale[j]!,
        ),
      );
      const t = rows.map((r) => [0, 1, 2].map((c) => (y[r] === c ? 1 : -1)));
      const zm = Array.from({ length: d }, (_, j) => z.reduce((s, v) => s + v[j]!, 0) / n);
      const tm = [0, 1, 2].map((c) => t.reduce((s, v) => s + v[c]!, 0) / n);
      // Augmented system [M | B], Gauss-Jordan.
      const m = Array.from({ length: d }, (_, i) => [
        ...Array.from(
          { length: d },
          (_, j) =>
            z.reduce((s, v) => s + (v[i]! - zm[i]!) * (v[j]! - zm[j]!), 0) +
            (i === j ? lambda * n : 0),
        ),
        ...[0, 1, 2].map((c) =>
          z.reduce((s, v, k) => s + (v[i]! - zm[i]!) * (t[k]![c]! - tm[c]!), 0),
        ),
      ]);
      for (let i = 0; i < d; i++) {
        const p = m[i]![i]!;
        m[i] = m[i]!.map((v) => v / p);
        for (let k = 0; k < d; k++)
          if (k !== i) {
            const f = m[k]![i]!;
            m[k] = m[k]!.map((v, j) => v - f * m[i]![j]!);
          }
      }
      const w = m.map((row) => row.slice(d));
      const bias = tm.map((v, c) => v - zm.reduce((s, mj, j) => s + mj * w[j]![c]!, 0));
      return { w, bias };
    };
    const all = direct(Array.from({ length: 90 }, (_, i) => i));
    for (let j = 0; j < 6; j++)
      for (let c = 0; c < 3; c++) expect(model.weights[j * 3 + c]).toBeCloseTo(all.w[j]![c]!, 4);
    for (let c = 0; c < 3; c++) expect(model.bias[c]).toBeCloseTo(all.bias[c]!, 4);
    // Five groups, five folds: row r's held-out scores are a fit on the rows of the other groups.
    for (const r of [0, 1, 7]) {
      const without = direct(
        Array.from({ length: 90 }, (_, i) => i).filter((i) => i % 5 !== r % 5),
      );
      const zr = Array.from(
        { length: 6 },
        (_, j) => (x.data[r * 6 + j]! - model.mean[j]!) / model.scale[j]!,
      );
      for (let c = 0; c < 3; c++)
        expect(fit.heldOutScores[r * 3 + c]).toBeCloseTo(
          without.bias[c]! + zr.reduce((s, v, j) => s + v * without.w[j]![c]!, 0),
          4,
        );
    }
  });

  it('cross-validates to chance when the labels carry no signal', async () => {
    const train = blobs(150, 20, 3);
    const shuffled = Int32Array.from(new Rng(9).permutation(150), (i) => train.y[i]!);
    expect((await fitRidgeClassifier(train.x, train.y, 3)).cvAccuracy).toBeGreaterThan(0.8);
    expect((await fitRidgeClassifier(train.x, shuffled, 3)).cvAccuracy).toBeLessThan(0.5);
  });

  it('keeps a group in one fold: a group-memorising feature does not fool the CV', async () => {
    // Each group has one label and a unique id feature; without grouping, CV would reward
    // memorising the id (small λ); by group, the id says nothing about a held-out group.
    const groups: string[] = [];
    const n = 120;
    const dim = 40;
    const data = new Float32Array(n * dim);
    const y = new Int32Array(n);
    const rng = new Rng(4);
    for (let i = 0; i < n; i++) {
      const g = Math.floor(i / 4);
      groups.push(`S${g}`);
      y[i] = g % 2;
      data[i * dim + (g % dim)] = 5;
      data[i * dim + ((g + 7) % dim)]! += rng.normal() * 0.01;
    }
    const x = { rows: n, dim, data };
    const byRow = await fitRidgeClassifier(x, y, 2, { lambdas: [1e-3] });
    const byGroup = await fitRidgeClassifier(x, y, 2, { lambdas: [1e-3], groups });
    expect(byRow.cvAccuracy).toBeGreaterThan(0.9);
    expect(byGroup.cvAccuracy).toBeLessThan(0.7);
  });

  it('joins and selects feature rows', () => {
    const a = { rows: 2, dim: 2, data: Float32Array.from([1, 2, 3, 4]) };
    const b = { rows: 2, dim: 1, data: Float32Array.from([5, 6]) };
    expect([...concatFeatures(a, b).data]).toEqual([1, 2, 5, 3, 4, 6]);
    expect([...selectRows(a, [1]).data]).toEqual([3, 4]);
  });

  it('rejects labels out of range and mismatched shapes, naming the problem', async () => {
    const { x, y } = blobs(10, 4, 5);
    await expect(fitRidgeClassifier(x, y, 2)).rejects.toThrow(/Label 2 is outside 0…1/);
    await expect(fitRidgeClassifier(x, y.subarray(0, 9), 3)).rejects.toThrow(/do not match/);
    const model = await fitRidgeClassifier(x, y, 3);
    expect(() => ridgePredict(model, { rows: 1, dim: 3, data: new Float32Array(3) })).toThrow(
      /3 values per face; this classifier was fitted on 4/,
    );
  });
});
