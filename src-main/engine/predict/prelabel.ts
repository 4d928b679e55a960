/**
 * Pre-labelling (docs/ARCHITECTURE.md, "Data flows"): a fine-tuned model annotates a project's
 * unlabelled images so a person only corrects what it doubts. Each prediction becomes a
 * FaceAnnotation whose points are the model's (`source: 'model'`), unconfirmed, with their
 * flip-consistency `uncertainty` (predict-faces.ts), ready for the labeller to sort by doubt. The
 * training process's prelabel job calls this; it writes nothing.
 */
import type { FaceAnnotation, FaceDetection } from '../../shared/domain';
import type { ExportedModel } from '../export/load-model';
import { predictFaces, type PredictFailure, type PredictOptions } from './predict-faces';

export interface ImageToPrelabel {
  imageId: string;
  /** Absolute path of the image file. */
  file: string;
  /** Size as recorded at import (the annotation's pixels are these). */
  width: number;
  height: number;
  /** Curation's face record; null or absent: the detector looks for the face. */
  face?: FaceDetection | null;
}

export type PrelabelOptions = Omit<PredictOptions, 'flipTest'> & {
  /** The annotation's time stamp; default now. */
  now?: () => Date;
};

export interface PrelabelOutcome {
  /** One per image with a face, in input order. */
  annotations: FaceAnnotation[];
  /** Image ids where no face was found. */
  noFace: string[];
  /** Images that could not be read, by id, with the reason. */
  failed: { imageId: string; message: string }[];
  cancelled: boolean;
}

/** Annotations only: what the job stores. `prelabelImages` also says what was skipped. */
export async function prelabelFaces(
  model: ExportedModel,
  images: readonly ImageToPrelabel[],
  options: PrelabelOptions = {},
): Promise<FaceAnnotation[]> {
  return (await prelabelImages(model, images, options)).annotations;
}

export async function prelabelImages(
  model: ExportedModel,
  images: readonly ImageToPrelabel[],
  options: PrelabelOptions = {},
): Promise<PrelabelOutcome> {
  const { now, ...predictOptions } = options;
  const outcome = await predictFaces(
    model,
    images.map(({ file, face }) => (face ? { file, face } : { file })),
    predictOptions,
  );
  const updatedAt = (now ?? (() => new Date()))().toISOString();
  const idOf = (index: number): string => images[index]!.imageId;
  return {
    annotations: outcome.faces.map(({ index, labels }) => ({
      imageId: idOf(index),
      points: labels.points,
      ...(labels.box ? { box: labels.box } : {}),
      attributes: labels.attributes,
      ...(labels.classes ? { classes: labels.classes } : {}),
      expression: labels.expression,
      note: '',
      updatedAt,
      // Not stored yet: the project store gives each saved face its revision.
      revision: 0,
    })),
    noFace: outcome.noFace.map(({ index }) => idOf(index)),
    failed: outcome.failed.map(({ index, message }: PredictFailure) => ({
      imageId: idOf(index),
      message,
    })),
    cancelled: outcome.cancelled,
  };
}
