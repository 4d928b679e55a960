/**
 * The fast default landmark head for any schema (68, 98, 5, custom) on a geometry backbone: a
 * closed-form map from the backbone's points (FaceMesh's 468) and feature maps to the schema's
 * points in crop coordinates (docs/ARCHITECTURE.md, "Backbones and tasks").
 *
 * 1. Local prior. Each schema point starts as a weighted sum of the M backbone points nearest to
 *    its mean position, `ȳ_j + Σ w_i (m_i − m̄_i)`, the weights shared by x and y (so the point
 *    moves with its neighbourhood of the mesh) and shrunk towards "follow the nearest mesh
 *    point", with the penalty chosen per point by leave-one-out. This is what lets 5–10 faces
 *    give a usable model: few numbers per point, a sensible answer at infinite penalty.
 * 2. Global correction. The residual is regressed by ridge (dual form, ridge.ts) on all backbone
 *    points and the standardised feature maps — where points the mesh does not cover (hairline,
 *    ears, custom points) get their information — with λ by leave-one-out.
 * 3. Flip. Every training face is used twice, as is and mirrored (the backbone's own view of the
 *    mirrored crop, targets flipped by the schema's mirror pairs); prediction averages the face
 *    and its mirror, unflipped.
 * 4. Uncertainty. σ² = a·s_j² + c·d², with s_j the point's leave-one-out error on the training
 *    faces and d the disagreement between the face's and its mirror's prediction; a and c are
 *    fitted on the leave-one-out errors (point-uncertainty.ts), so σ is calibrated on faces the
 *    fit did not see.
 */
import { StudioError } from '../../shared/errors';
import { fitRidge, predictRidge, type RidgeFit } from './ridge';
import { flipShapes } from './schema-flip';
import { fitUncertainty, predictSigma, type UncertaintyModel } from './point-uncertainty';

/** One set of faces as a backbone saw them (as is, or mirrored). */
export interface HeadInput {
  count: number;
  /** `[n · P · pointDims]` backbone points in crop units (x, y first), or null. */
  points: Float32Array | null;
  pointCount: number;
  pointDims: number;
  /** `[n · D]` feature-map values, or null. */
  maps: Float32Array | null;
  mapDim: number;
}

export interface LandmarkRidgeOptions {
  /** Backbone points per schema point in the local prior. */
  neighbours: number;
  /** Relative penalties tried for the local prior (× the mean squared design norm). */
  localLambdas: readonly number[];
  /** Relative penalties tried for the global correction (× the kernel's mean diagonal). */
  globalLambdas: readonly number[];
  /** Weight of the feature maps beside the points in the global correction (0 = points only). */
  mapWeight: number;
  /** Rows (faces × 2) above which λ is chosen on a subset (ridge.ts, `maxLooRows`). */
  maxLooRows: number;
  /** Floor on a map channel's std before standardising, as a fraction of the median std. */
  stdFloor: number;
}

export const DEFAULT_RIDGE_OPTIONS: LandmarkRidgeOptions = {
  neighbours: 8,
  localLambdas: [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 1e6],
  globalLambdas: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 100],
  mapWeight: 0.5,
  maxLooRows: 400,
  stdFloor: 0.1,
};

interface LocalPoint {
  neighbours: number[];
  weights: number[];
  meanTarget: [number, number];
  meanNeighbours: number[];
  lambda: number;
}

/** A fitted head: plain numbers, serialisable as JSON beside a model. */
export interface LandmarkRidgeModel {
  pointCount: number;
  flip: number[];
  options: LandmarkRidgeOptions;
  local: LocalPoint[] | null;
  global: RidgeFit;
  mapMean: Float64Array | null;
  mapScale: Float64Array | null;
  uncertainty: UncertaintyModel;
  /** Leave-one-out error per schema point (crop units, RMS), the s_j of the uncertainty. */
  looError: Float64Array;
  trainingFaces: number;
}

export interface LandmarkPrediction {
  /** `[n · K · 2]` crop coordinates. */
  shapes: Float64Array;
  /** `[n · K]` one-sigma point error (crop units). */
  sigma: Float64Array;
}

