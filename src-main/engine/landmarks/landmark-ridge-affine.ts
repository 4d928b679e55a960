/**
 * A fitted landmark ridge head (landmark-ridge-head.ts) collapsed into one affine map per crop,
 * for the exported graph (docs/ARCHITECTURE.md, "Formats"). Every step of the head is linear in
 * the backbone's taps:
 *
 * - the local prior: `ȳ_j + Σ_q w_q (m_{n_q} − m̄_q)` over each point's mesh neighbours (x with x,
 *   y with y);
 * - the map standardisation: `(v − mean)·scale·mapFactor`;
 * - the global ridge: `(x − x̄)·W + ȳ` over [points, standardised maps];
 *
 * so the shape of one crop is `[points | map] · A + b`, A `[(P·dims + D) × 2K]`, b `[2K]`,
 * computed here in float64. The map is one crop's prediction, as `predictLandmarkCrops`: the flip
 * averaging stays outside (predict-faces.ts feeds the crop and its mirror and combines them).
 *
 * The refinement (step 5 of landmark-ridge-head.ts) is linear in its samples of the local map,
 * though not in the first guess it samples at: `refineAffineOf` folds its standardisation into
 * one weight per (point, channel, axis) and one bias per (point, axis), for the graph to apply
 * after sampling (export/landmark-refine-graph.ts).
 */
import { StudioError } from '../../shared/errors';
import { mapFactorOf, type LandmarkRidgeModel, type RefineStage } from './landmark-ridge-head';

/** Shape of the two taps the head reads (batch axis left out). */
export interface LandmarkTapDims {
  /** Points tap: `[P, dims]`; null when the head reads none. */
  points: { count: number; dims: number } | null;
  /** Map tap: values per face; null when the head reads none. */
  mapDim: number | null;
}

export interface LandmarkAffine {
  /** Rows of `weights`: the points tap's values (0 when unused), then the map's (0 when unused). */
  pointInputs: number;
  mapInputs: number;
  /** Outputs: x, y per schema point. */
  outputs: number;
  /** `[(pointInputs + mapInputs) × outputs]`, row-major. */
  weights: Float64Array;
  bias: Float64Array;
}

/** The affine map of `model` on taps of `dims`. */
export function landmarkRidgeAffine(
  model: LandmarkRidgeModel,
  dims: LandmarkTapDims,
): LandmarkAffine {
  const k = model.pointCount;
  const out = 2 * k;
  const p = dims.points ? dims.points.count * dims.points.dims : 0;
  const usesMaps = model.mapMean !== null && model.mapScale !== null && model.options.mapWeight > 0;
  const q = usesMaps ? (dims.mapDim ?? 0) : 0;
  if (usesMaps && q !== model.mapMean!.length)
    throw new StudioError(
      'invalid-payload',
      `The landmark head was fitted on maps of ${model.mapMean!.length} values; the map tap has ${dims.mapDim ?? 'none'}`,
    );
  if (model.global.xMean.length !== p + q || model.global.yMean.length !== out)
    throw new StudioError(
      'invalid-payload',
      `The landmark head was fitted on ${model.global.xMean.length} features → ${model.global.yMean.length} ` +
        `values; the taps give ${p} point and ${q} map values → ${out}`,
    );
  if (model.local && !dims.points)
    throw new StudioError(
      'invalid-payload',
      'The landmark head has a local prior but no points tap',
    );
  const rows = p + q;
  const w = new Float64Array(rows * out);
  const b = new Float64Array(out);
  // Local prior.
  if (model.local) {
    const pd = dims.points!.dims;
    model.local.forEach((lp, j) => {
      for (let c = 0; c < 2; c++) {
        const o = 2 * j + c;
        let bias = lp.meanTarget[c]!;
        lp.neighbours.forEach((point, n) => {
          w[(point * pd + c) * out + o] = w[(point * pd + c) * out + o]! + lp.weights[n]!;
          bias -= lp.weights[n]! * lp.meanNeighbours[2 * n + c]!;
        });
        b[o] = b[o]! + bias;
      }
    });
  }
  // Global ridge on [points, (map − mean)·scale·factor].
  const g = model.global;
  const factor = mapFactorOf(model.options, p, q);
  for (let t = 0; t < rows; t++) {
    const gain = t < p ? 1 : model.mapScale![t - p]! * factor;
    const shift = t < p ? 0 : model.mapMean![t - p]!;
    // x_t = gain·(v_t − shift); (x_t − x̄_t)·W_t = gain·W_t·v_t − (gain·shift + x̄_t)·W_t.
    const offset = gain * shift + g.xMean[t]!;
    for (let o = 0; o < out; o++) {
      const wt = g.weights[t * out + o]!;
      w[t * out + o] = w[t * out + o]! + gain * wt;
      b[o] = b[o]! - offset * wt;
    }
  }
  for (let o = 0; o < out; o++) b[o] = b[o]! + g.yMean[o]!;
  return { pointInputs: p, mapInputs: q, outputs: out, weights: w, bias: b };
}

/** `[n · outputs]` of the affine map for `n` rows of points and maps (float64, for tests). */
export function applyLandmarkAffine(
  affine: LandmarkAffine,
  points: ArrayLike<number> | null,
  maps: ArrayLike<number> | null,
  n: number,
): Float64Array {
  const { pointInputs: p, mapInputs: q, outputs: out } = affine;
  const y = new Float64Array(n * out);
  for (let i = 0; i < n; i++) {
    y.set(affine.bias, i * out);
    for (let t = 0; t < p + q; t++) {
      const v = t < p ? points![i * p + t]! : maps![i * q + t - p]!;
      if (v === 0) continue;
      for (let o = 0; o < out; o++)
        y[i * out + o] = y[i * out + o]! + v * affine.weights[t * out + o]!;
    }
  }
  return y;
}

/** The refinement as per-point affine maps of the raw samples of the local map. */
export interface RefineAffine {
  /** The local map the samples come from: `[height, width, channels]` per face. */
  height: number;
  width: number;
  channels: number;
  /** Schema points K. */
  points: number;
  /** `[K · C · 2]`: point j's weight of channel c's sample on its dx at (j·C + c)·2, dy at +1. */
  weights: Float64Array;
  /** `[K · 2]`: point j's (dx, dy) when every sample is 0. */
  bias: Float64Array;
}

/**
 * `stage` as affine maps of raw samples: the correction of point j is
 * `Σ_c ((s_c − mean_c)·scale_c − f̄_jc)·w_jc + t̄_j = Σ_c s_c·(scale_c·w_jc) + b_j`.
 */
export function refineAffineOf(stage: RefineStage): RefineAffine {
  const k = stage.points.length;
  const c = stage.channels;
  const weights = new Float64Array(k * c * 2);
  const bias = new Float64Array(k * 2);
  stage.points.forEach((p, j) => {
    for (let a = 0; a < 2; a++) {
      let b = p.targetMean[a]!;
      for (let t = 0; t < c; t++) {
        const w = p.weights[2 * t + a]!;
        weights[(j * c + t) * 2 + a] = stage.scale[t]! * w;
        b -= (stage.mean[t]! * stage.scale[t]! + p.featureMean[t]!) * w;
      }
      bias[j * 2 + a] = b;
    }
  });
  return { height: stage.height, width: stage.width, channels: c, points: k, weights, bias };
}
