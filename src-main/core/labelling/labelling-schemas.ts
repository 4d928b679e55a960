/**
 * What the labeller needs to know about the open project's schemas: the landmark schema, the
 * attribute set (or none), and the template to drop into a face box. The template is the mean
 * shape of the faces already labelled in full when there are enough of them (it then matches how
 * this project's faces look), else the schema's own mean shape.
 */
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
  template: [number, number][];
  templateSource: 'labelled' | 'schema';
}

/**
 * The last answer per open store and the store's `editCount` it was made at: Label asks on every
 * open, and on a big project the template's walk over the index (up to MAX_FACES_FOR_MEAN faces
 * read) is most of that request's time. Callers only read the answer.
 */
const answers = new WeakMap<ProjectStore, { editCount: number; schemas: LabellingSchemas }>();

export function labellingSchemas(store: ProjectStore): LabellingSchemas {
  const cached = answers.get(store);
  if (cached?.editCount === store.editCount) return cached.schemas;
  const schemas = freshSchemas(store);
  answers.set(store, { editCount: store.editCount, schemas });
  return schemas;
}

function freshSchemas(store: ProjectStore): LabellingSchemas {
  const meta = store.meta;
  const landmarks = store.landmarkSchema;
  const attributes = meta.attributeSchema ? builtinAttributeSchema(meta.attributeSchema) : null;
  const shapes: Point2[][] = [];
  for (const imageId of store.imageIdsWithFaces()) {
    if (shapes.length >= MAX_FACES_FOR_MEAN) break;
    const face = store.getFace(imageId);
    if (!face || face.points.length !== landmarks.points.length) continue;
    if (face.points.some((p) => p.v === 0)) continue;
    shapes.push(face.points.map((p) => [p.x, p.y] as const));
  }
  if (shapes.length >= MIN_FACES_FOR_MEAN) {
    return { landmarks, attributes, template: meanShape(shapes), templateSource: 'labelled' };
  }
  return {
    landmarks,
    attributes,
    template: landmarks.template.map(([x, y]) => [x, y]),
    templateSource: 'schema',
  };
}
