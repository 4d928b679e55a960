/**
 * How well predicted point uncertainty tracks the actual point error on held-out faces
 * (docs/ARCHITECTURE.md, "Testing and benchmarks"): Spearman's rank correlation over every
 * (face, point), and a reliability table — faces' points binned by predicted σ, with the mean σ
 * and the actual RMS error of each bin, so a calibrated model shows the two columns agreeing.
 */

/** Ranks 0..n−1, ties given their mean rank. */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    for (let t = i; t <= j; t++) out[order[t]!] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

/** Spearman's ρ of two equally long series (NaN when either is constant). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`spearman: ${a.length} and ${b.length} values`);
  const ra = ranks(a);
  const rb = ranks(b);
  const mid = (a.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i]! - mid) * (rb[i]! - mid);
    da += (ra[i]! - mid) ** 2;
    db += (rb[i]! - mid) ** 2;
  }
  return num / Math.sqrt(da * db);
}

export interface ReliabilityBin {
  /** Points in the bin. */
  count: number;
  meanSigma: number;
  /** Root mean square of the actual point error. */
  rmsError: number;
  /** Fraction of points whose error is within 2σ (≈ 0.86 for a 2-D Gaussian error). */
  within2Sigma: number;
}

/** `bins` equal-count bins of predicted σ, smallest first. */
export function reliabilityTable(
  sigma: ArrayLike<number>,
  error: ArrayLike<number>,
  bins = 5,
): ReliabilityBin[] {
  const n = sigma.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => sigma[a]! - sigma[b]!);
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const part = order.slice(Math.floor((b * n) / bins), Math.floor(((b + 1) * n) / bins));
    if (part.length === 0) continue;
    let s = 0;
    let e2 = 0;
    let within = 0;
    for (const i of part) {
      s += sigma[i]!;
      e2 += error[i]! ** 2;
      if (error[i]! <= 2 * sigma[i]!) within++;
    }
    out.push({
      count: part.length,
      meanSigma: s / part.length,
      rmsError: Math.sqrt(e2 / part.length),
      within2Sigma: within / part.length,
    });
  }
  return out;
}
