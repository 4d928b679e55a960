/**
 * A model card's landmark schema, both ways: what the card keeps of a schema (what prediction
 * needs: point names, mirror pairs, normaliser), and the schema the library's formats want back
 * from a card. A built-in schema with the same id and points adds its edges and template (COCO
 * writes the edges as its skeleton); any other schema gets none.
 */
import { builtinLandmarkSchema, BUILTIN_LANDMARK_SCHEMAS } from '../../core/schemas/builtin';
import type { ModelCard } from '../../shared/model-card';
import type { LandmarkSchema } from '../../shared/schemas';

export function cardSchemaOf(schema: LandmarkSchema): NonNullable<ModelCard['schema']> {
  const { id, name, points, mirror, normaliser } = schema;
  return { id, name, points, mirror, normaliser };
}

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
