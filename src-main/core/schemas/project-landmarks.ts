/**
 * The landmark schema of a project (docs/ARCHITECTURE.md, "Files on disk"). project.json names it
 * by id in `meta.landmarkSchema`. A built-in id (`ibug68`, `wflw98`, `five`) is the schema that
 * ships with the studio; any other id is the project's own schema, kept whole beside project.json
 * in `landmark-schema.json` (written once, when the project is created), so the project folder
 * carries every point name, mirror pair and the NME normaliser wherever it is copied.
 */
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import type { LandmarkSchema } from '../../shared/schemas';
import { writeFileAtomic } from '../atomic-write';
import { BUILTIN_LANDMARK_SCHEMAS, builtinLandmarkSchema } from './builtin';
import { loadLandmarkSchemaFile, parseLandmarkSchema } from './landmark-schema';

/** A project's own landmark schema, beside project.json. */
export const CUSTOM_LANDMARKS_FILE = 'landmark-schema.json';

/** A built-in schema's id, or a custom schema given whole. */
export type LandmarkSchemaChoice = string | LandmarkSchema;

export function isBuiltinLandmarkSchema(id: string): boolean {
  return BUILTIN_LANDMARK_SCHEMAS.includes(id);
}

/**
 * The schema a new project is created with: a built-in one by id, or a custom one, checked whole
 * again (it may come from a window, not a file) and refused when its id is a built-in schema's:
 * the id alone must say which schema a project's labels follow.
 */
export function newProjectLandmarks(choice: LandmarkSchemaChoice): {
  schema: LandmarkSchema;
  custom: boolean;
} {
  if (typeof choice === 'string') return { schema: builtinLandmarkSchema(choice), custom: false };
  const schema = parseLandmarkSchema(choice, `landmark schema "${choice.id}"`);
  if (isBuiltinLandmarkSchema(schema.id)) {
    throw new StudioError(
      'invalid-payload',
      `The custom landmark schema's id "${schema.id}" is a built-in schema's; give it an id of its own`,
    );
  }
  return { schema, custom: true };
}

/** Writes a custom schema into a new project's folder. */
export async function writeCustomLandmarks(root: string, schema: LandmarkSchema): Promise<void> {
  await writeFileAtomic(
    path.join(root, CUSTOM_LANDMARKS_FILE),
    `${JSON.stringify(schema, null, 2)}\n`,
  );
}

/**
 * The schema a project's `meta.landmarkSchema` names: built-in, or read and checked from the
 * project's `landmark-schema.json`, whose id must be the one project.json names.
 */
export async function readProjectLandmarks(root: string, id: string): Promise<LandmarkSchema> {
  if (isBuiltinLandmarkSchema(id)) return builtinLandmarkSchema(id);
  const file = path.join(root, CUSTOM_LANDMARKS_FILE);
  const schema = await loadLandmarkSchemaFile(file).catch((error: unknown) => {
    if (error instanceof StudioError && error.code === 'io') {
      throw new StudioError(
        'not-found',
        `The project's landmark schema "${id}" is not built in, and ${file} cannot be read: ` +
          'restore the file (it is the schema the project was created with)',
        { cause: error },
      );
    }
    throw error;
  });
  if (schema.id !== id) {
    throw new StudioError(
      'invalid-payload',
      `${file} holds the landmark schema "${schema.id}", but the project's is "${id}"`,
    );
  }
  return schema;
}
