/**
 * The Train view's handlers: the advanced form (fields from the config schemas, one-click
 * defaults for the open project), and runs — start, pause, resume, cancel, list, detail — which
 * the training relay carries to the training process. Events come back as `training:event`.
 */
import { pretrainSourcesOf } from '../training/pretrain-sources';
import { configFields } from '../training/config-fields';
import { oneClickConfig, resolveRunConfig, type ProjectCounts } from '../training/one-click-config';
import { modelDir, readModelInfo } from '../training/run-index';
import type { ProjectStore } from '../../core/project-store';
import { finetuneConfigSchema, parseFinetuneConfig } from '../../engine/finetune/finetune-config';
import { parsePretrainConfig, pretrainConfigSchema } from '../../engine/pretrain/pretrain-config';
import { StudioError } from '../../shared/errors';
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

/**
 * A fine-tuning run from a backbone takes the backbone's model shape (its card's training
 * config), unless the user named one: the weights only fit the shape they were trained with.
 */
async function backboneModel(projectDir: string, backboneId: string): Promise<unknown> {
  const model = await readModelInfo(modelDir(projectDir, backboneId));
  if (model.task !== 'backbone') {
    throw new StudioError(
      'invalid-payload',
      `Model ${backboneId} is a ${model.task} model, not a backbone to fine-tune from`,
    );
  }
  return model.card.config.model;
}

export function createTrainingHandlers(ctx: StudioContext): Pick<HandlerTable, TrainingChannel> {
  return {
    'training:configSchema': async (request) => {
      const counts = projectCounts(openStore(ctx));
      const fields =
        request.kind === 'pretrain'
          ? configFields(pretrainConfigSchema, PRETRAIN_OWN_KEYS)
          : configFields(finetuneConfigSchema, FINETUNE_OWN_KEYS);
      return { fields, defaults: oneClickConfig(request.kind, request.task, counts) };
    },
    'training:start': async (request) => {
      const store = ctx.session.require();
      if (request.kind === 'pretrain' && request.backboneId !== null) {
        throw new StudioError('invalid-payload', 'backboneId applies to fine-tuning only');
      }
      if (request.kind === 'finetune' && !request.task) {
        throw new StudioError('invalid-payload', 'Fine-tuning needs a task');
      }
      const defaults = oneClickConfig(request.kind, request.task, projectCounts(store));
      const config = resolveRunConfig(request.kind, defaults, request.config);
      if (request.kind === 'finetune') {
        config.task = request.task;
        if (request.backboneId !== null && !Object.hasOwn(request.config, 'model')) {
          const model = await backboneModel(store.dir, request.backboneId);
          if (model !== undefined) config.model = model;
        }
        // A bad key or type fails here, named, before a run folder exists.
        parseFinetuneConfig(config);
      } else {
        parsePretrainConfig(config);
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
