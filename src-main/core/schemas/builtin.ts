/**
 * The schemas that ship with the studio. The JSON files are imported (shared/builtin-schema-files.ts,
 * not read at run time) so the bundler inlines them and they are found the same way in tests, the
 * CLI and the packaged app; they are validated once, on first use, like any custom schema.
 */
import type { AttributeSchema, LandmarkSchema } from '../../shared/schemas';
import { StudioError } from '../../shared/errors';
import { ATTRIBUTE_SCHEMA_FILES, LANDMARK_SCHEMA_FILES } from '../../shared/builtin-schema-files';
import { parseAttributeSchema } from './attribute-schema';
import { parseLandmarkSchema } from './landmark-schema';

const LANDMARK_FILES: Readonly<Record<string, unknown>> = LANDMARK_SCHEMA_FILES;
const ATTRIBUTE_FILES: Readonly<Record<string, unknown>> = ATTRIBUTE_SCHEMA_FILES;

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
