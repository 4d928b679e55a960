/**
 * `face-studio pretrain --project P [--config file.json] [--set key=value]… [--resume RUN_ID]`:
 * pre-trains a backbone on the project's pool and train faces, in this process (the CLI is its
 * own single TensorFlow.js thread), writing runs/<id>/ and exporting models/<id>/ at the end.
 * Progress lines go to stderr, a JSON summary to stdout. A bad config key or type exits 2.
 * It reads the project as a snapshot and writes none of its files, so it runs while the studio
 * has the project open. With `--export-torch DIR [--path-map OLD=NEW]…` it trains nothing and
 * writes the same run as a PyTorch recipe for a cluster instead (engine/torch/torch-recipe.ts).
 */
import path from 'node:path';
import { readPretrainSources } from '../../app/training/pretrain-sources';
import { chooseBackend } from '../../engine/backend';
import { runPretrainJob } from '../../engine/jobs/pretrain-job';
import { modelsDir, newRunId, runDir } from '../../engine/jobs/run-folder';
import { parsePretrainConfig } from '../../engine/pretrain/pretrain-config';
import { exportTorchRecipe, parsePathMapping } from '../../engine/torch/torch-recipe';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { checkConfig, configFromArgs, describeJobEvent, throwIfFailed } from '../training-command';
import { PRETRAIN_USAGE } from '../usage';

export async function pretrainCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      project: { type: 'string' },
      config: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      resume: { type: 'string' },
      'export-torch': { type: 'string' },
      'path-map': { type: 'string', multiple: true, default: [] },
    },
    PRETRAIN_USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`Unexpected argument ${positionals[0]}`, PRETRAIN_USAGE);
  if (!values.project) throw new UsageError('Missing --project', PRETRAIN_USAGE);

  const config = await configFromArgs(values, PRETRAIN_USAGE);
  if (values['export-torch'] !== undefined) {
    if (values.resume)
      throw new UsageError('--export-torch starts a new run: no --resume', PRETRAIN_USAGE);
    await exportTorch(values.project, values['export-torch'], values['path-map'], config, io);
    return;
  }
  if (values['path-map'].length > 0)
    throw new UsageError('--path-map goes with --export-torch', PRETRAIN_USAGE);
  // Parsed now, once (exit 2, the key named); a resumed run's job lays it over its saved config.
  const start = values.resume
    ? { resume: true as const, config }
    : { config: checkConfig(parsePretrainConfig, config, PRETRAIN_USAGE) };

  const projectDir = path.resolve(values.project);
  // Read from project.json, without the project's lock: training never writes the project's
  // files (only runs/<id>/ and models/<id>/), so it runs while the studio has the project open.
  const sources = await readPretrainSources(projectDir);
  const backend = await chooseBackend();
  io.err(`backend ${backend.name} · ${sources.length} images`);
  const runId = values.resume ?? newRunId('pretrain');
  const outcome = await runPretrainJob(
    {
      jobId: runId,
      runDir: runDir(projectDir, runId),
      modelsDir: modelsDir(projectDir),
      ...start,
      sources,
      projectDir,
    },
    {
      emit: (event) => {
        const line = describeJobEvent(event);
        if (line) io.err(line);
      },
    },
  );
  throwIfFailed(outcome, 'Invalid pre-training config', PRETRAIN_USAGE);
  io.out(JSON.stringify({ runId, ...outcome }, null, 2));
}

/** Writes the PyTorch recipe of this run (nothing trains here); prints how to launch it. */
async function exportTorch(
  project: string,
  outDir: string,
  pathMap: string[],
  config: Record<string, unknown>,
  io: CliIo,
): Promise<void> {
  const parsed = checkConfig(parsePretrainConfig, config, PRETRAIN_USAGE);
  const mappings = pathMap.map((entry) => {
    try {
      return parsePathMapping(entry);
    } catch (error) {
      throw new UsageError((error as Error).message, PRETRAIN_USAGE);
    }
  });
  const projectDir = path.resolve(project);
  const sources = await readPretrainSources(projectDir);
  const recipe = await exportTorchRecipe({
    outDir,
    config: parsed,
    sources,
    projectDir,
    pathMap: mappings,
  });
  io.err(
    `recipe for ${recipe.faces} faces in ${recipe.dir}; on the cluster: ` +
      'torchrun --nnodes N --nproc_per_node G train.py train --out OUT',
  );
  io.out(JSON.stringify(recipe, null, 2));
}
