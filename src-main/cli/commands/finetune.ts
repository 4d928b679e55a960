/**
 * `face-studio finetune --project P --task landmarks|attributes|expression [--backbone MODEL_ID_OR_DIR]
 * [--config file.json] [--set key=value]… [--resume RUN_ID]`: fine-tunes a model on the project's
 * labelled faces (train; val for early stopping; test for the final metrics), in this process,
 * writing runs/<id>/ and exporting models/<id>/ with its card. Progress and validation lines go to
 * stderr, a JSON summary to stdout. A bad config key or type exits 2.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readLabelledFaces } from '../../app/training/finetune-faces';
import { chooseBackend } from '../../engine/backend';
import { parseFinetuneConfig } from '../../engine/finetune/finetune-config';
import { runFinetuneJob } from '../../engine/jobs/finetune-job';
import { StudioError } from '../../shared/errors';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import {
  checkConfig,
  configFromArgs,
  describeJobEvent,
  newRunId,
  throwIfFailed,
} from '../training-command';
import { FINETUNE_USAGE } from '../usage';

const TASKS = ['landmarks', 'attributes', 'expression'] as const;

async function isFolder(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => null))?.isDirectory() ?? false;
}

/** A model id of the project (models/<id>/), or a folder path. */
async function backboneFolder(projectDir: string, given: string): Promise<string> {
  const ofProject = path.join(projectDir, 'models', given);
  if (!given.includes(path.sep) && !given.includes('/') && (await isFolder(ofProject)))
    return ofProject;
  if (await isFolder(path.resolve(given))) return path.resolve(given);
  throw new StudioError(
    'not-found',
    `Backbone ${given} is neither a model of the project (${ofProject}) nor a folder`,
  );
}

export async function finetuneCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      project: { type: 'string' },
      task: { type: 'string' },
      backbone: { type: 'string' },
      config: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      resume: { type: 'string' },
    },
    FINETUNE_USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`Unexpected argument ${positionals[0]}`, FINETUNE_USAGE);
  if (!values.project) throw new UsageError('Missing --project', FINETUNE_USAGE);
  if (values.task !== undefined && !(TASKS as readonly string[]).includes(values.task))
    throw new UsageError(`--task must be one of ${TASKS.join(', ')}`, FINETUNE_USAGE);
  if (values.resume && values.backbone)
    throw new UsageError('--backbone cannot change a resumed run', FINETUNE_USAGE);

  const config = await configFromArgs(values, FINETUNE_USAGE);
  if (values.task !== undefined) {
    if (config.task !== undefined && config.task !== values.task)
      throw new UsageError(
        `--task ${values.task} but the config says task ${JSON.stringify(config.task)}`,
        FINETUNE_USAGE,
      );
    config.task = values.task;
  }
  // Check keys and types now (exit 2, the key named); a resumed run merges over its saved config.
  if (!values.resume) {
    if (config.task === undefined) throw new UsageError('Missing --task', FINETUNE_USAGE);
    checkConfig(parseFinetuneConfig, config, FINETUNE_USAGE);
  }

  const projectDir = path.resolve(values.project);
  const backboneDir = values.backbone
    ? await backboneFolder(projectDir, values.backbone)
    : undefined;
  const backend = await chooseBackend();
  io.err(
    `backend ${backend.name}${backboneDir ? ` · backbone ${backboneDir}` : ' · from scratch'}`,
  );
  const runId = values.resume ?? newRunId('finetune');
  const outcome = await runFinetuneJob(
    {
      jobId: runId,
      runDir: path.join(projectDir, 'runs', runId),
      modelsDir: path.join(projectDir, 'models'),
      config,
      resume: values.resume !== undefined,
      faces: async (task, options) => {
        const set = await readLabelledFaces(projectDir, task, options);
        const skipped = Object.entries(set.skipped).map(([why, n]) => `${n} ${why}`);
        io.err(
          `${set.faces.length} labelled ${task} faces` +
            (skipped.length > 0 ? ` (left out: ${skipped.join(', ')})` : ''),
        );
        return set;
      },
      ...(backboneDir ? { backboneDir } : {}),
    },
    {
      emit: (event) => {
        const line = describeJobEvent(event);
        if (line) io.err(line);
      },
    },
  );
  throwIfFailed(outcome, 'Invalid fine-tuning config', FINETUNE_USAGE);
  io.out(JSON.stringify({ runId, ...outcome }, null, 2));
}