/** Fits the head on `faces` and the same faces `mirrored`, targets `[n · K · 2]` crop units. */
export function fitLandmarkRidge(
  faces: HeadInput,
  mirrored: HeadInput,
  targets: ArrayLike<number>,
  flip: readonly number[],
  options: LandmarkRidgeOptions = DEFAULT_RIDGE_OPTIONS,
): LandmarkRidgeModel {
  const n = faces.count;
  const k = flip.length;
  if (n < 2)
    throw new StudioError('invalid-payload', `A landmark head needs 2 or more faces, got ${n}`);
  if (mirrored.count !== n || targets.length !== n * k * 2) {
    throw new StudioError(
      'invalid-payload',
      `Landmark head: ${n} faces, ${mirrored.count} mirrored, ${targets.length / 2} target points for ${k}-point schema`,
    );
  }
  if (!faces.points && !faces.maps) {
    throw new StudioError(
      'invalid-payload',
      'Landmark head: the backbone gave no points and no maps',
    );
  }
  // Rows 0..n−1 the faces, n..2n−1 their mirrors; group f = a face and its mirror.
  const rows = 2 * n;
  const y = new Float64Array(rows * k * 2);
  y.set(Float64Array.from(targets), 0);
  y.set(flipShapes(targets, n, flip), n * k * 2);
  const points = faces.points ? concatRows(faces.points, mirrored.points!) : null;
  const maps = faces.maps ? concatRows(faces.maps, mirrored.maps!) : null;
  const groups = Array.from({ length: rows }, (_, i) => i % n);
  const isOriginal = Array.from({ length: rows }, (_, i) => i < n);

  const local = points
    ? fitLocal(points, faces.pointCount, faces.pointDims, y, rows, k, groups, options)
    : null;
  const prior = local
    ? predictLocal(local, points!, faces.pointCount, faces.pointDims, rows)
    : new Float64Array(rows * k * 2);
  const residual = y.map((v, i) => v - prior[i]!);

  let mapMean: Float64Array | null = null;
  let mapScale: Float64Array | null = null;
  if (maps && options.mapWeight > 0)
    ({ mean: mapMean, scale: mapScale } = mapStats(maps, rows, faces.mapDim, options.stdFloor));
  const x = globalFeatures(
    points,
    faces.pointCount,
    faces.pointDims,
    maps,
    faces.mapDim,
    mapMean,
    mapScale,
    options,
    rows,
  );
  const d = x.length / rows;
  const global = fitRidge(x, residual, rows, d, k * 2, groups, {
    lambdas: options.globalLambdas,
    scoreRows: isOriginal,
    maxLooRows: options.maxLooRows,
  });

  // Leave-one-out predictions of each face (of those with one: see `maxLooRows`) and of its
  // mirror, unflipped, averaged as `predict` averages them: their errors calibrate σ.
  const looOf = new Map<number, Float64Array>();
  global.looRows.forEach((r, i) => {
    const loo = new Float64Array(k * 2);
    for (let t = 0; t < k * 2; t++)
      loo[t] = y[r * k * 2 + t]! - global.looResiduals[i * k * 2 + t]!;
    looOf.set(r, loo);
  });
  const held = [...looOf.keys()].filter((r) => r < n && looOf.has(r + n));
  const h = held.length;
  const asIs = new Float64Array(h * k * 2);
  const mirrorLoo = new Float64Array(h * k * 2);
  const truth = new Float64Array(h * k * 2);
  held.forEach((r, i) => {
    asIs.set(looOf.get(r)!, i * k * 2);
    mirrorLoo.set(looOf.get(r + n)!, i * k * 2);
    truth.set(y.subarray(r * k * 2, (r + 1) * k * 2), i * k * 2);
  });
  const fromMirror = flipShapes(mirrorLoo, h, flipInverse(flip));
  const error = new Float64Array(h * k);
  const disagreement = new Float64Array(h * k);
  for (let i = 0; i < h * k; i++) {
    const [px, py] = [
      (asIs[2 * i]! + fromMirror[2 * i]!) / 2,
      (asIs[2 * i + 1]! + fromMirror[2 * i + 1]!) / 2,
    ];
    error[i] = Math.hypot(px - truth[2 * i]!, py - truth[2 * i + 1]!);
    disagreement[i] = Math.hypot(
      asIs[2 * i]! - fromMirror[2 * i]!,
      asIs[2 * i + 1]! - fromMirror[2 * i + 1]!,
    );
  }
  const looError = new Float64Array(k);
  for (let f = 0; f < h; f++)
    for (let j = 0; j < k; j++) looError[j] = looError[j]! + error[f * k + j]! ** 2 / h;
  for (let j = 0; j < k; j++) looError[j] = Math.sqrt(looError[j]!);
  const uncertainty = fitUncertainty(error, disagreement, looError, h, k);
  return {
    pointCount: k,
    flip: [...flip],
    options,
    local,
    global,
    mapMean,
    mapScale,
    uncertainty,
    looError,
    trainingFaces: n,
  };
}

