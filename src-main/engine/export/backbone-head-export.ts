/**
 * Exports a closed-form head on frozen face backbones as one model folder (docs/ARCHITECTURE.md,
 * "Files on disk"): model.json + weight shards (one TensorFlow.js graph: the backbones' own graphs
 * from their npm packages, or written by the studio from a package's weights (`graph.source`),
 * imported, with the head as one affine map and its calibration; backbone-head-graph.ts),
 * card.json, and each backbone's notice. `loadExportedModel` and `predictFaces` run it like any
 * exported model.
 *
 *   const { bytes } = await exportBackboneHeadModel(dir, {
 *     card,                       // complete; card.head filled in (backbones, crop, uncertainty)
 *     backbones: [mesh],          // loaded, in card.head.backbones order
 *     head: { task: 'landmarks', model, taps: { points: 'mesh', map: 'p_re_lu_15' } },
 *   });
 *
 * The card must agree with what the graph is: its task, its input (the crop plan's side, RGB in
 * [0, 1], no normalisation: the graph applies each backbone's own), its crop policy (the widest
 * backbone's, head-crops.ts), its schema (K points, the head's flip) or its class / attribute
 * names; anything else is refused with the field named. Attributes and expression take the
 * fitted head (classifier-head.ts), written with its calibration (calibrated-head-graph.ts);
 * attributes also the one-of-N groups `card.groups` names (class-group-graph.ts).
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StudioError } from '../../shared/errors';
import { ModelCard } from '../../shared/model-card';
import type { ClassifierHead } from '../attributes/classifier-head';
import type { ClassGroupHead } from '../attributes/class-groups';
import type { HeadTaps } from '../backbones/embed-faces';
import { findTap, tapSize, type FaceBackbone } from '../backbones/face-backbone';
import { headCropPlan } from '../backbones/head-crops';
import { packageFile } from '../backbones/package-graph-model';
import {
  landmarkRidgeAffine,
  refineAffineOf,
  type RefineAffine,
} from '../landmarks/landmark-ridge-affine';
import type { LandmarkRidgeModel } from '../landmarks/landmark-ridge-head';
import { flipIndexOf } from '../predict/flip-consistency';
import { buildBackboneHeadGraph, type HeadAffine } from './backbone-head-graph';
import { calibratedHeadAffine, type HeadCalibration } from './calibrated-head-graph';
import { cardGroupAffine } from './class-group-graph';
import { checkHeadReads } from './head-reads';
import { graphModelJson } from './graph-model';
import { readSourceGraph } from './import-graph';
import { CARD_JSON, MODEL_JSON, describeIssues, writeModelFolder } from './model-folder';

export interface BackboneHeadExport {
  /** Complete, `card.head` filled in by the caller (backbones, crop, uncertainty). */
  card: ModelCard;
  /** Loaded, in `card.head.backbones` order. */
  backbones: FaceBackbone[];
  head:
    | { task: 'landmarks'; model: LandmarkRidgeModel; taps: HeadTaps }
    | {
        task: 'attributes' | 'expression';
        /** The fitted head (`fitClassifierHead`). */
        model: ClassifierHead;
        /** The classifier's features, side by side in this order. */
        taps: { backbone: string; tap: string }[];
        /** Attributes: the one-of-N groups (class-groups.ts), named alike by `card.groups`. */
        groups?: readonly ClassGroupHead[];
      };
}

export interface ExportOptions {
  /** Folder that `licence.noticeFile` paths are relative to (default: found, see `noticePath`). */
  noticeRoot?: string;
}

function refuse(card: { id: string }, problem: string): never {
  throw new StudioError('invalid-payload', `Cannot export model ${card.id}: ${problem}`);
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Where a notice file (relative to the repository root) is: under `root` when given; else in the
 * packaged app's resources, or the first folder above this module that holds it.
 */
export function noticePath(relative: string, root?: string): string {
  if (root) return path.join(root, relative);
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  if (resources && existsSync(path.join(resources, relative)))
    return path.join(resources, relative);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, relative))) return path.join(dir, relative);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new StudioError('not-found', `The notice ${relative} is not shipped with this app`);
}

/**
 * The refinement of a landmark head for the graph (null when the head has none), after checking
 * that the card records it as the head applies it: on tap `local` of `backbone`, listed there.
 */
