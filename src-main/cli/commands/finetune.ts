/**
 * `face-studio finetune --project P --task landmarks|attributes|expression [--backbone MODEL_ID_OR_DIR]
 * [--config file.json] [--set key=value]… [--resume RUN_ID]`: fine-tunes a model on the project's
 * labelled faces (train; val for early stopping; test for the final metrics), in this process,
 * writing runs/<id>/ and exporting models/<id>/ with its card. Progress and validation lines go to
 * stderr, a JSON summary to stdout. A bad config key or type exits 2.
 *
 * Without `--config` the run is the Train view's one-click run (one-click-config.ts), sized to the
 * project, with any `--set` laid over it as the Advanced form's changes are; with `--config` the
 * file (and `--set`) over the config's own defaults.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readLabelledFaces } from '../../app/training/finetune-faces';
import {
  comparisonWinner,
  oneClickFinetuneInput,
  projectCounts,
} from '../../app/training/one-click-config';
import { ProjectStore } from '../../core/project-store';
import { chooseBackend } from '../../engine/backend';
import { readBackboneShape } from '../../engine/export/saved-backbone';
import type { FinetuneConfig } from '../../engine/finetune/finetune-config';
import { runFinetuneJob } from '../../engine/jobs/finetune-job';
import { resolveFinetuneConfig, type RunStart } from '../../engine/jobs/run-config';
import { modelsDir, newRunId, runDir } from '../../engine/jobs/run-folder';
import { StudioError } from '../../shared/errors';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { checkConfig, configFromArgs, describeJobEvent, throwIfFailed } from '../training-command';
import { FINETUNE_USAGE } from '../usage';

const TASKS = ['landmarks', 'attributes', 'expression'] as const;

async function isFolder(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => null))?.isDirectory() ?? false;
}

/** A model id of the project (models/<id>/), or a folder path. */
async function backboneFolder(projectDir: string, given: string): Promise<string> {
  const ofProject = path.join(modelsDir(projectDir), given);
  if (!given.includes(path.sep) && !given.includes('/') && (await isFolder(ofProject)))
    return ofProject;
  if (await isFolder(path.resolve(given))) return path.resolve(given);
  throw new StudioError(
    'not-found',
    `Backbone ${given} is neither a model of the project (${ofProject}) nor a folder`,
  );
}

/** The project's counts the one-click defaults are sized by. */
async function countsOf(projectDir: string) {
  const store = await ProjectStore.open(projectDir, { readOnly: true });
  try {
    return projectCounts(store);
  } finally {
    await store.close();
  }
}

function withoutTask(config: Record<string, unknown>): Record<string, unknown> {
  const { task: _task, ...rest } = config;
  return rest;
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
  if (!values.resume && config.task === undefined)
    throw new UsageError('Missing --task', FINETUNE_USAGE);
  const projectDir = path.resolve(values.project);
  const backboneDir = values.backbone
    ? await backboneFolder(projectDir, values.backbone)
    : undefined;
  // Parsed now, once (exit 2, the key named), with the backbone's model shape when the config
  // names none; a resumed run's job lays the changes over its saved config.
  let start: RunStart<FinetuneConfig>;
  if (values.resume) start = { resume: true, config };
  else {
    const backbone = backboneDir ? await readBackboneShape(backboneDir) : null;
    const input = values.config
      ? config
      : oneClickFinetuneInput(
          config.task as (typeof TASKS)[number],
          await countsOf(projectDir),
          withoutTask(config),
          backbone !== null,
          await comparisonWinner(projectDir, config.task as (typeof TASKS)[number]),
        );
    start = {
      config: checkConfig((c) => resolveFinetuneConfig(c, backbone), input, FINETUNE_USAGE),
    };
  }
  const backend = await chooseBackend();
  io.err(
    `backend ${backend.name}${backboneDir ? ` · backbone ${backboneDir}` : ' · from scratch'}`,
  );
  const runId = values.resume ?? newRunId('finetune');
  const outcome = await runFinetuneJob(
    {
      jobId: runId,
      runDir: runDir(projectDir, runId),
      modelsDir: modelsDir(projectDir),
      ...start,
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
