import { describe, expect, it } from 'vitest';
import {
  fitRidge,
  fitRidgeWithGram,
  kernelFoldPredict,
  predictRidge,
} from '../../../src-main/engine/landmarks/ridge';
import { Rng } from '../../../src-main/engine/model/rng';
import { useWasm } from '../../support/engine-helpers';

/** Rows of a noisy linear map, two rows per group (a "face" and its "mirror"). */
function data(n: number, d: number, m: number, noise: number, seed: number) {
  const rng = new Rng(seed);
  const w = Float64Array.from({ length: d * m }, () => rng.normal());
  const x = Float64Array.from({ length: n * d }, () => rng.normal());
  const y = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < m; t++) {
      let v = 0.3;
      for (let j = 0; j < d; j++) v += x[i * d + j]! * w[j * m + t]!;
      y[i * m + t] = v + noise * rng.normal();
    }
  return { x, y, groups: Array.from({ length: n }, (_, i) => Math.floor(i / 2)) };
}

describe('fitRidge', () => {
  it('gives the leave-one-group-out residuals a refit without the group gives', async () => {
    await useWasm();
    const [n, d, m] = [12, 5, 2];
    const { x, y, groups } = data(n, d, m, 0.5, 3);
    const fit = await fitRidge(x, y, n, d, m, groups, { lambdas: [0.5] });
    // Brute force in the primal, on the same centred data and the same absolute penalty
    // (λ is relative to the kernel's mean diagonal, the mean squared norm of a centred row).
    const xc = Float64Array.from(x, (v, i) => v - fit.xMean[i % d]!);
    const yc = Float64Array.from(y, (v, i) => v - fit.yMean[i % m]!);
    let unit = 0;
    for (const v of xc) unit += (v * v) / n;
    for (const g of [0, 4]) {
      const rows = groups.flatMap((v, i) => (v === g ? [] : [i]));
      const a = new Float64Array(d * d);
      const b = new Float64Array(d * m);
      for (const i of rows) {
        for (let p = 0; p < d; p++) {
          for (let q = 0; q < d; q++)
            a[p * d + q] = a[p * d + q]! + xc[i * d + p]! * xc[i * d + q]!;
          for (let t = 0; t < m; t++)
            b[p * m + t] = b[p * m + t]! + xc[i * d + p]! * yc[i * m + t]!;
        }
      }
      for (let p = 0; p < d; p++) a[p * d + p] = a[p * d + p]! + 0.5 * unit;
      const w = solve(a, b, d, m);
      for (const row of [2 * g, 2 * g + 1]) {
        for (let t = 0; t < m; t++) {
          let predicted = 0;
          for (let p = 0; p < d; p++) predicted += xc[row * d + p]! * w[p * m + t]!;
          const at = fit.looRows.indexOf(row);
          expect(fit.looResiduals[at * m + t]).toBeCloseTo(yc[row * m + t]! - predicted, 4);
        }
      }
    }
  });

  it('recovers a linear map and prefers a small λ when the noise is small', async () => {
    await useWasm();
    const [n, d, m] = [60, 4, 3];
    const { x, y, groups } = data(n, d, m, 0.01, 5);
    const fit = await fitRidge(x, y, n, d, m, groups, { lambdas: [1e-4, 1e-2, 1, 100] });
    expect(fit.lambda).toBeLessThanOrEqual(1e-2);
    expect(fit.looScores[0]!).toBeLessThan(fit.looScores[3]!);
    const test = data(10, d, m, 0, 5);
    const p = await predictRidge(fit, test.x, 10);
    for (let i = 0; i < p.length; i++) expect(p[i]).toBeCloseTo(test.y[i]!, 1);
  });

  it('chooses λ on a subset of whole groups when there are many rows', async () => {
    await useWasm();
    const { x, y, groups } = data(40, 3, 1, 0.1, 9);
    const fit = await fitRidge(x, y, 40, 3, 1, groups, { lambdas: [0.01, 1], maxLooRows: 10 });
    expect(fit.looRows.length).toBeLessThanOrEqual(10);
    expect(fit.looRows.length % 2).toBe(0);
    expect(fit.looResiduals).toHaveLength(fit.looRows.length);
  });
});

/** Solves A·W = B (A d×d, B d×m) by Gaussian elimination. */
function solve(a: Float64Array, b: Float64Array, d: number, m: number): Float64Array {
  const A = Float64Array.from(a);
  const B = Float64Array.from(b);
  for (let c = 0; c < d; c++) {
    for (let r = c + 1; r < d; r++) {
      const f = A[r * d + c]! / A[c * d + c]!;
      for (let t = 0; t < d; t++) A[r * d + t] = A[r * d + t]! - f * A[c * d + t]!;
      for (let t = 0; t < m; t++) B[r * m + t] = B[r * m + t]! - f * B[c * m + t]!;
    }
  }
  const w = new Float64Array(d * m);
  for (let r = d - 1; r >= 0; r--) {
    for (let t = 0; t < m; t++) {
      let v = B[r * m + t]!;
      for (let c = r + 1; c < d; c++) v -= A[r * d + c]! * w[c * m + t]!;
      w[r * m + t] = v / A[r * d + r]!;
    }
  }
  return w;
}

describe('kernelFoldPredict', () => {
  it('predicts the held rows as fitRidge on the train rows alone does, from the gram of all rows', async () => {
    await useWasm();
    const [n, d, m] = [16, 6, 3];
    const { x, y, groups } = data(n, d, m, 0.3, 5);
    const { gram } = await fitRidgeWithGram(x, y, n, d, m, groups, { lambdas: [0.2] });
    const held = [2, 3, 9, 10];
    const train = Array.from({ length: n }, (_, i) => i).filter((i) => !held.includes(i));
    const pick = (a: Float64Array, w: number, rows: number[]) =>
      Float64Array.from(rows.flatMap((r) => Array.from(a.subarray(r * w, (r + 1) * w))));
    const alone = await fitRidge(
      pick(x, d, train),
      pick(y, m, train),
      train.length,
      d,
      m,
      train.map((r) => groups[r]!),
      { lambdas: [0.2] },
    );
    const expected = await predictRidge(alone, pick(x, d, held), held.length);
    const got = kernelFoldPredict(gram, n, train, held, y, m, 0.2);
    expect(got).toHaveLength(held.length * m);
    // The gram is float32 (TF.js): agreement to a few parts in 10⁵ of the targets' scale.
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 3));
    // And it is not the fit on all rows (the held rows' own targets are not used).
    const all = await predictRidge(
      await fitRidge(x, y, n, d, m, groups, { lambdas: [0.2] }),
      pick(x, d, held),
      4,
    );
    expect(Math.max(...all.map((v, i) => Math.abs(v - got[i]!)))).toBeGreaterThan(1e-3);
  });
});
