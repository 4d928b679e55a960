/**
 * One pre-labelling job (the model pre-labels, a person corrects what it doubts): loads an exported
 * model and predicts the given images' faces (predict/prelabel.ts), reporting them in `prelabelled`
 * events, a batch at a time, so the parent can save and show them while the rest run. The job
 * writes nothing: the parent owns the labels. Cancel stops between batches (the faces already
 * reported stay reported); pause holds between batches.
 */
import { toIpcError } from '../../shared/errors';
import { chooseGraphRunner } from '../export/graph-runner';
import { loadExportedModel, type ExportedModel } from '../export/load-model';
import { prelabelFaces, type ImageToPrelabel } from '../predict/prelabel';
import type { JobRunControls, JobRunOutcome } from './job-run';

/** Images per `prelabelled` event: small enough to show progress, large enough to batch well. */
const loadWithRunner = async (dir: string): Promise<ExportedModel> =>
  loadExportedModel(dir, { runner: await chooseGraphRunner() });

export const PRELABEL_CHUNK = 32;

export interface PrelabelJobSpec {
  jobId: string;
  /** models/<id>/ of the model to predict with. */
  modelDir: string;
  images: readonly ImageToPrelabel[];
  /** The submit's runDir, echoed in `started` (nothing is written there). */
  runDir?: string;
  /** Images per event; PRELABEL_CHUNK. */
  chunk?: number;
  /** How the model is loaded (tests pass their own); loadExportedModel on the chosen runner. */
  loadModel?: (dir: string) => Promise<ExportedModel>;
}

export async function runPrelabelJob(
  spec: PrelabelJobSpec,
  controls: JobRunControls,
): Promise<JobRunOutcome> {
  const { jobId, images } = spec;
  const chunk = spec.chunk ?? PRELABEL_CHUNK;
  let outcome: JobRunOutcome;
  let model: ExportedModel | null = null;
  let done = 0;
  try {
    // ONNX Runtime runs the graph when it loads (faster on CPU: npm run bench:onnx).
    model = await (spec.loadModel ?? loadWithRunner)(spec.modelDir);
    controls.emit({ type: 'started', jobId, runDir: spec.runDir ?? spec.modelDir });
    let cancelled = false;
    while (done < images.length) {
      await controls.beforeStep?.(done);
      if (controls.signal?.aborted) {
        cancelled = true;
        break;
      }
      const batch = images.slice(done, done + chunk);
      const faces = await prelabelFaces(model, batch, {
        ...(controls.signal ? { signal: controls.signal } : {}),
      });
      // Aborted inside the batch: what it predicted is still worth keeping.
      if (controls.signal?.aborted) cancelled = true;
      const predicted = new Set(faces.map((f) => f.imageId));
      done += cancelled
        ? batch.findLastIndex((image) => predicted.has(image.imageId)) + 1
        : batch.length;
      controls.emit({ type: 'prelabelled', jobId, faces, done, total: images.length });
      if (cancelled) break;
    }
    outcome = cancelled
      ? { type: 'cancelled', jobId, lastCheckpoint: null }
      : {
          type: 'done',
          jobId,
          result: { step: done, finalLoss: null, checksum: '', checkpoint: null },
          modelDir: null,
        };
  } catch (error) {
    outcome = { type: 'failed', jobId, message: toIpcError(error).message, lastCheckpoint: null };
  } finally {
    model?.dispose();
  }
  controls.emit(outcome);
  return outcome;
}