/** Predictions for `faces` (and the same faces mirrored): the averaged shape and its σ. */
export function predictLandmarkRidge(
  model: LandmarkRidgeModel,
  faces: HeadInput,
  mirrored: HeadInput,
): LandmarkPrediction {
  const n = faces.count;
  const k = model.pointCount;
  const asIs = predictLandmarkCrops(model, faces);
  const fromMirror = flipShapes(predictLandmarkCrops(model, mirrored), n, flipInverse(model.flip));
  const shapes = asIs.map((v, i) => (v + fromMirror[i]!) / 2);
  const disagreement = new Float64Array(n * k);
  for (let i = 0; i < n * k; i++) {
    disagreement[i] = Math.hypot(
      asIs[2 * i]! - fromMirror[2 * i]!,
      asIs[2 * i + 1]! - fromMirror[2 * i + 1]!,
    );
  }
  return { shapes, sigma: predictSigma(model.uncertainty, model.looError, disagreement, n, k) };
}

/**
 * The head's shapes `[n · K · 2]` for crops as they are, no flip averaging: what
 * `predictLandmarkRidge` computes for each of the face and its mirror before combining them.
 */
export function predictLandmarkCrops(model: LandmarkRidgeModel, input: HeadInput): Float64Array {
  const n = input.count;
  const k = model.pointCount;
  const prior = model.local
    ? predictLocal(model.local, input.points!, input.pointCount, input.pointDims, n)
    : new Float64Array(n * k * 2);
  const x = globalFeatures(
    input.points,
    input.pointCount,
    input.pointDims,
    input.maps,
    input.mapDim,
    model.mapMean,
    model.mapScale,
    model.options,
    n,
  );
  const correction = predictRidge(model.global, x, n);
  return prior.map((v, i) => v + correction[i]!);
}

/**
 * The factor the standardised maps are scaled by beside `p` point values and `q` map values, so
 * their total variance is `mapWeight` × the points' (0 when the maps are not used).
 */
export function mapFactorOf(options: LandmarkRidgeOptions, p: number, q: number): number {
  if (q === 0 || options.mapWeight <= 0) return 0;
  // Mesh coordinates vary by ~0.02–0.05 crop units: their total variance sets the maps' scale.
  const pointVariance = p > 0 ? p * 0.03 ** 2 : 1;
  return Math.sqrt((options.mapWeight * pointVariance) / q);
}

/** The inverse permutation (a mirror pairing is its own inverse; this does not assume it). */
export function flipInverse(flip: readonly number[]): number[] {
  const inv = new Array<number>(flip.length);
  flip.forEach((to, from) => (inv[to] = from));
  return inv;
}

function concatRows(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function mapStats(
  maps: Float32Array,
  rows: number,
  dim: number,
  floor: number,
): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < rows; i++) {
    for (let t = 0; t < dim; t++) {
      const v = maps[i * dim + t]!;
      mean[t] = mean[t]! + v / rows;
      sq[t] = sq[t]! + (v * v) / rows;
    }
  }
  const std = mean.map((m, t) => Math.sqrt(Math.max(0, sq[t]! - m * m)));
  const sorted = Float64Array.from(std).sort();
  const median = sorted[Math.floor(dim / 2)]! || 1;
  // Dead channels (std ≈ 0 on the training faces) would explode on test faces without a floor.
  const scale = std.map((s) => 1 / Math.max(s, floor * median));
  return { mean, scale };
}

