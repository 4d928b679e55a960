/**
 * The schemas that ship with the studio. The JSON files are imported (not read at run time) so the
 * bundler inlines them and they are found the same way in tests, the CLI and the packaged app;
 * they are validated once, on first use, like any custom schema.
 */
import type { AttributeSchema, LandmarkSchema } from '../../shared/schemas';
import { StudioError } from '../../shared/errors';
import affectnet8 from '../../../resources/schemas/attributes.affectnet8.json' with { type: 'json' };
import celeba40 from '../../../resources/schemas/attributes.celeba40.json' with { type: 'json' };
import ckplus7 from '../../../resources/schemas/attributes.ckplus7.json' with { type: 'json' };
import fer7 from '../../../resources/schemas/attributes.fer7.json' with { type: 'json' };
import mtfl from '../../../resources/schemas/attributes.mtfl.json' with { type: 'json' };
import rafdb7 from '../../../resources/schemas/attributes.rafdb7.json' with { type: 'json' };
import five from '../../../resources/schemas/landmarks.five.json' with { type: 'json' };
import ibug68 from '../../../resources/schemas/landmarks.ibug68.json' with { type: 'json' };
import wflw98 from '../../../resources/schemas/landmarks.wflw98.json' with { type: 'json' };
import { parseAttributeSchema } from './attribute-schema';
import { parseLandmarkSchema } from './landmark-schema';

const LANDMARK_FILES: Record<string, unknown> = { ibug68, wflw98, five };
const ATTRIBUTE_FILES: Record<string, unknown> = {
  mtfl,
  celeba40,
  ckplus7,
  fer7,
  rafdb7,
  affectnet8,
};

export const BUILTIN_LANDMARK_SCHEMAS = Object.keys(LANDMARK_FILES);
export const BUILTIN_ATTRIBUTE_SCHEMAS = Object.keys(ATTRIBUTE_FILES);

const landmarkCache = new Map<string, LandmarkSchema>();
const attributeCache = new Map<string, AttributeSchema>();

export function builtinLandmarkSchema(id: string): LandmarkSchema {
  const cached = landmarkCache.get(id);
  if (cached) return cached;
  if (!Object.hasOwn(LANDMARK_FILES, id)) {
    throw new StudioError('not-found', `No built-in landmark schema "${id}"`);
  }
  const schema = parseLandmarkSchema(LANDMARK_FILES[id], `landmarks.${id}.json`);
  landmarkCache.set(id, schema);
  return schema;
}

export function builtinAttributeSchema(id: string): AttributeSchema {
  const cached = attributeCache.get(id);
  if (cached) return cached;
  if (!Object.hasOwn(ATTRIBUTE_FILES, id)) {
    throw new StudioError('not-found', `No built-in attribute set "${id}"`);
  }
  const set = parseAttributeSchema(ATTRIBUTE_FILES[id], `attributes.${id}.json`);
  attributeCache.set(id, set);
  return set;
}