function landmarkRefineOf(
  card: ModelCard,
  backbone: FaceBackbone,
  model: LandmarkRidgeModel,
  local: string | null,
): { backbone: string; tap: string; affine: RefineAffine } | undefined {
  const record = card.head!.refinement ?? null;
  if (!model.refine) {
    if (record?.applied)
      refuse(card, 'card.head.refinement says the head is refined; the head has no refinement');
    return undefined;
  }
  if (!local) refuse(card, 'the head refines on a local map, and its taps name none');
  if (!record?.applied || record.tap !== local)
    refuse(
      card,
      `card.head.refinement is ${JSON.stringify(record)}; the head applies its refinement on tap ${local}`,
    );
  if (!card.head!.backbones[0]!.taps.includes(local))
    refuse(
      card,
      `the head refines on tap ${local} of ${backbone.id}, which its card does not list`,
    );
  const shape = findTap(backbone, local).shape;
  const { height, width, channels } = model.refine;
  if (!same(shape, [height, width, channels]))
    refuse(
      card,
      `the refinement was fitted on ${height}×${width}×${channels} maps; tap ${local} is [${shape.join(', ')}]`,
    );
  if (!backbone.graph?.taps[local])
    refuse(card, `backbone ${backbone.id} cannot be exported as a graph with tap ${local}`);
  return { backbone: backbone.id, tap: local, affine: refineAffineOf(model.refine) };
}