/**
 * Global features: the backbone points (all dims, crop units) beside the standardised maps, the
 * maps scaled so their total variance is `mapWeight` × the points' (a unit-free balance).
 */
function globalFeatures(
  points: Float32Array | null,
  pointCount: number,
  pointDims: number,
  maps: Float32Array | null,
  mapDim: number,
  mapMean: Float64Array | null,
  mapScale: Float64Array | null,
  options: LandmarkRidgeOptions,
  rows: number,
): Float32Array {
  const p = points ? pointCount * pointDims : 0;
  const useMaps = maps !== null && mapMean !== null && mapScale !== null && options.mapWeight > 0;
  const q = useMaps ? mapDim : 0;
  const out = new Float32Array(rows * (p + q));
  const mapFactor = mapFactorOf(options, p, q);
  for (let i = 0; i < rows; i++) {
    const o = i * (p + q);
    for (let t = 0; t < p; t++) out[o + t] = points![i * p + t]!;
    for (let t = 0; t < q; t++)
      out[o + p + t] = (maps![i * q + t]! - mapMean![t]!) * mapScale![t]! * mapFactor;
  }
  return out;
}

/** Fits the local prior of every schema point (see the module comment, step 1). */
function fitLocal(
  points: Float32Array,
  pointCount: number,
  pointDims: number,
  y: Float64Array,
  rows: number,
  k: number,
  groups: readonly number[],
  options: LandmarkRidgeOptions,
): LocalPoint[] {
  const meanMesh = new Float64Array(pointCount * 2);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < pointCount; p++) {
      meanMesh[2 * p] = meanMesh[2 * p]! + points[(i * pointCount + p) * pointDims]! / rows;
      meanMesh[2 * p + 1] =
        meanMesh[2 * p + 1]! + points[(i * pointCount + p) * pointDims + 1]! / rows;
    }
  }
  const meanY = new Float64Array(k * 2);
  for (let i = 0; i < rows; i++)
    for (let t = 0; t < k * 2; t++) meanY[t] = meanY[t]! + y[i * k * 2 + t]! / rows;
  const m = Math.min(options.neighbours, pointCount);
  const out: LocalPoint[] = [];
  for (let j = 0; j < k; j++) {
    const [tx, ty] = [meanY[2 * j]!, meanY[2 * j + 1]!];
    const order = Array.from({ length: pointCount }, (_, p) => p)
      .map((p) => ({ p, d: Math.hypot(meanMesh[2 * p]! - tx, meanMesh[2 * p + 1]! - ty) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, m)
      .map((e) => e.p);
    const meanNeighbours = order.flatMap((p) => [meanMesh[2 * p]!, meanMesh[2 * p + 1]!]);
    // Design: 2 equations (x, y) per row; unknowns: the M weights; prior w0 = nearest point.
    const a = new Float64Array(rows * 2 * m);
    const r = new Float64Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < 2; c++) {
        const e = i * 2 + c;
        for (let q = 0; q < m; q++) {
          a[e * m + q] =
            points[(i * pointCount + order[q]!) * pointDims + c]! - meanNeighbours[2 * q + c]!;
        }
        // Target minus the prior's prediction (w0 = one-hot on the nearest point).
        r[e] = y[i * k * 2 + 2 * j + c]! - meanY[2 * j + c]! - a[e * m]!;
      }
    }
    const fit = localRidge(a, r, rows, m, groups, options.localLambdas);
    const weights = fit.delta.map((v, q) => v + (q === 0 ? 1 : 0));
    out.push({
      neighbours: order,
      weights: [...weights],
      meanTarget: [tx, ty],
      meanNeighbours,
      lambda: fit.lambda,
    });
  }
  return out;
}

