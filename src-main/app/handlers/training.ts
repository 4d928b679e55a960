/**
 * The Train view's handlers: the advanced form (fields from the config schemas, one-click
 * defaults for the open project), and runs — start, pause, resume, cancel, list, detail — which
 * the training relay carries to the training process. Events come back as `training:event`.
 */
import { pretrainSourcesOf } from '../training/pretrain-sources';
import { configFields } from '../training/config-fields';
import { oneClickConfig, resolveRunConfig, type ProjectCounts } from '../training/one-click-config';
import { readModelInfo } from '../training/run-index';
import { modelDir, readComparison } from '../../engine/jobs/run-folder';
import type { ProjectStore } from '../../core/project-store';
import { readBackboneVit } from '../../engine/export/backbone-shape';
import { finetuneConfigSchema } from '../../engine/finetune/finetune-config';
import {
  resolveFinetuneConfig,
  type RunBackbone,
  type RunConfig,
} from '../../engine/jobs/run-config';
import { parsePretrainConfig, pretrainConfigSchema } from '../../engine/pretrain/pretrain-config';
import { StudioError } from '../../shared/errors';
import type { FinetuneTaskName, TrainingKind } from '../../shared/training';
import type { HandlerTable } from '../dispatch';
import type { StudioContext } from './studio-context';

type TrainingChannel = Extract<keyof HandlerTable, `training:${string}`>;

/** Keys main sets itself: the run folder's checkpoints, and the task picked above the form. */
const PRETRAIN_OWN_KEYS = ['checkpointDir'];
const FINETUNE_OWN_KEYS = ['checkpointDir', 'task'];

export function projectCounts(store: ProjectStore | null): ProjectCounts {
  if (!store) return { pretrainImages: 0, labelledTrainFaces: 0 };
  let labelledTrainFaces = 0;
  for (const image of store.listImages()) {
    if (image.split === 'train' && store.getFace(image.id) !== null) labelledTrainFaces += 1;
  }
  return { pretrainImages: pretrainSourcesOf(store).length, labelledTrainFaces };
}

function openStore(ctx: StudioContext): ProjectStore | null {
  return ctx.session.summary() ? ctx.session.require() : null;
}

/** The backbone a fine-tuning run starts from: its card and the ViT of its weights. */
async function runBackbone(projectDir: string, backboneId: string): Promise<RunBackbone> {
  const dir = modelDir(projectDir, backboneId);
  const model = await readModelInfo(dir);
  if (model.task !== 'backbone') {
    throw new StudioError(
      'invalid-payload',
      `Model ${backboneId} is a ${model.task} model, not a backbone to fine-tune from`,
    );
  }
  return { card: model.card, vit: await readBackboneVit(dir) };
}

/**
 * The winner of the project's last backbone comparison for a fine-tuning task (one-click starts
 * from it), or null. A comparison file that cannot be read counts as none: the Models view
 * names its problem, and one-click keeps the task's default.
 */
async function bestBackbone(
  store: ProjectStore | null,
  kind: TrainingKind,
  task: FinetuneTaskName | undefined,
): Promise<string | null> {
  if (!store || kind !== 'finetune') return null;
  const comparison = await readComparison(store.dir, task ?? 'landmarks').catch(() => null);
  return comparison?.winner ?? null;
}

export function createTrainingHandlers(ctx: StudioContext): Pick<HandlerTable, TrainingChannel> {
  return {
    'training:configSchema': async (request) => {
      const store = openStore(ctx);
      const counts = projectCounts(store);
      const best = await bestBackbone(store, request.kind, request.task);
      const fields =
        request.kind === 'pretrain'
          ? configFields(pretrainConfigSchema, PRETRAIN_OWN_KEYS)
          : configFields(finetuneConfigSchema, FINETUNE_OWN_KEYS);
      return { fields, defaults: oneClickConfig(request.kind, request.task, counts, best) };
    },
    'training:start': async (request) => {
      const store = ctx.session.require();
      if (request.kind === 'pretrain' && request.backboneId !== null) {
        throw new StudioError('invalid-payload', 'backboneId applies to fine-tuning only');
      }
      if (request.kind === 'finetune' && !request.task) {
        throw new StudioError('invalid-payload', 'Fine-tuning needs a task');
      }
      const best = await bestBackbone(store, request.kind, request.task);
      const defaults = oneClickConfig(request.kind, request.task, projectCounts(store), best);
      const input = resolveRunConfig(request.kind, defaults, request.config);
      // Parsed here, once, where the config enters: a bad key or type fails, named, before a run
      // folder exists, and the typed config goes down to the training process.
      let config: RunConfig;
      if (request.kind === 'finetune') {
        input.task = request.task;
        const backbone =
          request.backboneId !== null ? await runBackbone(store.dir, request.backboneId) : null;
        // A run from a backbone takes its model shape unless the user named one: the one-click
        // default gives way.
        if (backbone && !Object.hasOwn(request.config, 'model')) delete input.model;
        config = resolveFinetuneConfig(input, backbone);
      } else {
        config = parsePretrainConfig(input);
      }
      return ctx.training.start(store.dir, {
        kind: request.kind,
        task: request.kind === 'finetune' ? (request.task ?? null) : null,
        backboneId: request.backboneId,
        config,
      });
    },
    'training:pause': async (request) => ctx.training.pause(projectDirOf(ctx), request.runId),
    'training:resume': async (request) => ctx.training.resume(projectDirOf(ctx), request.runId),
    'training:cancel': async (request) => ctx.training.cancel(projectDirOf(ctx), request.runId),
    'training:runs': async () => ctx.training.runs(projectDirOf(ctx)),
    'training:run': async (request) => ctx.training.detail(projectDirOf(ctx), request.runId),
  };
}

function projectDirOf(ctx: StudioContext): string {
  return ctx.session.require().dir;
}
