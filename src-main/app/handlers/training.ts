/**
 * The Train view's handlers: the advanced form (fields from the config schemas, one-click
 * defaults for the open project), and runs — start, pause, resume, cancel, list, detail — which
 * the training relay carries to the training process. Events come back as `training:event`.
 */
import { configFields } from '../training/config-fields';
import {
  comparisonWinner,
  oneClickConfig,
  oneClickFinetuneInput,
  projectCounts,
  resolveRunConfig,
} from '../training/one-click-config';
import { readModelInfo } from '../training/run-index';
import { modelDir } from '../../engine/jobs/run-folder';
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
import type { HandlerTable } from '../dispatch';
import type { StudioContext } from './studio-context';

type TrainingChannel = Extract<keyof HandlerTable, `training:${string}`>;

/** Keys main sets itself: the run folder's checkpoints, and the task picked above the form. */
const PRETRAIN_OWN_KEYS = ['checkpointDir'];
const FINETUNE_OWN_KEYS = ['checkpointDir', 'task'];

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

export function createTrainingHandlers(ctx: StudioContext): Pick<HandlerTable, TrainingChannel> {
  return {
    'training:configSchema': async (request) => {
      const store = openStore(ctx);
      const counts = projectCounts(store);
      const best =
        request.kind === 'finetune'
          ? await comparisonWinner(store?.dir ?? null, request.task ?? 'landmarks')
          : null;
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
      const counts = projectCounts(store);
      // Parsed here, once, where the config enters: a bad key or type fails, named, before a run
      // folder exists, and the typed config goes down to the training process.
      let config: RunConfig;
      if (request.kind === 'finetune') {
        const backbone =
          request.backboneId !== null ? await runBackbone(store.dir, request.backboneId) : null;
        const input = oneClickFinetuneInput(
          request.task!,
          counts,
          request.config,
          backbone !== null,
          await comparisonWinner(store.dir, request.task!),
        );
        config = resolveFinetuneConfig(input, backbone);
      } else {
        config = parsePretrainConfig(
          resolveRunConfig(
            request.kind,
            oneClickConfig(request.kind, undefined, counts),
            request.config,
          ),
        );
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
