/**
 * A face backbone: a frozen network (or a trivial stand-in) that turns a batch of face crops into
 * features a small head is fitted on — the one pluggable concept behind few-shot landmarks,
 * attributes and expression (docs/ARCHITECTURE.md, "Backbones and tasks").
 *
 * Every backbone says what it needs (input size, channels, normalisation, how the face is cut
 * out) and what it offers (named feature taps), where its weights come from and under which
 * licence, and embeds a batch of crops it was given as `[n, size, size, channels]` floats in
 * [0, 1] — the same layout `cropFaces` (engine/data/face-crop.ts) produces. The backbone applies
 * its own normalisation inside `embed`, so callers never scale pixels per model.
 *
 * Kinds:
 * - `geometry`: a face-shape network (FaceMesh): taps are points and spatial feature maps;
 * - `appearance`: a face-appearance network (identity, attributes, expression);
 * - `learned`: the studio's own networks (a pre-trained ProS ViT, a random init) so the same
 *   comparison shows what the lab's own pre-training bought.
 */
import type * as tf from '@tensorflow/tfjs';
import type { CropPolicy } from '../../shared/model-card';
import type { SourceGraph } from '../export/import-graph';
import { StudioError } from '../../shared/errors';

export type BackboneKind = 'geometry' | 'appearance' | 'learned';

/**
 * How a backbone's face crop is cut: the engine's crop policy plus, for backbones that were
 * trained on tighter or looser crops than the studio's default, the scale measured for them.
 * `crop.margin` and `crop.landmarksToFaceBox` are read exactly as `faceCropBox` reads them; the
 * card records this whole record so training, eval, predict, pre-label and export cut alike.
 */
export interface BackboneCropPolicy {
  /** The policy `faceCropBox` applies (engine/data/face-crop.ts). */
  crop: CropPolicy;
  /**
   * Side of the crop ÷ side of the landmarks' box, i.e. `landmarksToFaceBox · (1 + 2·margin)`:
   * stated once so a reader can check the policy against what was measured (FaceMesh: 1.6).
   */
  scaleOfLandmarkExtent: number;
  /** Why this scale: what was measured, on which faces. */
  note: string;
}

/** Per-channel normalisation the backbone applies to [0, 1] inputs: `(x − mean) / std`. */
export interface BackboneNormalisation {
  mean: readonly number[];
  std: readonly number[];
  /** Human-readable, e.g. `floats in [0, 1]`, `(RGB − mean) / 255`, `0..255`. */
  description: string;
}

/** One output a backbone offers to heads. */
export interface FeatureTap {
  /** Stable name, e.g. `mesh`, `p_re_lu_15`, `embedding`. */
  name: string;
  /**
   * `points`: `[n, P, 2]` (or `[n, P, 3]`) coordinates in crop units 0..1 (u = x / size);
   * `map`: `[n, h, w, c]` spatial features; `vector`: `[n, d]` pooled features.
   */
  kind: 'points' | 'map' | 'vector';
  /** Shape of one face's tap, batch dimension left out. */
  shape: readonly number[];
  /** What it is, in a line (shown in the backbone comparison). */
  description: string;
}

/** Where a backbone's weights come from and what their use requires. */
export interface BackboneLicence {
  /** SPDX id of the weights' licence (e.g. `Apache-2.0`); `none` for a random init. */
  spdx: string;
  /** Who made the model and who packaged it: the attribution shown in About and on cards. */
  attribution: string;
  /** The npm package (with version) the weights ship in; null when built by the studio. */
  package: string | null;
  /**
   * Path, relative to the repository root, of the notice text shipped with the app for these
   * weights (resources/notices/…); null when nothing needs shipping.
   */
  noticeFile: string | null;
}

/** A backbone's output for a batch: one typed array per tap asked for, row-major per face. */
export interface BackboneFeatures {
  /** Faces in the batch. */
  count: number;
  /** Tap name → `count · prod(tap.shape)` floats. */
  taps: Record<string, Float32Array>;
}

