/**
 * What the labeller needs to know about the open project's schemas: the landmark schema and the
 * attribute set (or none), read from the project's meta at once; and, asked apart, the template
 * to drop into a face box. The template is the mean shape of the faces already labelled in full
 * when there are enough of them (it then matches how this project's faces look), else the
 * schema's own mean shape. It is apart because it reads faces: on a big project whose labels.json
 * is not read yet, that read is most of a second, and the labeller can show its first face
 * without the template (docs/ARCHITECTURE.md, "Data flows").
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ProjectStore } from '../project-store';
import { builtinAttributeSchema } from '../schemas/builtin';
import { meanShape, type Point2 } from '../schemas/mean-shape';
import type { AttributeSchema, LandmarkSchema } from '../../shared/schemas';

/** Fewer fully labelled faces than this give a noisy mean: the schema's template is better. */
export const MIN_FACES_FOR_MEAN = 3;
/** The mean of a few hundred faces is as good as of all; this bounds the work on big projects. */
export const MAX_FACES_FOR_MEAN = 500;

export interface LabellingSchemas {
  landmarks: LandmarkSchema;
  attributes: AttributeSchema | null;
}

export interface LabellingTemplate {
  /** Box-normalised (0..1), one [x, y] per point in schema order. */
  template: [number, number][];
  templateSource: 'labelled' | 'schema';
}

export function labellingSchemas(store: ProjectStore): LabellingSchemas {
  const attributeSchema = store.meta.attributeSchema;
  return {
    landmarks: store.landmarkSchema,
    attributes: attributeSchema ? builtinAttributeSchema(attributeSchema) : null,
  };
}

/**
 * The last template per open store and the store's `editCount` it was made at: Label asks on
 * every open, and on a big project the walk over the index (up to MAX_FACES_FOR_MEAN faces read)
 * is most of that request's time. Callers only read the answer.
 */
const templates = new WeakMap<ProjectStore, { editCount: number; template: LabellingTemplate }>();

/** Faces read between two turns of the event loop while the mean is worked out. */
const FACES_PER_TURN = 50;

/**
 * The template, from memory while no face or record changed. Else it waits for labels.json to be
 * read (off the event loop: `whenFacesRead`) and reads the faces a few at a time, letting other
 * requests (the image the labeller is loading) through between.
 */
export async function labellingTemplate(store: ProjectStore): Promise<LabellingTemplate> {
  const cached = templates.get(store);
  if (cached?.editCount === store.editCount) return cached.template;
  await store.whenFacesRead();
  const editCount = store.editCount;
  const template = await freshTemplate(store);
  templates.set(store, { editCount, template });
  return template;
}

async function freshTemplate(store: ProjectStore): Promise<LabellingTemplate> {
  const landmarks = store.landmarkSchema;
  const shapes: Point2[][] = [];
  const ids = [...store.imageIdsWithFaces()];
  for (const [read, imageId] of ids.entries()) {
    if (shapes.length >= MAX_FACES_FOR_MEAN) break;
    if (read > 0 && read % FACES_PER_TURN === 0) await nextTurn();
    const face = store.getFace(imageId);
    if (!face || face.points.length !== landmarks.points.length) continue;
    if (face.points.some((p) => p.v === 0)) continue;
    shapes.push(face.points.map((p) => [p.x, p.y] as const));
  }
  if (shapes.length >= MIN_FACES_FOR_MEAN) {
    return { template: meanShape(shapes), templateSource: 'labelled' };
  }
  return { template: landmarks.template.map(([x, y]) => [x, y]), templateSource: 'schema' };
}
