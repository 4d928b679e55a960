/**
 * The landmark head for any schema (68, 98, 5, custom) on a geometry backbone: a closed-form map
 * from the backbone's points (FaceMesh's 468) and feature maps (FaceMesh: `p_re_lu_12` and
 * `p_re_lu_15`, concatenated) to the schema's points in crop coordinates, and from about 30
 * faces a learned refinement on local features around each first guess (FaceMesh: `p_re_lu_9`)
 * (docs/ARCHITECTURE.md, "Backbones and tasks"). Every penalty is chosen by leave-one-out or
 * cross-fitting on the training faces; nothing else is tuned.
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
 * 4. Cross-fit. The faces are split into folds (a face with its mirror); each fold's first guess
 *    comes from the local prior and global correction refitted without it, with the penalties
 *    chosen above (the global refit reuses the gram of all rows: `kernelFoldPredict`). These
 *    honest guesses train step 5 and calibrate step 6 (the prior's own fit no longer leaks into
 *    the held-out errors, which left σ 1.1–1.4× too low).
 * 5. Refinement (from `refineMinFaces` faces, when the input carries a local map, e.g. FaceMesh's
 *    24×24×64 `p_re_lu_9`): the map is sampled bilinearly at each point's first guess, the
 *    samples standardised per channel, and per schema point a ridge (penalty by leave-one-out,
 *    the largest ≈ no refinement) maps its C samples to the correction of its guess. Trained on
 *    the cross-fitted guesses, so it learns to fix guesses as wrong as the ones it will meet.
 *    The head keeps it only when it pays off on held-out faces: refitted fold by fold (the
 *    cross-fit's folds), it must lower the flip-averaged mean point error of the held-out first
 *    guesses by `refineMinGain` (`refineCheck` records both errors, and so does the card).
 * 6. Uncertainty. σ² = a·s_j² + c·d², with s_j the point's held-out error on the training
 *    faces and d the disagreement between the face's and its mirror's prediction; a and c are
 *    fitted on the held-out errors (point-uncertainty.ts), so σ is calibrated on faces the fit
 *    did not see.
 *
 * In one graph (the exported model): steps 1–2 are one affine map of the concatenated inputs
 * (MatMul, Add; the maps' standardisation folds into it: landmark-ridge-affine.ts); step 5 samples
 * the local map at the first guess with CropAndResize and applies per-point weights with the
 * standardisation folded in (export/landmark-refine-graph.ts). The flip averaging and σ stay
 * outside the graph (predict-faces.ts feeds each crop and its mirror).
 */
import { StudioError } from '../../shared/errors';
import { fitRidgeWithGram, kernelFoldPredict, matMul, predictRidge, type RidgeFit } from './ridge';
import { flipShapes } from './schema-flip';
import { fitUncertainty, predictSigma, type UncertaintyModel } from './point-uncertainty';

/** One set of faces as a backbone saw them (as is, or mirrored). */
export interface HeadInput {
  count: number;
  /** `[n · P · pointDims]` backbone points in crop units (x, y first), or null. */
  points: Float32Array | null;
  pointCount: number;
  pointDims: number;
  /** `[n · D]` feature-map values (one map or several concatenated per face), or null. */
  maps: Float32Array | null;
  mapDim: number;
  /** A spatial map the refinement samples at each first guess (step 5), or null/omitted. */
  local?: LocalMap | null;
}

/** `[n · height · width · channels]` feature maps, row-major (NHWC) as the backbone gives them. */
export interface LocalMap {
  values: Float32Array;
  height: number;
  width: number;
  channels: number;
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
  /**
   * Folds of the cross-fit (faces with their mirrors, refitted with the chosen penalties) that
   * gives every training face a first guess from a fit that did not see it: σ is calibrated on
   * these, and the refinement is trained on them.
   */
  folds: number;
  /**
   * Fewest training faces for the refinement to be fitted and measured at all (step 5); above,
   * whether the head keeps it is decided by the cross-fitted measurement (`refineMinGain`).
   */
  refineMinFaces: number;
  /**
   * The head keeps its refinement only when, refitted fold by fold, it lowers the held-out mean
   * point error of the flip-averaged prediction by at least this fraction (0.005 = 0.5%).
   */
  refineMinGain: number;
  /**
   * Relative penalties tried for each point's refinement (× the mean squared norm of its
   * standardised samples); the largest is "no refinement" in effect.
   */
  refineLambdas: readonly number[];
}