/** One step from the crop `[n, S, S, 3]` (RGB in [0, 1]) to the graph's input. */
export type InputStep =
  /** Bilinear resize (half-pixel centres) to `size`, only when the crop is another size. */
  | { op: 'resize'; size: number }
  /** Σ_c x_c · weights_c over the channels, keeping a channel axis of 1 (grey). */
  | { op: 'grey'; weights: readonly [number, number, number] }
  /** x − value. */
  | { op: 'sub'; value: number }
  /** x · value. */
  | { op: 'mul'; value: number };

/** One step from a graph node's output to a tap's values. */
export type TapStep =
  /** x / value (e.g. FaceMesh's points from input pixels to crop units). */
  | { op: 'div'; value: number }
  /** Mean over height and width: `[n, h, w, c]` → `[n, c]`. */
  | { op: 'mean-hw' }
  /** Average over `size × size` windows at stride `size` (valid padding). */
  | { op: 'avg-pool'; size: number };

export interface TapReadout {
  /** The graph node whose first output the tap reads. */
  node: string;
  steps: readonly TapStep[];
}

/**
 * A backbone as a TF.js graph from an npm package, and how it is run (backbone-graph.ts runs it;
 * the exporter writes the same steps as graph nodes).
 */
export interface BackboneGraph {
  /** npm package name and the model.json inside it (with `source`: the weights it was written from). */
  package: string;
  file: string;
  /**
   * The graph itself, when the studio writes it from the package's named weights instead of
   * reading a converted model.json (face-api's nets are code, not graph models:
   * face-api-age-gender-graph.ts). The engine runs this graph and the exporter imports it.
   */
  source?: SourceGraph;
  /** The graph's input placeholder. */
  inputNode: string;
  /** Side the crops have after `prepare` (the placeholder's). */
  graphInputSize: number;
  prepare: readonly InputStep[];
  taps: Readonly<Record<string, TapReadout>>;
}

export interface FaceBackbone {
  /** Stable id, e.g. `facemesh`, `random`, `pros-vit:<model id>`. */
  readonly id: string;
  /** Display name for tables and cards. */
  readonly name: string;
  readonly kind: BackboneKind;
  /** Square input side in pixels. */
  readonly inputSize: number;
  /** Channels of the crops `embed` takes (3: RGB; a grey face is repeated over RGB). */
  readonly channels: 3;
  readonly normalisation: BackboneNormalisation;
  readonly cropPolicy: BackboneCropPolicy;
  readonly taps: readonly FeatureTap[];
  readonly licence: BackboneLicence;
  /**
   * How `embed` runs the backbone's packaged graph (backbone-graph.ts); the exporter writes the
   * same steps into a model's graph. Absent for backbones that cannot be exported as a graph.
   */
  readonly graph?: BackboneGraph;
  /**
   * The taps named (all when omitted) for a batch of crops `[n, inputSize, inputSize, 3]` floats
   * in [0, 1]. Does not dispose `crops`; disposes everything it made.
   */
  embed(crops: tf.Tensor4D, taps?: readonly string[]): Promise<BackboneFeatures>;
  /** Frees the weights. */
  dispose(): void;
}

/** The tap named `name` of `backbone`, or a clear error naming the backbone and what it offers. */
export function findTap(backbone: FaceBackbone, name: string): FeatureTap {
  const tap = backbone.taps.find((t) => t.name === name);
  if (!tap) {
    throw new StudioError(
      'invalid-payload',
      `Backbone ${backbone.id} has no feature tap "${name}" (it offers: ${backbone.taps.map((t) => t.name).join(', ')})`,
    );
  }
  return tap;
}

/** Floats per face of a tap. */
export function tapSize(tap: FeatureTap): number {
  return tap.shape.reduce((a, b) => a * b, 1);
}
