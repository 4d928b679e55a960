import { describe, expect, it } from 'vitest';
import { fitUncertainty, predictSigma } from '../../../src-main/engine/landmarks/point-uncertainty';
import { Rng } from '../../../src-main/engine/model/rng';

describe('point uncertainty', () => {
  it('recovers how much of the error the point scale and the mirror disagreement explain', () => {
    const rng = new Rng(4);
    const [n, k] = [400, 6];
    const looError = Float64Array.from({ length: k }, (_, j) => 0.01 * (j + 1));
    const disagreement = Float64Array.from({ length: n * k }, () => 0.05 * rng.next());
    // Errors drawn with variance 1·s² + 2·d² (a 2-D Gaussian's length: E[e²] = variance).
    const error = Float64Array.from({ length: n * k }, (_, i) => {
      const v = looError[i % k]! ** 2 + 2 * disagreement[i]! ** 2;
      return Math.hypot(rng.normal(), rng.normal()) * Math.sqrt(v / 2);
    });
    const model = fitUncertainty(error, disagreement, looError, n, k);
    expect(model.a).toBeGreaterThan(0.7);
    expect(model.a).toBeLessThan(1.3);
    expect(model.c).toBeGreaterThan(1.4);
    expect(model.c).toBeLessThan(2.6);
    const sigma = predictSigma(model, looError, disagreement, n, k);
    // A face whose mirror disagrees a lot gets a larger σ at the same point.
    const at = (f: number, j: number) => sigma[f * k + j]!;
    const big = Array.from({ length: n }, (_, f) => f).sort(
      (a, b) => disagreement[b * k]! - disagreement[a * k]!,
    );
    expect(at(big[0]!, 0)).toBeGreaterThan(at(big[n - 1]!, 0));
  });

  it('uses the point scale alone when mirrors never disagree', () => {
    const looError = [0.01, 0.02];
    const disagreement = [0, 0, 0, 0];
    const error = [0.02, 0.04, 0.02, 0.04];
    const model = fitUncertainty(error, disagreement, looError, 2, 2);
    expect(model.c).toBe(0);
    expect(model.a).toBeCloseTo(4);
  });
});