export const DEFAULT_RIDGE_OPTIONS: LandmarkRidgeOptions = {
  neighbours: 8,
  localLambdas: [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 1e6],
  globalLambdas: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 100],
  mapWeight: 0.5,
  maxLooRows: 400,
  stdFloor: 0.1,
  folds: 5,
  refineMinFaces: 10,
  refineMinGain: 0.005,
  refineLambdas: [0.3, 1, 3, 10, 30, 100, 1e6],
};

/** One schema point's refinement: a linear map from its C samples to its (dx, dy). */
export interface RefinePoint {
  /** `[C · 2]`: channel c's weight on dx at 2c, on dy at 2c + 1. */
  weights: number[];
  /** Mean standardised sample per channel over the training rows. */
  featureMean: number[];
  /** Mean (dx, dy) over the training rows. */
  targetMean: [number, number];
  lambda: number;
}

/** The cross-fitted measurement that decides whether a head keeps its refinement. */
export interface RefineCheck {
  /** Held-out mean point error of the flip-averaged first guess (crop units). */
  unrefined: number;
  /** The same with the refinement, each fold's refitted without that fold's faces. */
  refined: number;
  /** Faces the errors are averaged over (each with its mirror). */
  faces: number;
}

/** The refinement (step 5): the local map's size, its channel standardisation, one map per point. */
export interface RefineStage {
  height: number;
  width: number;
  channels: number;
  /** Per channel: mean and 1/std of the samples over the training rows and points. */
  mean: number[];
  scale: number[];
  points: RefinePoint[];
}

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
  /**
   * The refinement on local samples around the first guess, or null (too few faces, no map, or
   * it did not pay off on held-out faces: `refineCheck`).
   */
  refine: RefineStage | null;
  /**
   * What decided `refine`: the held-out mean point error (crop units) of the flip-averaged
   * prediction without and with the refinement, each fold's refinement refitted without it;
   * null when no refinement was fitted.
   */
  refineCheck: RefineCheck | null;
  uncertainty: UncertaintyModel;
  /** Held-out error per schema point (crop units, RMS), the s_j of the uncertainty. */
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
export async function fitLandmarkRidge(
  faces: HeadInput,
  mirrored: HeadInput,
  targets: ArrayLike<number>,
  flip: readonly number[],
  options: LandmarkRidgeOptions = DEFAULT_RIDGE_OPTIONS,
): Promise<LandmarkRidgeModel> {
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
  checkInput(faces, 'faces');
  checkInput(mirrored, 'mirrored faces');
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
    ? fitLocal(points, faces.pointCount, faces.pointDims, y, rows, k, groups, options, null)
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
  const { fit: global, gram } = await fitRidgeWithGram(x, residual, rows, d, k * 2, groups, {
    lambdas: options.globalLambdas,
    scoreRows: isOriginal,
    maxLooRows: options.maxLooRows,
  });

  // Cross-fit: each fold of faces (with their mirrors) gets its first guess from the local prior
  // and global correction refitted without it, with the penalties chosen above.
  const firstGuess = crossFit(
    points,
    faces.pointCount,
    faces.pointDims,
    y,
    rows,
    k,
    groups,
    local,
    gram,
    global.lambda,
    options,
  );

  // Step 5, the refinement: trained on the cross-fitted first guesses, so it learns to correct
  // guesses as wrong as the ones it will see.
  // Kept only when it pays off on held-out faces: its fold-by-fold refit beats the first guess.
  let refine: RefineStage | null = null;
  let refineCheck: RefineCheck | null = null;
  let heldOut = firstGuess;
  let heldRows = Array.from({ length: rows }, (_, r) => r);
  if (faces.local && mirrored.local && n >= options.refineMinFaces) {
    const fitted = fitRefine(faces.local, mirrored.local, firstGuess, y, rows, k, groups, options);
    const flipBack = flipInverse(flip);
    refineCheck = {
      unrefined: heldOutPointError(firstGuess, y, n, k, flipBack),
      refined: heldOutPointError(fitted.crossFitted, y, n, k, flipBack),
      faces: n,
    };
    if (refineCheck.refined < (1 - options.refineMinGain) * refineCheck.unrefined) {
      refine = fitted.stage;
      heldOut = fitted.heldOut;
      heldRows = fitted.looRows;
    }
  }

  // The held-out predictions of each face and of its mirror, unflipped, averaged as `predict`
  // averages them: their errors calibrate σ.
  const inHeld = new Set(heldRows);
  const held = heldRows.filter((r) => r < n && inHeld.has(r + n));
  const h = held.length;
  const asIs = new Float64Array(h * k * 2);
  const mirrorHeld = new Float64Array(h * k * 2);
  const truth = new Float64Array(h * k * 2);
  held.forEach((r, i) => {
    asIs.set(heldOut.subarray(r * k * 2, (r + 1) * k * 2), i * k * 2);
    mirrorHeld.set(heldOut.subarray((r + n) * k * 2, (r + n + 1) * k * 2), i * k * 2);
    truth.set(y.subarray(r * k * 2, (r + 1) * k * 2), i * k * 2);
  });
  const fromMirror = flipShapes(mirrorHeld, h, flipInverse(flip));
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
    refine,
    refineCheck,
    uncertainty,
    looError,
    trainingFaces: n,
  };
}