/** Writes the model of `spec` into `dir` atomically; returns the folder's size in bytes. */
export async function exportBackboneHeadModel(
  dir: string,
  spec: BackboneHeadExport,
  options: ExportOptions = {},
): Promise<{ bytes: number }> {
  const parsed = ModelCard.safeParse(spec.card);
  if (!parsed.success)
    throw new StudioError(
      'invalid-payload',
      `The card of model ${spec.card.id} is not valid: ${describeIssues(parsed.error.issues)}`,
    );
  const card = parsed.data;
  const head = card.head;
  if (!head) refuse(card, 'its card has no head record (card.head)');
  if (card.task !== spec.head.task)
    refuse(card, `its card says task ${card.task}; the head is a ${spec.head.task} head`);
  const ids = spec.backbones.map((b) => b.id);
  if (
    !same(
      ids,
      head.backbones.map((b) => b.id),
    )
  )
    refuse(
      card,
      `card.head.backbones lists [${head.backbones.map((b) => b.id).join(', ')}]; ` +
        `the backbones given are [${ids.join(', ')}]`,
    );
  const plan = headCropPlan(spec.backbones);
  // The card says how the graph is fed: check every field against the plan.
  const expect = (field: string, got: unknown, want: unknown) => {
    if (!same(got, want))
      refuse(card, `${field} is ${JSON.stringify(got)}; the graph needs ${JSON.stringify(want)}`);
  };
  expect('card.input.size', card.input.size, plan.inputSize);
  expect('card.input.range', card.input.range, [0, 1]);
  expect('card.input.normalisation', card.input.normalisation, {
    mean: [0, 0, 0],
    std: [1, 1, 1],
  });
  expect('card.crop', card.crop, plan.crop);
  expect('card.head.crop.backbone', head.crop.backbone, plan.widest);
  expect('card.head.crop.inputSize', head.crop.inputSize, plan.inputSize);
  expect('card.head.crop.policy', head.crop.policy, plan.crop);
  expect(
    'card.head.crop.scaleOfLandmarkExtent',
    head.crop.scaleOfLandmarkExtent,
    plan.scaleOfLandmarkExtent,
  );
  expect('card.outputs', card.outputs, [card.task]);

  // The affine map's input: which taps, in order.
  const features: { backbone: string; tap: string; size: number }[] = [];
  const addFeature = (backbone: FaceBackbone, tap: string, size: number) => {
    const listed = head.backbones[ids.indexOf(backbone.id)]!.taps;
    if (!listed.includes(tap))
      refuse(card, `the head reads tap ${tap} of ${backbone.id}, which its card does not list`);
    if (!backbone.graph?.taps[tap])
      refuse(card, `backbone ${backbone.id} cannot be exported as a graph with tap ${tap}`);
    features.push({ backbone: backbone.id, tap, size });
  };
  let affine: HeadAffine;
  let points: number | undefined;
  let calibration: HeadCalibration | undefined;
  let groups: ReturnType<typeof cardGroupAffine> = [];
  let refine: { backbone: string; tap: string; affine: RefineAffine } | undefined;
  if (spec.head.task === 'landmarks') {
    const model = spec.head.model;
    if (spec.backbones.length !== 1)
      refuse(card, `a landmark head reads one backbone; ${spec.backbones.length} are given`);
    const backbone = spec.backbones[0]!;
    const schema = card.schema;
    if (!schema) refuse(card, 'a landmarks card needs a schema');
    if (schema.points.length !== model.pointCount)
      refuse(
        card,
        `the schema has ${schema.points.length} points; the head predicts ${model.pointCount}`,
      );
    const flip = flipIndexOf(schema.points.length, schema.mirror);
    // predict-faces.ts un-mirrors with the card's flip, predictLandmarkRidge with the head's
    // inverse: the two agree when the head's flip is the card's, an involution.
    if (!same(flip, model.flip))
      refuse(card, "the schema's mirror pairs are not the flip the head was fitted with");
    const { points: pointsTap, map } = spec.head.taps;
    refine = landmarkRefineOf(card, backbone, model, spec.head.taps.local ?? null);
    const pointShape = pointsTap ? findTap(backbone, pointsTap).shape : null;
    if (pointShape && pointShape.length !== 2)
      refuse(card, `tap ${pointsTap} of ${backbone.id} is not a [points, dims] tap`);
    // Several map taps are concatenated per face in the order given (embed-faces.ts, headInputOf).
    const mapTaps: readonly string[] = map === null ? [] : typeof map === 'string' ? [map] : map;
    const mapSizes = mapTaps.map((tap) => tapSize(findTap(backbone, tap)));
    const mapDim = mapTaps.length ? mapSizes.reduce((a, b) => a + b, 0) : null;
    const collapsed = landmarkRidgeAffine(model, {
      points: pointShape ? { count: pointShape[0]!, dims: pointShape[1]! } : null,
      mapDim,
    });
    if (collapsed.pointInputs > 0) addFeature(backbone, pointsTap!, collapsed.pointInputs);
    if (collapsed.mapInputs > 0)
      mapTaps.forEach((tap, i) => addFeature(backbone, tap, mapSizes[i]!));
    affine = collapsed;
    points = model.pointCount;
  } else {
    for (const { backbone: id, tap } of spec.head.taps) {
      const backbone = spec.backbones.find((b) => b.id === id);
      if (!backbone) refuse(card, `the head reads backbone ${id}, which is not among those given`);
      addFeature(backbone, tap, tapSize(findTap(backbone, tap)));
    }
    const dim = features.reduce((s, f) => s + f.size, 0);
    const names = (spec.head.task === 'expression' ? card.classes : card.attributes) ?? [];
    ({ affine, calibration } = calibratedHeadAffine(spec.head.model, features, names, (problem) =>
      refuse(card, problem),
    ));
    checkHeadReads(card, features, spec.head.model.taps, spec.head.groups ?? [], (problem) =>
      refuse(card, problem),
    );
    groups = cardGroupAffine(card, spec.head.groups ?? [], dim);
  }

  // Notices: each backbone's shipped notice, under the name its card entry gives.
  const extra: [string, Uint8Array][] = [];
  for (const [i, backbone] of spec.backbones.entries()) {
    const entry = head.backbones[i]!;
    const file = backbone.licence.noticeFile;
    if (!file && entry.notice)
      refuse(card, `backbone ${backbone.id} ships no notice, the card names ${entry.notice}`);
    if (file && !entry.notice)
      refuse(
        card,
        `backbone ${backbone.id}'s notice must travel with the model: card.head.backbones[${i}].notice is null`,
      );
    if (!file || !entry.notice) continue;
    if (
      !/^[^/\\]+$/.test(entry.notice) ||
      [MODEL_JSON, CARD_JSON].includes(entry.notice) ||
      /^group\d/.test(entry.notice)
    )
      refuse(card, `notice name ${entry.notice} is not a plain file name of its own`);
    const from = noticePath(file, options.noticeRoot);
    let text: Buffer;
    try {
      text = await fs.readFile(from);
    } catch (error) {
      throw new StudioError(
        'not-found',
        `The notice ${from} of backbone ${backbone.id} cannot be read: ${(error as Error).message}`,
        { cause: error },
      );
    }
    extra.push([entry.notice, new Uint8Array(text)]);
  }

  const graphBackbones = [];
  for (const b of spec.backbones) {
    const graph = b.graph;
    if (!graph) refuse(card, `backbone ${b.id} has no graph description and cannot be exported`);
    graphBackbones.push({
      id: b.id,
      graph,
      source: graph.source ?? (await readSourceGraph(packageFile(graph.package, graph.file))),
    });
  }
  const built = buildBackboneHeadGraph({
    task: spec.head.task,
    plan,
    backbones: graphBackbones,
    features,
    affine,
    points,
    calibration,
    groups,
    ...(refine ? { refine } : {}),
  });
  const bytes = await writeModelFolder(
    dir,
    graphModelJson(built.graph, built.metadata, plan.inputSize, card.task),
    built.constants,
    card,
    extra,
  );
  return { bytes };
}
