/**
 * `face-studio finetune --project P --task landmarks|attributes|expression [--backbone MODEL_ID_OR_DIR]
 * [--config file.json] [--set key=value]… [--resume RUN_ID]`: fine-tunes a model on the project's
 * labelled faces (train; val for early stopping; test for the final metrics), in this process,
 * writing runs/<id>/ and exporting models/<id>/ with its card. Progress and validation lines go to
 * stderr, a JSON summary to stdout. A bad config key or type exits 2.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { readLabelledFaces } from '../../core/training/finetune-faces';
import { chooseBackend } from '../../engine/backend';
import { parseFinetuneConfig } from '../../engine/finetune/finetune-config';
import { runFinetuneJob } from '../../engine/jobs/finetune-job';
import { withoutComments } from '../../engine/jobs/run-folder';
import { StudioError } from '../../shared/errors';
import type { JobEvent } from '../../shared/worker-protocol';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { formatDuration } from '../progress-text';
import { FINETUNE_USAGE } from '../usage';
import { applySet } from './pretrain';

const TASKS = ['landmarks', 'attributes', 'expression'] as const;

function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `finetune-${stamp}-${randomBytes(2).toString('hex')}`;
}

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

/** One line per event worth a person's eye. */
function describe(event: JobEvent): string | null {
  switch (event.type) {
    case 'started':
      return `run ${event.runDir}`;
    case 'progress': {
      const p = event.progress;
      return (
        `step ${p.step}/${p.totalSteps} · loss ${p.loss.toFixed(4)} · lr ${p.lr.toExponential(2)} · ` +
        `${p.imagesPerSec.toFixed(2)} img/s · ETA ${formatDuration(p.etaSeconds)}`
      );
    }
    case 'validation': {
      const v = event.validation;
      const value = v.metrics[v.monitored];
      return (
        `epoch ${v.epoch} · validation ${v.monitored} ${value === undefined ? '–' : value.toFixed(4)}` +
        (v.improved ? ' (best so far)' : '')
      );
    }
    case 'checkpoint':
      return `checkpoint at step ${event.step}: ${event.file}`;
    default:
      return null;
  }
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

  let config: Record<string, unknown> = {};
  if (values.config) {
    try {
      // A run's config.json works as --config: its `$comments` are dropped.
      config = withoutComments(
        JSON.parse(await readFile(values.config, 'utf8')) as Record<string, unknown>,
      );
    } catch (error) {
      throw new UsageError(
        `--config ${values.config}: ${(error as Error).message}`,
        FINETUNE_USAGE,
      );
    }
  }
  try {
    for (const assignment of values.set) applySet(config, assignment);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(error.message, FINETUNE_USAGE);
    throw error;
  }
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
    try {
      parseFinetuneConfig(config);
    } catch (error) {
      if (error instanceof StudioError) throw new UsageError(error.message, FINETUNE_USAGE);
      throw error;
    }
  }

  const projectDir = path.resolve(values.project);
  const backboneDir = values.backbone
    ? await backboneFolder(projectDir, values.backbone)
    : undefined;
  const backend = await chooseBackend();
  io.err(
    `backend ${backend.name}${backboneDir ? ` · backbone ${backboneDir}` : ' · from scratch'}`,
  );
  const runId = values.resume ?? newRunId();
  const outcome = await runFinetuneJob(
    {
      jobId: runId,
      runDir: path.join(projectDir, 'runs', runId),
      modelsDir: path.join(projectDir, 'models'),
      config,
      resume: values.resume !== undefined,
      faces: async (task) => {
        const set = await readLabelledFaces(projectDir, task);
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
        const line = describe(event);
        if (line) io.err(line);
      },
    },
  );
  if (outcome.type === 'failed') {
    const kept = outcome.lastCheckpoint ? ` (last checkpoint: ${outcome.lastCheckpoint})` : '';
    // A config problem found only now (a resumed run's merged config) is still a usage error.
    if (outcome.message.startsWith('Invalid fine-tuning config'))
      throw new UsageError(outcome.message, FINETUNE_USAGE);
    throw new StudioError('internal', `${outcome.message}${kept}`);
  }
  io.out(JSON.stringify({ runId, ...outcome }, null, 2));
}
