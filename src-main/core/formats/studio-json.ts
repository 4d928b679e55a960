/**
 * The studio's own annotation file: a versioned JSON envelope around the neutral model, with the
 * schema ids it was made with. Read back with the same zod shapes, so anything it accepts is a
 * valid LabelledSet; a newer version than this build knows is refused rather than half-read.
 *
 * Version 2 carries each point's `source` and `confirmed` exactly, so an exported model's or
 * template's unconfirmed point imports back unconfirmed (version 1 had a `predicted` flag
 * instead: read as a model's unconfirmed point; without it, a person's).
 */
import { z } from 'zod';
import { readAnnotationText } from '../input-files';
import { ProblemList } from '../problems';
import { addZodIssues } from '../schemas/landmark-schema';
import { carrying, type LabelFormat } from './format';
import { parseJsonText } from './json-text';
import { labelledIn, locate } from './label-files';
import type { LabelledSet } from './model';
import { LabelledSet as LabelledSetShape } from './model';
import { checkRelativePath } from './relative-path';

export const STUDIO_LABELS_FORMAT = 'face-studio-labels';
export const STUDIO_LABELS_VERSION = 2;

const StudioLabels = z.object({
  format: z.literal(STUDIO_LABELS_FORMAT),
  version: z.number().int().positive(),
  landmarkSchema: z.string().min(1).nullable(),
  attributeSchema: z.string().min(1).nullable(),
  images: LabelledSetShape,
});

export interface StudioLabels {
  landmarkSchema: string | null;
  attributeSchema: string | null;
  set: LabelledSet;
}

export function parseStudioJson(
  text: string,
  file: string,
  options: { pointCount?: number } = {},
): StudioLabels {
  const problems = new ProblemList();
  const raw = parseJsonText(text, file, problems);
  problems.throwIfAny(`Cannot import ${file}`);
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > STUDIO_LABELS_VERSION) {
    problems.add(
      file,
      undefined,
      `version ${version} is newer than this studio reads (${STUDIO_LABELS_VERSION})`,
    );
    problems.throwIfAny(`Cannot import ${file}`);
  }
  const parsed = StudioLabels.safeParse(version === 1 ? fromVersion1(raw) : raw);
  if (!parsed.success) addZodIssues(problems, file, parsed.error);
  else {
    parsed.data.images.forEach((image, i) => {
      const path = checkRelativePath(image.file);
      if ('problem' in path) problems.add(file, undefined, `images[${i}].file: ${path.problem}`);
      image.faces.forEach((face, f) => {
        const count = options.pointCount;
        if (count !== undefined && face.points.length > 0 && face.points.length !== count) {
          problems.add(
            file,
            undefined,
            `images[${i}].faces[${f}]: ${face.points.length} points, the schema has ${count}`,
          );
        }
      });
    });
  }
  problems.throwIfAny(`Cannot import ${file}`);
  const { landmarkSchema, attributeSchema, images } = parsed.data!;
  return { landmarkSchema, attributeSchema, set: images };
}

type Json = Record<string, unknown>;
const objects = (value: unknown): Json[] =>
  Array.isArray(value)
    ? value.filter((item): item is Json => typeof item === 'object' && item !== null)
    : [];

/** Version 1's `predicted: true` point as version 2 has it: the model's, not confirmed. */
function fromVersion1(raw: unknown): unknown {
  const copy = structuredClone(raw) as Json;
  for (const image of objects(copy.images)) {
    for (const face of objects(image.faces)) {
      for (const point of objects(face.points)) {
        if (point.predicted === true) Object.assign(point, { source: 'model', confirmed: false });
        delete point.predicted;
      }
    }
  }
  return copy;
}

export function serialiseStudioJson(labels: StudioLabels): string {
  const body: z.input<typeof StudioLabels> = {
    format: STUDIO_LABELS_FORMAT,
    version: STUDIO_LABELS_VERSION,
    landmarkSchema: labels.landmarkSchema,
    attributeSchema: labels.attributeSchema,
    images: labels.set,
  };
  return JSON.stringify(body, null, 1) + '\n';
}

/** `studio-labels.json`, else the one `.json` in the folder. */
export const studioFormat: LabelFormat = {
  id: 'studio',
  name: 'Face Studio JSON',
  expects: 'studio-labels.json and the images it names',
  carries: carrying({
    points: true,
    visibility: 'full',
    boxes: true,
    attributes: true,
    classes: true,
    expression: true,
    unconfirmed: true,
  }),
  predictions: 'any',
  needsPoints: false,
  imageFolder: '',
  detect: ({ files }) => files.includes('studio-labels.json'),
  async read({ path, isFile, pointCount, labelFile }) {
    const file = await labelFile(await locate(path, isFile, ['studio-labels.json'], '.json'));
    const text = await readAnnotationText(file);
    return labelledIn(file, parseStudioJson(text, file, { pointCount }).set);
  },
  write: (set, context) => ({
    texts: [
      {
        file: 'studio-labels.json',
        text: serialiseStudioJson({
          landmarkSchema: context.landmarkSchemaId,
          attributeSchema: context.attributeSchemaId,
          set,
        }),
      },
    ],
  }),
};
