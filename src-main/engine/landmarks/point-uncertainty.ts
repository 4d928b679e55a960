/**
 * Per-point uncertainty of a landmark head, calibrated on faces the fit did not see
 * (docs/ARCHITECTURE.md, "Backbones and tasks"): the predicted one-sigma error of point j on a
 * face is σ = √(a·s_j² + c·d²), where s_j is the point's leave-one-out RMS error over the training
 * faces (jaw points are harder than eye corners) and d the face's own disagreement between its
 * prediction and its mirror's (a face the model is unsure of answers differently when mirrored).
 * a, c ≥ 0 are least squares of the leave-one-out squared errors on s_j² and d². A point far off
 * on one face therefore gets a large σ there even when the point is easy on average.
 */

export interface UncertaintyModel {
  /** Weight of the point's leave-one-out variance. */
  a: number;
  /** Weight of the squared mirror disagreement. */
  c: number;
}

/**
 * Fits a and c from `error` and `disagreement` (`[n · k]`, leave-one-out, crop units) and the
 * per-point RMS `looError` (`[k]`).
 */
export function fitUncertainty(
  error: ArrayLike<number>,
  disagreement: ArrayLike<number>,
  looError: ArrayLike<number>,
  n: number,
  k: number,
): UncertaintyModel {
  // Normal equations of e² ≈ a·s² + c·d², then clipped to a, c ≥ 0 (refit the other alone).
  let ss = 0;
  let sd = 0;
  let dd = 0;
  let se = 0;
  let de = 0;
  for (let f = 0; f < n; f++) {
    for (let j = 0; j < k; j++) {
      const s2 = looError[j]! ** 2;
      const d2 = disagreement[f * k + j]! ** 2;
      const e2 = error[f * k + j]! ** 2;
      ss += s2 * s2;
      sd += s2 * d2;
      dd += d2 * d2;
      se += s2 * e2;
      de += d2 * e2;
    }
  }
  const det = ss * dd - sd * sd;
  let a = det > 0 ? (se * dd - de * sd) / det : 0;
  let c = det > 0 ? (de * ss - se * sd) / det : 0;
  if (!(det > 0) || !(a >= 0) || !(c >= 0)) {
    const onlyS = ss > 0 ? se / ss : 0;
    const onlyD = dd > 0 ? de / dd : 0;
    // Keep whichever single term explains more of the squared error.
    const fitS = onlyS * se;
    const fitD = onlyD * de;
    [a, c] = fitS >= fitD ? [Math.max(0, onlyS), 0] : [0, Math.max(0, onlyD)];
  }
  if (a === 0 && c === 0) a = 1;
  return { a, c };
}

/** σ (`[n · k]`, crop units) for faces with mirror disagreement `disagreement`. */
export function predictSigma(
  model: UncertaintyModel,
  looError: ArrayLike<number>,
  disagreement: ArrayLike<number>,
  n: number,
  k: number,
): Float64Array {
  const sigma = new Float64Array(n * k);
  for (let f = 0; f < n; f++) {
    for (let j = 0; j < k; j++) {
      sigma[f * k + j] = Math.sqrt(
        model.a * looError[j]! ** 2 + model.c * disagreement[f * k + j]! ** 2,
      );
    }
  }
  return sigma;
}
