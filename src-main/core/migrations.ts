/**
 * Upgrades of the on-disk project format (docs/ARCHITECTURE.md, "Files on disk"). Each migration
 * takes the raw JSON of project.json and labels.json at version `from` and returns it at `from +
 * 1`; the runner applies them in order from each file's own version, so a project whose labels.json
 * was already upgraded before a crash is not upgraded twice. Before the first migration runs, both
 * files are copied to
 * `backup/v<n>-<timestamp>/`; nothing is written to the project if the backup fails.
 */
import { copyFile, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../shared/errors';

export type RawJson = Record<string, unknown>;

export interface Migration {
  /** The version this migration reads; it produces version `from + 1`. */
  from: number;
  /** What changes, for the log and the backup's reader. */
  description: string;
  /** Upgrades project.json's content; `meta.schemaVersion` is set by the runner. */
  project(raw: RawJson): RawJson;
  /** Upgrades labels.json's content (undefined when the old format had none). */
  labels(raw: RawJson | undefined): RawJson | undefined;
}

/**
 * Version 1 → 2: every landmark says who placed it (`source`) and whether a person confirmed it
 * (`confirmed`), in place of version 1's `predicted` flag. A predicted point becomes unconfirmed:
 * `model` when it carries the model's `uncertainty` (pre-labelling always wrote one), else
 * `template` (the template drop and mirror assist wrote none). Any other point was placed or
 * confirmed by a person. Values that are not what version 1 wrote are left for validation to name.
 */
const pointProvenance: Migration = {
  from: 1,
  description: 'each landmark records who placed it and whether a person confirmed it',
  project: (raw) => raw,
  labels(raw) {
    if (raw === undefined) return undefined;
    const faces = asObject(raw.faces);
    const upgraded: RawJson = {};
    for (const [key, face] of Object.entries(faces)) {
      const record = asObject(face);
      upgraded[key] =
        record === face && Array.isArray(record.points)
          ? { ...record, points: record.points.map(upgradePoint) }
          : face;
    }
    return raw.faces === faces ? { ...raw, faces: upgraded } : raw;
  },
};

function upgradePoint(point: unknown): unknown {
  const record = asObject(point);
  if (record !== point) return point;
  const { predicted, uncertainty, ...rest } = record;
  if (predicted === true) {
    return uncertainty === undefined
      ? { ...rest, source: 'template', confirmed: false }
      : { ...rest, source: 'model', confirmed: false, uncertainty };
  }
  // A person's point: the model's doubt, if any was left behind, no longer applies.
  return { ...rest, source: 'human', confirmed: true };
}

/** Every migration the app knows, in order. */
export const migrations: readonly Migration[] = [pointProvenance];

export interface MigrationInput {
  dir: string;
  projectFile: string;
  labelsFile: string;
  project: RawJson;
  labels: RawJson | undefined;
  projectVersion: number;
  /** labels.json's own version; undefined when the file is missing. */
  labelsVersion: number | undefined;
  target: number;
  /** False for a read-only open: the migration runs in memory and nothing is copied or written. */
  backUp?: boolean;
}

export interface MigrationResult {
  project: RawJson;
  labels: RawJson | undefined;
  /** Null when `backUp` was false. */
  backupDir: string | null;
  applied: string[];
}

export async function migrateProject(
  input: MigrationInput,
  list: readonly Migration[] = migrations,
): Promise<MigrationResult> {
  const oldest = Math.min(input.projectVersion, input.labelsVersion ?? input.projectVersion);
  const steps = new Map(list.map((migration) => [migration.from, migration]));
  for (let version = oldest; version < input.target; version += 1) {
    if (!steps.has(version)) {
      throw new StudioError(
        'conflict',
        `${input.projectFile} is at schema version ${input.projectVersion} and this version of ` +
          `Face Studio has no migration from version ${version} to ${version + 1}`,
      );
    }
  }

  const backupDir = input.backUp === false ? null : await backUp(input);

  let project = input.project;
  let labels = input.labels;
  const applied: string[] = [];
  for (let version = oldest; version < input.target; version += 1) {
    const step = steps.get(version);
    if (step === undefined) continue; // checked above
    if (version >= input.projectVersion) {
      project = step.project(project);
      project = { ...project, meta: { ...asObject(project.meta), schemaVersion: version + 1 } };
    }
    if (version >= (input.labelsVersion ?? input.projectVersion)) {
      labels = step.labels(labels);
      if (labels !== undefined) labels = { ...labels, schemaVersion: version + 1 };
    }
    applied.push(`v${version} -> v${version + 1}: ${step.description}`);
  }
  return { project, labels, backupDir, applied };
}

/** Copies both files into a fresh `backup/v<n>-<timestamp>/` folder and fsyncs the copies. */
async function backUp(input: MigrationInput): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = path.join(input.dir, 'backup', `v${input.projectVersion}-${stamp}`);
  await mkdir(path.dirname(base), { recursive: true }).catch((error: unknown) => {
    throw backupError(base, error);
  });
  let backupDir = base;
  for (let suffix = 2; ; suffix += 1) {
    try {
      await mkdir(backupDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw backupError(backupDir, error);
      backupDir = `${base}-${suffix}`;
    }
  }
  const files = [input.projectFile];
  if (input.labels !== undefined) files.push(input.labelsFile);
  for (const file of files) {
    const copy = path.join(backupDir, path.basename(file));
    try {
      await copyFile(file, copy);
      const handle = await open(copy, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw backupError(copy, error);
    }
  }
  return backupDir;
}

function backupError(target: string, error: unknown): StudioError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StudioError(
    'io',
    `Cannot back up the project before upgrading it: ${target}: ${reason}. Nothing was changed.`,
    { cause: error },
  );
}

/** The value itself when it is a plain object, else a fresh empty one. */
function asObject(value: unknown): RawJson {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as RawJson)
    : {};
}
