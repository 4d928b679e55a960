/**
 * Model-assisted labelling (`labels:prelabel`): the training process runs the model, main decides
 * what becomes a label. One image: the predicted face comes back and nothing is saved — the
 * labeller merges it. `unlabelled`: a background job over every image without a face annotation;
 * each predicted face is saved only if the image still has none when it arrives, so a face a
 * person labelled meanwhile is never overwritten. Progress goes out as `labels:prelabelProgress`.
 *
 * The training process runs one job at a time: rather than queue behind hours of training,
 * pre-labelling is refused while a run (or another pre-labelling job) is live. A model no better
 * than its baseline is refused too unless the request accepts it (the page asks first).
 */
import type { ProjectStore } from '../../core/project-store';
import { readModelInfo } from '../training/run-index';
import { modelDir, newRunId, runDir } from '../../engine/jobs/run-folder';
import type { FaceAnnotation } from '../../shared/domain';
import { StudioError, toIpcError } from '../../shared/errors';
import { prelabelCaution } from '../../shared/model-quality';
import type { ModelInfo } from '../../shared/training';
import type { HandlerTable } from '../dispatch';
import type { TaskEvent } from '../training-relay';
import type { StudioContext } from './studio-context';

async function prelabelModel(store: ProjectStore, modelId: string): Promise<ModelInfo> {
  const model = await readModelInfo(modelDir(store.dir, modelId));
  if (model.task === 'backbone') {
    throw new StudioError(
      'invalid-payload',
      `Model ${modelId} is a backbone: it predicts no labels. Fine-tune it first`,
    );
  }
  const schema = model.card.schema;
  if (model.task === 'landmarks' && schema && schema.id !== store.meta.landmarkSchema) {
    throw new StudioError(
      'invalid-payload',
      `Model ${modelId} predicts the ${schema.id} landmarks; this project uses ${store.meta.landmarkSchema}`,
    );
  }
  return model;
}

/** Images the background job predicts: no face annotation, and not curated as faceless. */
export function unlabelledImageIds(store: ProjectStore): string[] {
  return store
    .listImages()
    .filter((image) => !image.flags?.includes('no-face') && store.getFace(image.id) === null)
    .map((image) => image.id);
}

export function createPrelabelHandlers(ctx: StudioContext): Pick<HandlerTable, 'labels:prelabel'> {
  function requireIdle(): void {
    const busy = ctx.training.busyWith();
    if (busy) {
      throw new StudioError(
        'conflict',
        `The training process is busy with ${busy.what}; pre-label when it has ended, or cancel it`,
      );
    }
  }

  async function submit(
    store: ProjectStore,
    model: ModelInfo,
    jobId: string,
    imageIds: string[],
    onEvent: (event: TaskEvent) => void,
  ): Promise<void> {
    await ctx.training.submitTask(
      store.dir,
      {
        jobId,
        kind: 'prelabel',
        projectDir: store.dir,
        // The protocol asks for a run folder; a pre-labelling job writes none.
        runDir: runDir(store.dir, jobId),
        config: {},
        modelDir: modelDir(store.dir, model.id),
        imageIds,
      },
      [model.id],
      onEvent,
    );
  }

  /** One image's prediction, or null when the model found no face in it. */
  function predictOne(store: ProjectStore, model: ModelInfo, imageId: string) {
    return new Promise<FaceAnnotation | null>((resolve, reject) => {
      let face: FaceAnnotation | null = null;
      submit(store, model, newRunId('prelabel'), [imageId], (event) => {
        if (event.type === 'prelabelled') {
          face = event.faces.find((f) => f.imageId === imageId) ?? face;
        } else if (event.type === 'done' || event.type === 'cancelled') {
          resolve(face);
        } else if (event.type === 'failed' || event.type === 'exit') {
          reject(new StudioError('internal', `Pre-labelling failed: ${event.message}`));
        }
      }).catch(reject);
    });
  }

  /** Starts the background job; its progress and end arrive as events. */
  async function prelabelUnlabelled(store: ProjectStore, model: ModelInfo): Promise<string> {
    const jobId = newRunId('prelabel');
    const imageIds = unlabelledImageIds(store);
    const total = imageIds.length;
    const progress = (done: number, finished: boolean, error?: string) =>
      ctx.emit('labels:prelabelProgress', {
        jobId,
        done,
        total,
        finished,
        ...(error ? { error } : {}),
      });
    if (total === 0) {
      // After the reply, so the page knows the job id the event names.
      setImmediate(() => progress(0, true));
      return jobId;
    }
    // Each save settles into `refused` at once, so a refused save is never an unhandled rejection.
    const saves: Promise<unknown>[] = [];
    const refused: unknown[] = [];
    let done = 0;
    const finish = async (error?: string) => {
      await Promise.all(saves);
      const saveError =
        refused.length > 0
          ? `${refused.length} predicted faces could not be saved: ${toIpcError(refused[0]).message}`
          : undefined;
      progress(done, true, [error, saveError].filter(Boolean).join('; ') || undefined);
      const summary = ctx.session.summary();
      if (summary) ctx.emit('project:changed', summary);
    };
    await submit(store, model, jobId, imageIds, (event) => {
      switch (event.type) {
        case 'prelabelled':
          for (const face of event.faces) {
            // Checked and stored in one turn of the event loop: no label can slip in between.
            if (store.getFace(face.imageId) !== null) continue;
            saves.push(store.saveFace(face).catch((error: unknown) => void refused.push(error)));
          }
          done = event.done;
          progress(done, false);
          return;
        case 'done':
          void finish();
          return;
        case 'cancelled':
          void finish('Pre-labelling was cancelled');
          return;
        case 'failed':
        case 'exit':
          void finish(event.message);
          return;
      }
    });
    return jobId;
  }

  return {
    'labels:prelabel': async (request) => {
      const store = ctx.session.require();
      const model = await prelabelModel(store, request.modelId);
      const caution = prelabelCaution(model.card);
      if (caution && !request.acceptNoBetter) throw new StudioError('conflict', caution);
      requireIdle();
      if (request.target === 'unlabelled') {
        return { face: null, jobId: await prelabelUnlabelled(store, model) };
      }
      const { imageId } = request.target;
      if (!store.getImage(imageId)) {
        throw new StudioError('not-found', `Image ${imageId} is not in project ${store.dir}`);
      }
      return { face: await predictOne(store, model, imageId), jobId: null };
    },
  };
}
