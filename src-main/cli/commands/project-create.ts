/**
 * `face-studio project create DIR [--name N] [--landmarks ID|FILE.json] [--attributes ID]`: makes
 * a project folder and prints its summary. The name defaults to the folder's own name. `--landmarks`
 * takes a built-in schema's id or a JSON file holding the lab's own schema (point names in order,
 * groups, edges, mirror pairs, the two points that normalise NME, a template); the file is checked
 * whole and every problem is named before anything is created, and the project keeps a copy.
 */
import path from 'node:path';
import { BUILTIN_LANDMARK_SCHEMAS } from '../../core/schemas/builtin';
import { loadLandmarkSchemaFile } from '../../core/schemas/landmark-schema';
import type { LandmarkSchemaChoice } from '../../core/schemas/project-landmarks';
import { ProjectSession } from '../../core/project-session';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { PROJECT_CREATE_USAGE } from '../usage';

export async function projectCreate(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      name: { type: 'string' },
      landmarks: { type: 'string', default: 'ibug68' },
      attributes: { type: 'string' },
    },
    PROJECT_CREATE_USAGE,
  );
  const [dir, ...extra] = positionals;
  if (!dir) throw new UsageError('Missing the project folder DIR', PROJECT_CREATE_USAGE);
  if (extra.length > 0)
    throw new UsageError(`Unexpected argument ${extra[0]}`, PROJECT_CREATE_USAGE);
  const name = (values.name ?? path.basename(path.resolve(dir))).trim();
  if (!name) throw new UsageError('--name is empty', PROJECT_CREATE_USAGE);
  const landmarkSchema = await landmarksOption(values.landmarks);

  const session = new ProjectSession();
  try {
    const summary = await session.create(dir, {
      name,
      landmarkSchema,
      attributeSchema: values.attributes ?? null,
    });
    io.out(JSON.stringify(summary, null, 2));
  } finally {
    await session.close();
  }
}

/** A built-in id as it is; a `.json` file (or any path) read and checked as a custom schema. */
async function landmarksOption(value: string): Promise<LandmarkSchemaChoice> {
  if (BUILTIN_LANDMARK_SCHEMAS.includes(value)) return value;
  if (value.toLowerCase().endsWith('.json') || value.includes('/') || value.includes('\\')) {
    return loadLandmarkSchemaFile(value);
  }
  throw new UsageError(
    `--landmarks ${value}: expected ${BUILTIN_LANDMARK_SCHEMAS.join(', ')} or a schema FILE.json`,
    PROJECT_CREATE_USAGE,
  );
}
