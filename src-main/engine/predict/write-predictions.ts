/**
 * Writes `predict`'s results to a new or empty folder: `predictions.json` by default, or label
 * files in one of the library's formats (docs/ARCHITECTURE.md, "Formats") with a copy of each image
 * beside them, so the folder imports into a project as it is.
 *
 * `predictions.json` is a studio labels file (`face-studio-labels`, what `--format studio` reads)
 * with more in it: each face's crop, detection score and raw model scores, each point's
 * uncertainty, the model, and the images with no face or that failed. The studio importer ignores
 * the extra keys, so the file imports as labels too.
 *
 * Image names are relative to the deepest folder all predicted images share, `/`-separated.
 */
import { relative, sep } from 'node:path';
import { z } from 'zod';
import type { LabelledFace } from '../../core/formats/model';
import {
  labelFormat,
  predictionMismatch,
  PREDICTION_FORMAT_IDS,
} from '../../core/formats/registry';
import { STUDIO_LABELS_FORMAT, STUDIO_LABELS_VERSION } from '../../core/formats/studio-json';
import {
  commonFolder,
  planLabelledFolder,
  requireEmptyFolder,
  writePlannedFiles,
  type PlannedFiles,
} from '../../core/library/export-folder';
import { StudioError } from '../../shared/errors';
import type { ModelCard } from '../../shared/model-card';
import { landmarkSchemaOfCard } from './card-schema';
import type { PredictedFace, PredictOutcome } from './predict-faces';

/** `json` (the file below), or a label format that can hold one model's predictions. */
export const PredictFormat = z.enum(['json', ...PREDICTION_FORMAT_IDS]);
export type PredictFormat = z.infer<typeof PredictFormat>;

/** The file `--format json` writes. */
export const PREDICTIONS_FILE = 'predictions.json';

/** Why `format` cannot hold what the model predicts, or null when it can. */
export function formatMismatch(format: PredictFormat, card: ModelCard): string | null {
  if (format === 'json') return null;
  const mismatch = predictionMismatch(labelFormat(format), card.task);
  return mismatch && `--format ${mismatch}, but model ${card.id} predicts ${card.task}`;
}

export interface WritePredictionsOptions {
  format: PredictFormat;
  /** Copy each image beside the label files (formats other than json); default true. */
  copyImages?: boolean;
}

export interface WrittenPredictions {
  outDir: string;
  format: PredictFormat;
  images: number;
  faces: number;
  noFace: number;
  failed: number;
  /** Files written, label files and images together. */
  files: number;
}

export async function writePredictions(
  outcome: PredictOutcome,
  card: ModelCard,
  outDir: string,
  options: WritePredictionsOptions,
): Promise<WrittenPredictions> {
  const mismatch = formatMismatch(options.format, card);
  if (mismatch) throw new StudioError('invalid-payload', mismatch);
  const all = [...outcome.faces.map((f) => f.file), ...outcome.noFace.map((f) => f.file)];
  const base = commonFolder(all.concat(outcome.failed.map((f) => f.file)));
  const nameOf = (file: string): string => relative(base, file).split(sep).join('/');
  const planned = plan(outcome, card, options, nameOf);
  await requireEmptyPredictionsFolder(outDir);
  await writePlannedFiles(outDir, planned, { what: 'the predictions', atomic: true });
  return {
    outDir,
    format: options.format,
    images: outcome.faces.length + outcome.noFace.length + outcome.failed.length,
    faces: outcome.faces.length,
    noFace: outcome.noFace.length,
    failed: outcome.failed.length,
    files: planned.texts.length + planned.copies.length,
  };
}

function plan(
  outcome: PredictOutcome,
  card: ModelCard,
  options: WritePredictionsOptions,
  nameOf: (file: string) => string,
): PlannedFiles {
  const format = options.format;
  if (format === 'json') return { texts: [predictionsJson(outcome, card, nameOf)], copies: [] };
  // Every image with a face; in a label format an image without one would say "no face here".
  const images = outcome.faces.map((face) => ({
    image: {
      file: nameOf(face.file),
      width: face.width,
      height: face.height,
      faces: [labelledFace(face)],
    },
    source: face.file,
  }));
  const context = {
    landmarks: landmarkSchemaOfCard(card),
    landmarkSchemaId: card.schema?.id ?? null,
    attributeSchemaId: null,
    attributeNames: card.attributes ?? [],
    name: card.id,
  };
  return planLabelledFolder(labelFormat(format), images, context, options.copyImages !== false);
}

/** A prediction as the formats' neutral face: points with their uncertainty, box, labels. */
function labelledFace(face: PredictedFace): LabelledFace {
  const { points, box, attributes, classes, expression } = face.labels;
  return {
    points,
    ...(box ? { box } : {}),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    ...(classes && Object.keys(classes).length > 0 ? { classes } : {}),
    ...(expression ? { expression } : {}),
  };
}

function predictionsJson(
  outcome: PredictOutcome,
  card: ModelCard,
  nameOf: (file: string) => string,
): { file: string; text: string } {
  const body = {
    format: STUDIO_LABELS_FORMAT,
    version: STUDIO_LABELS_VERSION,
    landmarkSchema: card.schema?.id ?? null,
    attributeSchema: null,
    model: { id: card.id, task: card.task, inputSize: card.input.size, crop: card.crop },
    /** Uncertainty unit, so a reader need not look it up. */
    uncertainty: 'distance between the predictions on the face and on its mirror image ÷ crop side',
    images: [
      ...outcome.faces.map((face) => ({
        file: nameOf(face.file),
        width: face.width,
        height: face.height,
        faces: [
          {
            ...labelledFace(face),
            found: face.found,
            score: face.score,
            crop: face.crop,
            scores: face.scores,
          },
        ],
      })),
      ...outcome.noFace.map(({ file }) => ({ file: nameOf(file), faces: [] })),
    ],
    failed: outcome.failed.map(({ file, message }) => ({ file: nameOf(file), message })),
  };
  return { file: PREDICTIONS_FILE, text: JSON.stringify(body, null, 1) + '\n' };
}

/** Fails unless `outDir` is missing or empty; `predict` checks before it starts, too. */
export function requireEmptyPredictionsFolder(outDir: string): Promise<void> {
  return requireEmptyFolder(outDir, 'output');
}