/** Ridge of r on a (2 equations per row), penalty chosen by leave-one-group-out. */
function localRidge(
  a: Float64Array,
  r: Float64Array,
  rows: number,
  m: number,
  groups: readonly number[],
  lambdas: readonly number[],
): { delta: Float64Array; lambda: number } {
  const e = rows * 2;
  const ata = new Float64Array(m * m);
  const atr = new Float64Array(m);
  for (let i = 0; i < e; i++) {
    for (let p = 0; p < m; p++) {
      atr[p] = atr[p]! + a[i * m + p]! * r[i]!;
      for (let q = 0; q < m; q++) ata[p * m + q] = ata[p * m + q]! + a[i * m + p]! * a[i * m + q]!;
    }
  }
  let trace = 0;
  for (let p = 0; p < m; p++) trace += ata[p * m + p]!;
  const unit = trace / m || 1;
  const members = new Map<number, number[]>();
  groups.forEach((g, i) => members.set(g, [...(members.get(g) ?? []), 2 * i, 2 * i + 1]));
  let best: { delta: Float64Array; lambda: number; score: number } | null = null;
  for (const rel of lambdas) {
    const reg = Float64Array.from(ata);
    for (let p = 0; p < m; p++) reg[p * m + p] = reg[p * m + p]! + rel * unit;
    const inv = invertSmall(reg, m);
    const delta = new Float64Array(m);
    for (let p = 0; p < m; p++)
      for (let q = 0; q < m; q++) delta[p] = delta[p]! + inv[p * m + q]! * atr[q]!;
    const fitted = new Float64Array(e);
    for (let i = 0; i < e; i++)
      for (let p = 0; p < m; p++) fitted[i] = fitted[i]! + a[i * m + p]! * delta[p]!;
    let score = 0;
    for (const eq of members.values()) {
      const g = eq.length;
      // (I − H_GG)⁻¹ (r_G − fitted_G), H_GG = A_G inv A_Gᵀ.
      const block = new Float64Array(g * g);
      for (let u = 0; u < g; u++) {
        for (let v = 0; v < g; v++) {
          let h = 0;
          for (let p = 0; p < m; p++)
            for (let q = 0; q < m; q++)
              h += a[eq[u]! * m + p]! * inv[p * m + q]! * a[eq[v]! * m + q]!;
          block[u * g + v] = (u === v ? 1 : 0) - h;
        }
      }
      const binv = invertSmall(block, g);
      for (let u = 0; u < g; u++) {
        let res = 0;
        for (let v = 0; v < g; v++) res += binv[u * g + v]! * (r[eq[v]!]! - fitted[eq[v]!]!);
        score += res * res;
      }
    }
    if (!best || score < best.score) best = { delta, lambda: rel, score };
  }
  return { delta: best!.delta, lambda: best!.lambda };
}

/** Inverse of a small square matrix by Gauss–Jordan with partial pivoting. */
function invertSmall(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs(m[r * n + c]!) > Math.abs(m[pivot * n + c]!)) pivot = r;
    if (Math.abs(m[pivot * n + c]!) < 1e-300)
      throw new StudioError('internal', 'Ridge: singular system');
    if (pivot !== c) {
      for (let t = 0; t < n; t++) {
        [m[c * n + t], m[pivot * n + t]] = [m[pivot * n + t]!, m[c * n + t]!];
        [inv[c * n + t], inv[pivot * n + t]] = [inv[pivot * n + t]!, inv[c * n + t]!];
      }
    }
    const d = m[c * n + c]!;
    for (let t = 0; t < n; t++) {
      m[c * n + t] = m[c * n + t]! / d;
      inv[c * n + t] = inv[c * n + t]! / d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c]!;
      if (f === 0) continue;
      for (let t = 0; t < n; t++) {
        m[r * n + t] = m[r * n + t]! - f * m[c * n + t]!;
        inv[r * n + t] = inv[r * n + t]! - f * inv[c * n + t]!;
      }
    }
  }
  return inv;
}

function predictLocal(
  local: readonly LocalPoint[],
  points: Float32Array,
  pointCount: number,
  pointDims: number,
  rows: number,
): Float64Array {
  const k = local.length;
  const out = new Float64Array(rows * k * 2);
  for (let i = 0; i < rows; i++) {
    local.forEach((lp, j) => {
      for (let c = 0; c < 2; c++) {
        let v = lp.meanTarget[c]!;
        lp.neighbours.forEach((p, q) => {
          v +=
            lp.weights[q]! *
            (points[(i * pointCount + p) * pointDims + c]! - lp.meanNeighbours[2 * q + c]!);
        });
        out[(i * k + j) * 2 + c] = v;
      }
    });
  }
  return out;
}
