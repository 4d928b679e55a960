/**
 * The landmark schema a model card describes, as the library's formats want it. The card keeps
 * what prediction needs (point names, mirror pairs, normaliser); a built-in schema with the same
 * id and points adds its edges and template (COCO writes the edges as its skeleton), and any other
 * schema gets none.
 */
import { builtinLandmarkSchema, BUILTIN_LANDMARK_SCHEMAS } from '../../core/schemas/builtin';
import type { ModelCard } from '../../shared/model-card';
import type { LandmarkSchema } from '../../shared/schemas';

export function landmarkSchemaOfCard(card: ModelCard): LandmarkSchema | null {
  const schema = card.schema;
  if (!schema) return null;
  if (BUILTIN_LANDMARK_SCHEMAS.includes(schema.id)) {
    const builtin = builtinLandmarkSchema(schema.id);
    if (builtin.points.join('\n') === schema.points.join('\n')) return builtin;
  }
  return {
    id: /^[a-z0-9][a-z0-9_-]{0,63}$/.test(schema.id) ? schema.id : 'model',
    name: schema.name,
    points: schema.points,
    groups: [],
    edges: [],
    mirror: schema.mirror,
    normaliser: schema.normaliser,
    template: [],
  };
}
