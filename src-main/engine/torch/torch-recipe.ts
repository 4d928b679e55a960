/**
 * The cluster recipe (docs/ARCHITECTURE.md, "Training recipe": pre-training on a cluster):
 * `face-studio pretrain --export-torch DIR` writes a folder that pre-trains the same backbone with
 * PyTorch DDP, away from the studio:
 *
 * | file | what |
 * |---|---|
 * | `train.py` | resources/torch/train.py: the engine's step in PyTorch, run with `torchrun` |
 * | `config.json` | the run's config, every default filled in, each key's meaning under `$comments` |
 * | `recipe.json` | the resolved model (ViT and head sizes) and crop sizes, so train.py derives nothing |
 * | `manifest.jsonl` | one line per face of the curated pool: image path, pixel size, crop box |
 *
 * Image paths can be rewritten for the cluster's storage with a prefix map, here or by train.py's
 * own `--path-map`. The folder is written whole under a hidden name and renamed into place.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from '../../../package.json' with { type: 'json' };
import { syncFolder, writeNewFileSynced } from '../../core/atomic-write';
import { StudioError } from '../../shared/errors';
import type { FaceSource } from '../data/project-faces';
import { COMMENTS_KEY } from '../jobs/run-folder';
import { augmentConfigOf, modelConfigOf } from '../pretrain/pretrain';
import { pretrainConfigComments, type PretrainConfig } from '../pretrain/pretrain-config';

export const RECIPE_FORMAT = 'face-studio-torch-recipe';
export const RECIPE_FILES = ['config.json', 'manifest.jsonl', 'recipe.json', 'train.py'] as const;
const SCRIPT = 'resources/torch/train.py';

/** One `--path-map OLD=NEW`: image paths starting with `from` start with `to` instead. */
export interface PathMapping {
  from: string;
  to: string;
}

/** `OLD=NEW` → a mapping; a StudioError naming the bad entry otherwise. */
export function parsePathMapping(entry: string): PathMapping {
  const eq = entry.indexOf('=');
  if (eq <= 0)
    throw new StudioError('invalid-payload', `--path-map ${entry}: expected OLD=NEW (a prefix)`);
  return { from: entry.slice(0, eq), to: entry.slice(eq + 1) };
}

/** `file` with the first matching prefix rewritten (train.py's `remap` does the same). */
export function mapPath(file: string, mappings: readonly PathMapping[]): string {
  const hit = mappings.find((m) => file.startsWith(m.from));
  return hit ? hit.to + file.slice(hit.from.length) : file;
}

/** resources/torch/train.py: in the packaged app's resources, or above this module in a checkout. */
export function recipeScriptPath(): string {
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  if (resources && existsSync(path.join(resources, SCRIPT))) return path.join(resources, SCRIPT);
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, SCRIPT))) return path.join(dir, SCRIPT);
    if (path.dirname(dir) === dir)
      throw new StudioError(
        'not-found',
        `The PyTorch recipe ${SCRIPT} is not shipped with this app`,
      );
  }
}

export interface TorchRecipeSpec {
  /** A new or empty folder. */
  outDir: string;
  config: PretrainConfig;
  /** The curated pool (app/training/pretrain-sources.ts). */
  sources: readonly FaceSource[];
  /** Recorded in recipe.json and, through the teacher, in the imported backbone's card. */
  projectDir: string | null;
  pathMap?: readonly PathMapping[];
}

export interface TorchRecipe {
  dir: string;
  faces: number;
  files: string[];
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw new StudioError('io', `${dir} cannot be read: ${(error as Error).message}`);
  }
}

export async function exportTorchRecipe(spec: TorchRecipeSpec): Promise<TorchRecipe> {
  const dir = path.resolve(spec.outDir);
  if (!(await isEmptyOrMissing(dir)))
    throw new StudioError(
      'conflict',
      `${dir} is not empty: export the recipe into a new or empty folder`,
    );
  if (spec.sources.length < spec.config.batchSize)
    throw new StudioError(
      'invalid-payload',
      `Pre-training needs at least ${spec.config.batchSize} faces (one batch); the pool has ${spec.sources.length}`,
    );
  const model = modelConfigOf(spec.config);
  const augment = augmentConfigOf(spec.config, model);
  const maps = spec.pathMap ?? [];
  const manifest = spec.sources.map((s) =>
    JSON.stringify({ file: mapPath(s.file, maps), width: s.width, height: s.height, crop: s.crop }),
  );
  const files: Record<(typeof RECIPE_FILES)[number], string> = {
    'train.py': await readFile(recipeScriptPath(), 'utf8'),
    'config.json': `${JSON.stringify({ ...spec.config, [COMMENTS_KEY]: pretrainConfigComments() }, null, 2)}\n`,
    'recipe.json': `${JSON.stringify(
      {
        format: RECIPE_FORMAT,
        version: 1,
        studio: pkg.version,
        exportedAt: new Date().toISOString(),
        project: spec.projectDir,
        faces: spec.sources.length,
        model,
        augment,
      },
      null,
      2,
    )}\n`,
    'manifest.jsonl': `${manifest.join('\n')}\n`,
  };
  // Written whole beside the target and renamed into place: no half recipe under its name.
  const temporary = path.join(path.dirname(dir), `.${path.basename(dir)}.${process.pid}.tmp`);
  try {
    await rm(temporary, { recursive: true, force: true });
    await mkdir(temporary, { recursive: true });
    for (const [name, text] of Object.entries(files))
      await writeNewFileSynced(path.join(temporary, name), text);
    await syncFolder(temporary);
    await rm(dir, { recursive: true, force: true }); // empty or missing, checked above
    await rename(temporary, dir);
    await syncFolder(path.dirname(dir));
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
    throw new StudioError('io', `Cannot write the recipe to ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { dir, faces: spec.sources.length, files: [...RECIPE_FILES] };
}