/**
 * Mean point error (crop units) of `predicted` (`[2n · K · 2]`: the faces, then their mirrors)
 * averaged with its mirror as `predictLandmarkRidge` averages them, against `y` (same layout).
 */
function heldOutPointError(
  predicted: Float64Array,
  y: Float64Array,
  n: number,
  k: number,
  flipBack: readonly number[],
): number {
  const w = k * 2;
  const fromMirror = flipShapes(predicted.subarray(n * w), n, flipBack);
  let sum = 0;
  for (let i = 0; i < n * k; i++) {
    const px = (predicted[2 * i]! + fromMirror[2 * i]!) / 2;
    const py = (predicted[2 * i + 1]! + fromMirror[2 * i + 1]!) / 2;
    sum += Math.hypot(px - y[2 * i]!, py - y[2 * i + 1]!);
  }
  return sum / (n * k);
}

/** Predictions for `faces` (and the same faces mirrored): the averaged shape and its σ. */
export async function predictLandmarkRidge(
  model: LandmarkRidgeModel,
  faces: HeadInput,
  mirrored: HeadInput,
): Promise<LandmarkPrediction> {
  const n = faces.count;
  const k = model.pointCount;
  checkInput(faces, 'faces');
  checkInput(mirrored, 'mirrored faces');
  const asIs = await predictLandmarkCrops(model, faces);
  const fromMirror = flipShapes(
    await predictLandmarkCrops(model, mirrored),
    n,
    flipInverse(model.flip),
  );
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
 * `predictLandmarkRidge` computes for each of the face and its mirror before combining them
 * (with the refinement on the local map when the head has one).
 */
export async function predictLandmarkCrops(
  model: LandmarkRidgeModel,
  input: HeadInput,
): Promise<Float64Array> {
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
  const correction = await predictRidge(model.global, x, n);
  const first = prior.map((v, i) => v + correction[i]!);
  if (!model.refine) return first;
  if (!input.local) {
    throw new StudioError(
      'invalid-payload',
      'Landmark head: this head refines on a local feature map, and the faces came without one',
    );
  }
  return applyRefine(model.refine, input.local, first, n, k);
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

/** Refuses an input whose arrays do not hold `count` faces of the sizes it states. */
function checkInput(input: HeadInput, what: string): void {
  const sizes: [string, number, number][] = [
    ['point', input.points?.length ?? 0, input.points ? input.pointCount * input.pointDims : 0],
    ['map', input.maps?.length ?? 0, input.maps ? input.mapDim : 0],
  ];
  if (input.local) {
    const { values, height, width, channels } = input.local;
    sizes.push(['local map', values.length, height * width * channels]);
  }
  for (const [name, length, perFace] of sizes) {
    if (length !== input.count * perFace) {
      throw new StudioError(
        'invalid-payload',
        `Landmark head: ${what} have ${length} ${name} values, not ${input.count} × ${perFace}`,
      );
    }
  }
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
  fixed: readonly number[] | null,
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
    const fit = localRidge(a, r, rows, m, groups, fixed ? [fixed[j]!] : options.localLambdas);
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
    if (lambdas.length === 1) return { delta, lambda: rel };
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

/** Rows `which` of a row-major `[rows · width]` array. */
function pickRows<T extends Float32Array | Float64Array>(
  values: T,
  which: readonly number[],
  width: number,
): T {
  const out = new (values.constructor as new (n: number) => T)(which.length * width);
  which.forEach((r, i) => out.set(values.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

/**
 * Each row's prediction by the local prior and global correction fitted without its fold
 * (faces by `groups`, so a face and its mirror fall together), with the penalties `local` and
 * `globalLambda` chosen on all rows. The global correction reuses the gram of all rows.
 */
function crossFit(
  points: Float32Array | null,
  pointCount: number,
  pointDims: number,
  y: Float64Array,
  rows: number,
  k: number,
  groups: readonly number[],
  local: readonly LocalPoint[] | null,
  gram: Float64Array,
  globalLambda: number,
  options: LandmarkRidgeOptions,
): Float64Array {
  const faces = new Set(groups).size;
  const folds = Math.max(2, Math.min(options.folds, faces));
  const out = new Float64Array(rows * k * 2);
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const held: number[] = [];
    for (let r = 0; r < rows; r++) (groups[r]! % folds === f ? held : train).push(r);
    if (held.length === 0) continue;
    let prior: Float64Array = new Float64Array(rows * k * 2);
    if (local && points) {
      const foldLocal = fitLocal(
        pickRows(points, train, pointCount * pointDims),
        pointCount,
        pointDims,
        pickRows(y, train, k * 2),
        train.length,
        k,
        train.map((r) => groups[r]!),
        options,
        local.map((l) => l.lambda),
      );
      prior = predictLocal(foldLocal, points, pointCount, pointDims, rows);
    }
    const residual = y.map((v, i) => v - prior[i]!);
    const correction = kernelFoldPredict(gram, rows, train, held, residual, k * 2, globalLambda);
    held.forEach((r, i) => {
      for (let t = 0; t < k * 2; t++)
        out[r * k * 2 + t] = prior[r * k * 2 + t]! + correction[i * k * 2 + t]!;
    });
  }
  return out;
}

/**
 * Bilinear samples of `map` (`[rows · H · W · C]`) at each of the K points of `shapes`
 * (`[rows · K · 2]` crop units), `[rows · K · C]`. Cell i of W spans crop units [i/W, (i+1)/W),
 * so a point at u sits at u·W − 0.5 cells; outside the cells' centres the sample is 0 — exactly
 * TF's CropAndResize with a one-pixel crop of the box [y, x, y, x], y = (v·H − 0.5)/(H − 1).
 */
export function sampleLocal(map: LocalMap, shapes: ArrayLike<number>, rows: number, k: number) {
  const { values, height: H, width: W, channels: C } = map;
  const out = new Float64Array(rows * k * C);
  for (let r = 0; r < rows; r++) {
    const base = r * H * W * C;
    for (let j = 0; j < k; j++) {
      const x = shapes[(r * k + j) * 2]! * W - 0.5;
      const y = shapes[(r * k + j) * 2 + 1]! * H - 0.5;
      if (!(x >= 0 && x <= W - 1 && y >= 0 && y <= H - 1)) continue;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const x1 = Math.min(W - 1, x0 + 1);
      const y1 = Math.min(H - 1, y0 + 1);
      const [lx, ly] = [x - x0, y - y0];
      const o = (r * k + j) * C;
      for (let c = 0; c < C; c++) {
        const top =
          values[base + (y0 * W + x0) * C + c]! * (1 - lx) +
          values[base + (y0 * W + x1) * C + c]! * lx;
        const bottom =
          values[base + (y1 * W + x0) * C + c]! * (1 - lx) +
          values[base + (y1 * W + x1) * C + c]! * lx;
        out[o + c] = top * (1 - ly) + bottom * ly;
      }
    }
  }
  return out;
}

/** `shapes` moved by the refinement's correction at each point. */
function applyRefine(
  stage: RefineStage,
  map: LocalMap,
  shapes: Float64Array,
  rows: number,
  k: number,
): Float64Array {
  if (map.height !== stage.height || map.width !== stage.width || map.channels !== stage.channels) {
    throw new StudioError(
      'invalid-payload',
      `Landmark head: the refinement was fitted on ${stage.height}×${stage.width}×${stage.channels} maps, got ${map.height}×${map.width}×${map.channels}`,
    );
  }
  const c = stage.channels;
  const samples = sampleLocal(map, shapes, rows, k);
  const out = Float64Array.from(shapes);
  for (let r = 0; r < rows; r++) {
    stage.points.forEach((p, j) => {
      let dx = p.targetMean[0];
      let dy = p.targetMean[1];
      for (let t = 0; t < c; t++) {
        const v =
          (samples[(r * k + j) * c + t]! - stage.mean[t]!) * stage.scale[t]! - p.featureMean[t]!;
        dx += v * p.weights[2 * t]!;
        dy += v * p.weights[2 * t + 1]!;
      }
      out[(r * k + j) * 2] = out[(r * k + j) * 2]! + dx;
      out[(r * k + j) * 2 + 1] = out[(r * k + j) * 2 + 1]! + dy;
    });
  }
  return out;
}

/**
 * Fits the refinement (step 5) on the cross-fitted first guesses: per schema point a ridge from
 * the standardised samples at its guess to the guess's error, penalty per point by
 * leave-one-group-out on at most `maxLooRows` rows. Returns the stage, the rows with a held-out
 * refined prediction and those predictions (`[rows · K · 2]`, valid on `looRows`), and every
 * row's prediction by the refinement refitted without its fold (the cross-fit's folds, at the
 * penalty chosen above): what decides whether the head keeps it.
 */
function fitRefine(
  faces: LocalMap,
  mirrored: LocalMap,
  firstGuess: Float64Array,
  y: Float64Array,
  rows: number,
  k: number,
  groups: readonly number[],
  options: LandmarkRidgeOptions,
): { stage: RefineStage; heldOut: Float64Array; looRows: number[]; crossFitted: Float64Array } {
  const { height, width, channels: c } = faces;
  const both: LocalMap = {
    values: concatRows(faces.values, mirrored.values),
    height,
    width,
    channels: c,
  };
  const samples = sampleLocal(both, firstGuess, rows, k);
  // Channel standardisation over every row and point, std floored as the maps' is.
  const stats = mapStats(Float32Array.from(samples), rows * k, c, options.stdFloor);
  for (let i = 0; i < rows * k; i++)
    for (let t = 0; t < c; t++)
      samples[i * c + t] = (samples[i * c + t]! - stats.mean[t]!) * stats.scale[t]!;

  // The rows the penalty is chosen on (whole groups, evenly spread), as ridge.ts does.
  const groupIds = [...new Set(groups)];
  const keepEvery = Math.ceil(rows / Math.max(2, options.maxLooRows));
  const kept = new Set(groupIds.filter((_, i) => i % keepEvery === 0));
  const looRows = Array.from({ length: rows }, (_, r) => r).filter((r) => kept.has(groups[r]!));
  const members = new Map<number, number[]>();
  looRows.forEach((r) => members.set(groups[r]!, [...(members.get(groups[r]!) ?? []), r]));

  const heldOut = Float64Array.from(firstGuess);
  const crossFitted = Float64Array.from(firstGuess);
  const folds = Math.max(2, Math.min(options.folds, groupIds.length));
  const foldOf = (r: number) => groups[r]! % folds;
  const points: RefinePoint[] = [];
  for (let j = 0; j < k; j++) {
    const x = new Float64Array(rows * c);
    const target = new Float64Array(rows * 2);
    const xMean = new Float64Array(c);
    let [mx, my] = [0, 0];
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < c; t++) xMean[t] = xMean[t]! + samples[(r * k + j) * c + t]! / rows;
      mx += (y[(r * k + j) * 2]! - firstGuess[(r * k + j) * 2]!) / rows;
      my += (y[(r * k + j) * 2 + 1]! - firstGuess[(r * k + j) * 2 + 1]!) / rows;
    }
    const tMean: [number, number] = [mx, my];
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < c; t++) x[r * c + t] = samples[(r * k + j) * c + t]! - xMean[t]!;
      for (let q = 0; q < 2; q++)
        target[r * 2 + q] = y[(r * k + j) * 2 + q]! - firstGuess[(r * k + j) * 2 + q]! - tMean[q]!;
    }
    // Per fold: Σ x xᵀ, Σ x tᵀ, Σ x, Σ t and the rows; all rows' sums are the folds' together.
    const fold = Array.from({ length: folds }, () => ({
      xtx: new Float64Array(c * c),
      xtt: new Float64Array(c * 2),
      sx: new Float64Array(c),
      st: new Float64Array(2),
      rows: 0,
    }));
    for (let r = 0; r < rows; r++) {
      const f = fold[foldOf(r)]!;
      f.rows++;
      f.st[0] = f.st[0]! + target[r * 2]!;
      f.st[1] = f.st[1]! + target[r * 2 + 1]!;
      for (let p = 0; p < c; p++) {
        const v = x[r * c + p]!;
        if (v === 0) continue;
        f.sx[p] = f.sx[p]! + v;
        for (let q = 0; q < c; q++) f.xtx[p * c + q] = f.xtx[p * c + q]! + v * x[r * c + q]!;
        f.xtt[p * 2] = f.xtt[p * 2]! + v * target[r * 2]!;
        f.xtt[p * 2 + 1] = f.xtt[p * 2 + 1]! + v * target[r * 2 + 1]!;
      }
    }
    const xtx = new Float64Array(c * c);
    const xtt = new Float64Array(c * 2);
    for (const f of fold) {
      for (let i = 0; i < c * c; i++) xtx[i] = xtx[i]! + f.xtx[i]!;
      for (let i = 0; i < c * 2; i++) xtt[i] = xtt[i]! + f.xtt[i]!;
    }
    let trace = 0;
    for (let p = 0; p < c; p++) trace += xtx[p * c + p]!;
    const unit = trace / c || 1;
    let best: {
      w: Float64Array;
      lambda: number;
      score: number;
      loo: Map<number, number[]>;
    } | null = null;
    for (const rel of options.refineLambdas) {
      const a = Float64Array.from(xtx);
      for (let p = 0; p < c; p++) a[p * c + p] = a[p * c + p]! + rel * unit;
      const inv = invertSmall(a, c);
      const w = matMul(inv, xtt, c, c, 2);
      // B = X_G A⁻¹ for the LOO rows; H_GG = B X_Gᵀ; held-out residual (I − H_GG)⁻¹ (t − fitted).
      let score = 0;
      const loo = new Map<number, number[]>();
      for (const g of members.values()) {
        const m = g.length;
        const b = g.map((r) => matMul(x.subarray(r * c, (r + 1) * c), inv, 1, c, c));
        const block = new Float64Array(m * m);
        for (let u = 0; u < m; u++) {
          for (let v = 0; v < m; v++) {
            let hv = 0;
            for (let p = 0; p < c; p++) hv += b[u]![p]! * x[g[v]! * c + p]!;
            block[u * m + v] = (u === v ? 1 : 0) - hv;
          }
        }
        const binv = invertSmall(block, m);
        const res = g.map((r) => {
          let [fx, fy] = [0, 0];
          for (let p = 0; p < c; p++) {
            fx += x[r * c + p]! * w[p * 2]!;
            fy += x[r * c + p]! * w[p * 2 + 1]!;
          }
          return [target[r * 2]! - fx, target[r * 2 + 1]! - fy] as const;
        });
        g.forEach((r, u) => {
          let [ex, ey] = [0, 0];
          for (let v = 0; v < m; v++) {
            ex += binv[u * m + v]! * res[v]![0];
            ey += binv[u * m + v]! * res[v]![1];
          }
          score += ex ** 2 + ey ** 2;
          loo.set(r, [ex, ey]);
        });
      }
      if (!best || score < best.score) best = { w, lambda: rel, score, loo };
    }
    crossFitRefinePoint(x, target, fold, foldOf, best!.lambda, rows, c, (r, dx, dy) => {
      crossFitted[(r * k + j) * 2] = firstGuess[(r * k + j) * 2]! + tMean[0] + dx;
      crossFitted[(r * k + j) * 2 + 1] = firstGuess[(r * k + j) * 2 + 1]! + tMean[1] + dy;
    });
    for (const [r, e] of best!.loo) {
      // Held-out refined prediction = truth − held-out residual.
      heldOut[(r * k + j) * 2] = y[(r * k + j) * 2]! - e[0]!;
      heldOut[(r * k + j) * 2 + 1] = y[(r * k + j) * 2 + 1]! - e[1]!;
    }
    points.push({
      weights: [...best!.w],
      featureMean: [...xMean],
      targetMean: tMean,
      lambda: best!.lambda,
    });
  }
  return {
    stage: { height, width, channels: c, mean: [...stats.mean], scale: [...stats.scale], points },
    heldOut,
    looRows,
    crossFitted,
  };
}

/** One fold's sums of a point's refinement rows (fitRefine). */
interface FoldSums {
  xtx: Float64Array;
  xtt: Float64Array;
  sx: Float64Array;
  st: Float64Array;
  rows: number;
}

/**
 * Refits one point's refinement without each fold (its rows centred on the other folds' means,
 * penalty `lambda` relative to their trace as in fitRefine) and hands each held-out row's
 * correction (centred targets, as `target`) to `put`.
 */
function crossFitRefinePoint(
  x: Float64Array,
  target: Float64Array,
  folds: readonly FoldSums[],
  foldOf: (r: number) => number,
  lambda: number,
  rows: number,
  c: number,
  put: (r: number, dx: number, dy: number) => void,
): void {
  const weights = folds.map((_, f) => {
    const rest = folds.filter((_, g) => g !== f);
    const m = rest.reduce((s, g) => s + g.rows, 0);
    if (m === 0) return null;
    const sx = new Float64Array(c);
    let [st0, st1] = [0, 0];
    const a = new Float64Array(c * c);
    const b = new Float64Array(c * 2);
    for (const g of rest) {
      for (let p = 0; p < c; p++) sx[p] = sx[p]! + g.sx[p]!;
      st0 += g.st[0]!;
      st1 += g.st[1]!;
      for (let i = 0; i < c * c; i++) a[i] = a[i]! + g.xtx[i]!;
      for (let i = 0; i < c * 2; i++) b[i] = b[i]! + g.xtt[i]!;
    }
    const mx = sx.map((v) => v / m);
    const mt = [st0 / m, st1 / m] as const;
    // Centred on the training folds' means: Σ (x − m̄)(x − m̄)ᵀ = Σ x xᵀ − m·m̄ m̄ᵀ.
    for (let p = 0; p < c; p++) {
      for (let q = 0; q < c; q++) a[p * c + q] = a[p * c + q]! - m * mx[p]! * mx[q]!;
      b[p * 2] = b[p * 2]! - m * mx[p]! * mt[0];
      b[p * 2 + 1] = b[p * 2 + 1]! - m * mx[p]! * mt[1];
    }
    let trace = 0;
    for (let p = 0; p < c; p++) trace += a[p * c + p]!;
    const unit = trace / c || 1;
    for (let p = 0; p < c; p++) a[p * c + p] = a[p * c + p]! + lambda * unit;
    return { w: matMul(invertSmall(a, c), b, c, c, 2), mx, mt };
  });
  for (let r = 0; r < rows; r++) {
    const fit = weights[foldOf(r)];
    if (!fit) continue;
    let [dx, dy] = [fit.mt[0], fit.mt[1]];
    for (let p = 0; p < c; p++) {
      const v = x[r * c + p]! - fit.mx[p]!;
      dx += v * fit.w[p * 2]!;
      dy += v * fit.w[p * 2 + 1]!;
    }
    put(r, dx, dy);
  }
}
