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
import { serialiseCelebaAttributes } from '../../core/formats/celeba';
import { planClassFolderExport } from '../../core/formats/class-folders';
import { serialiseCoco } from '../../core/formats/coco';
import { serialiseDlibXml } from '../../core/formats/dlib-xml';
import type { LabelledFace, LabelledSet } from '../../core/formats/model';
import { exportPts } from '../../core/formats/pts';
import {
  serialiseStudioJson,
  STUDIO_LABELS_FORMAT,
  STUDIO_LABELS_VERSION,
} from '../../core/formats/studio-json';
import { exportYoloPose } from '../../core/formats/yolo-pose';
import {
  commonFolder,
  requireEmptyFolder,
  writePlannedFiles,
  type PlannedFiles,
} from '../../core/library/export-folder';
import { StudioError } from '../../shared/errors';
import type { ModelCard } from '../../shared/model-card';
import { landmarkSchemaOfCard } from './card-schema';
import type { PredictedFace, PredictOutcome } from './predict-faces';

export const PredictFormat = z.enum([
  'json',
  'pts',
  'coco',
  'dlib',
  'yolo',
  'studio',
  'celeba',
  'class-folders',
]);
export type PredictFormat = z.infer<typeof PredictFormat>;

/** The file `--format json` writes. */
export const PREDICTIONS_FILE = 'predictions.json';

/** Which model task each format can hold (json and studio hold any). */
const FORMAT_TASKS: Readonly<Record<PredictFormat, readonly ModelCard['task'][] | null>> = {
  json: null,
  studio: null,
  pts: ['landmarks'],
  coco: ['landmarks'],
  dlib: ['landmarks'],
  yolo: ['landmarks'],
  celeba: ['attributes'],
  'class-folders': ['expression'],
};

/** Why `format` cannot hold what the model predicts, or null when it can. */
export function formatMismatch(format: PredictFormat, card: ModelCard): string | null {
  const tasks = FORMAT_TASKS[format];
  if (!tasks || tasks.includes(card.task)) return null;
  return `--format ${format} holds ${tasks.join(' or ')}, but model ${card.id} predicts ${card.task}`;
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
  const prefix = format === 'yolo' ? 'images/' : '';
  // Every image with a face; in a label format an image without one would say "no face here".
  const set: LabelledSet = outcome.faces.map((face) => ({
    file: prefix + nameOf(face.file),
    width: face.width,
    height: face.height,
    faces: [labelledFace(face)],
  }));
  const sourceOf = new Map(outcome.faces.map((f) => [prefix + nameOf(f.file), f.file]));
  const copies =
    options.copyImages === false
      ? []
      : set.map((image) => ({ source: sourceOf.get(image.file)!, target: image.file }));
  const schema = landmarkSchemaOfCard(card);
  switch (format) {
    case 'pts':
      return { texts: exportPts(set), copies };
    case 'coco':
      return { texts: [{ file: 'annotations.json', text: serialiseCoco(set, schema!) }], copies };
    case 'dlib':
      return { texts: [{ file: 'labels.xml', text: serialiseDlibXml(set, card.id) }], copies };
    case 'yolo': {
      const { dataYaml, labels } = exportYoloPose(set, schema!);
      return { texts: [{ file: 'data.yaml', text: dataYaml }, ...labels], copies };
    }
    case 'celeba':
      return {
        texts: [
          { file: 'list_attr_celeba.txt', text: serialiseCelebaAttributes(set, card.attributes!) },
        ],
        copies,
      };
    case 'class-folders':
      // The folder names are the labels: the images are the output, whatever `copyImages` says.
      return {
        texts: [],
        copies: planClassFolderExport(set).map(({ source, target }) => ({
          source: sourceOf.get(source)!,
          target,
        })),
      };
    case 'studio':
      return {
        texts: [
          {
            file: 'studio-labels.json',
            text: serialiseStudioJson({
              landmarkSchema: card.schema?.id ?? null,
              attributeSchema: null,
              set,
            }),
          },
        ],
        copies,
      };
  }
}

/** A prediction as the formats' neutral face: points with their uncertainty, box, labels. */
function labelledFace(face: PredictedFace): LabelledFace {
  const { points, box, attributes, expression } = face.labels;
  return {
    points,
    ...(box ? { box } : {}),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
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
