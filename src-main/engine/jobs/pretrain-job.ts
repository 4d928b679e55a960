/**
 * One pre-training job, start to finish: takes the config parsed where it entered (a resumed run
 * starts from its saved config.json, parsed here), writes the run folder (run-folder.ts), runs
 * `runPretrain` over the given face crops with the queue's pause gate and cancel signal, logs
 * metrics.jsonl, and at the end exports the teacher backbone to models/<run id>/. It reports through `emit` with the protocol's job events, so the training
 * process and the CLI share it. The caller picks the images (core): the engine opens no project.
 */
import path from 'node:path';
import { exportBackbone } from '../export/saved-backbone';
import { readCheckpoint } from '../pretrain/pretrain-checkpoint';
import type { JobProgress } from '../../shared/worker-protocol';
import { ProjectFacesData } from '../data/project-faces';
import type { FaceSource } from '../data/project-faces';
import { modelConfigOf, runPretrain } from '../pretrain/pretrain';
import { parsePretrainConfig, type PretrainConfig } from '../pretrain/pretrain-config';
import {
  runConfigOf,
  runRecorder,
  settleRun,
  type JobRunControls,
  type JobRunOutcome,
} from './job-run';
import type { RunStart } from './run-config';
import { RunFolder } from './run-folder';

export type PretrainJobSpec = PretrainJobBase & RunStart<PretrainConfig>;

interface PretrainJobBase {
  jobId: string;
  /** runs/<id>/; the run id is its name. */
  runDir: string;
  /** The project's models/ folder: the backbone goes to models/<run id>/. */
  modelsDir: string;
  sources: readonly FaceSource[];
  /** Recorded in the model card. */
  projectDir: string | null;
}

export async function runPretrainJob(
  spec: PretrainJobSpec,
  controls: JobRunControls,
): Promise<JobRunOutcome> {
  const { jobId } = spec;
  const run = new RunFolder(path.resolve(spec.runDir));
  const createdAt = new Date().toISOString();
  let lastCheckpoint: string | null = null;
  let step = 0;
  let finalLoss: number | null = null;
  const record = runRecorder(run, 'pretrain', createdAt, () => ({ step, lastCheckpoint }));
  return settleRun(
    jobId,
    controls,
    record,
    () => lastCheckpoint,
    async () => {
      const config = await runConfigOf(run, spec, parsePretrainConfig);
      await run.create();
      if (spec.resume) {
        lastCheckpoint = run.checkpointFile;
        step = (await readCheckpoint(run.checkpointFile)).step;
        await run.truncateMetrics(step);
      } else {
        await run.writeConfig(config);
      }
      await record('running');
      controls.emit({ type: 'started', jobId, runDir: run.dir });

      const model = modelConfigOf(config);
      const data = new ProjectFacesData(spec.sources, model.vit.imageSize);
      const pending: Promise<void>[] = [];
      const result = await runPretrain(config, data, {
        ...(controls.signal ? { signal: controls.signal } : {}),
        ...(controls.beforeStep ? { beforeStep: controls.beforeStep } : {}),
        ...(spec.resume ? { resumeFrom: run.checkpointFile } : {}),
        onCheckpoint: (at, file) => {
          lastCheckpoint = file;
          controls.emit({ type: 'checkpoint', jobId, step: at, file });
        },
        onProgress: (p) => {
          step = p.step;
          finalLoss = p.loss;
          const progress: JobProgress = {
            step: p.step,
            totalSteps: p.totalSteps,
            epoch: p.epoch,
            loss: p.loss,
            lr: p.lr,
            momentum: p.momentum,
            teacherEntropy: p.teacherEntropy,
            imagesPerSec: p.imagesPerSec,
            etaSeconds: p.etaSeconds,
            memory: p.memory,
          };
          pending.push(
            run.appendMetrics({
              ...progress,
              weightDecay: p.weightDecay,
              teacherTemperature: p.teacherTemperature,
              time: new Date().toISOString(),
            }),
          );
          controls.emit({ type: 'progress', jobId, progress });
        },
      });
      await Promise.all(pending);
      step = result.step;
      lastCheckpoint = result.checkpoint ?? lastCheckpoint;
      if (result.cancelled) {
        await record('cancelled');
        return { type: 'cancelled', jobId, lastCheckpoint };
      }
      const modelDir = path.join(path.resolve(spec.modelsDir), run.id);
      await exportBackbone(modelDir, model.vit, result.teacher, {
        id: run.id,
        preset: config.model.preset,
        runId: run.id,
        config,
        data: { project: spec.projectDir, train: spec.sources.length, val: 0, test: 0 },
        metrics:
          finalLoss === null
            ? []
            : [
                {
                  data: 'training images (last pre-training step)',
                  faces: spec.sources.length,
                  values: { loss: finalLoss, steps: result.step },
                },
              ],
      });
      await record('done', { modelDir, finalLoss });
      return {
        type: 'done',
        jobId,
        result: {
          step: result.step,
          finalLoss,
          checksum: result.checksum,
          checkpoint: lastCheckpoint,
        },
        modelDir,
      };
    },
  );
}
