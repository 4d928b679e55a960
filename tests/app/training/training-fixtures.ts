/**
 * Run and model folders written by hand, in the shapes the training process writes them, for the
 * tests of main's reading side (run index, relay, model handlers).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MODEL_CARD_VERSION, type ModelCard } from '../../../src-main/shared/model-card';

export function modelCard(id: string, overrides: Partial<ModelCard> = {}): ModelCard {
  return {
    format: 'face-studio-model',
    version: MODEL_CARD_VERSION,
    id,
    task: 'landmarks',
    createdAt: '2025-03-01T10:00:00.000Z',
    studio: '0.1.0',
    schema: {
      id: 'five',
      name: '5 points',
      points: ['left eye', 'right eye', 'nose', 'left mouth', 'right mouth'],
      mirror: [
        [0, 1],
        [3, 4],
      ],
      normaliser: [0, 1],
    },
    attributes: null,
    classes: null,
    input: {
      size: 64,
      range: [0, 1],
      normalisation: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    },
    crop: { from: 'face-box', margin: 0.25, landmarksToFaceBox: 1.27 },
    outputs: ['landmarks'],
    metrics: [{ data: 'validation split', faces: 10, values: { nme: 0.08 } }],
    data: { project: 'tiny', train: 90, val: 10, test: 0 },
    backbone: { preset: 'tiny', pretrainedFrom: null },
    config: { model: { preset: 'tiny', depth: 1 } },
    runId: id,
    ...overrides,
  };
}

/** models/<id>/ with card.json, model.json and one weight shard; returns the graph's bytes. */
export async function writeModel(
  projectDir: string,
  id: string,
  overrides: Partial<ModelCard> = {},
): Promise<{ dir: string; sizeBytes: number }> {
  const dir = path.join(projectDir, 'models', id);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'card.json'), JSON.stringify(modelCard(id, overrides)));
  const modelJson = JSON.stringify({ format: 'graph-model', weightsManifest: [] });
  const weights = new Uint8Array(1000).fill(7);
  await writeFile(path.join(dir, 'model.json'), modelJson);
  await writeFile(path.join(dir, 'group1-shard1of1.bin'), weights);
  return { dir, sizeBytes: Buffer.byteLength(modelJson) + weights.length };
}

/** runs/<id>/ with the given run.json (object, or raw text for a corrupt one). */
export async function writeRun(
  projectDir: string,
  id: string,
  record: Record<string, unknown> | string | null,
): Promise<string> {
  const dir = path.join(projectDir, 'runs', id);
  await mkdir(dir, { recursive: true });
  if (record !== null) {
    const text = typeof record === 'string' ? record : JSON.stringify(record);
    await writeFile(path.join(dir, 'run.json'), text);
  }
  return dir;
}

export async function writeCheckpoint(runDir: string): Promise<string> {
  const file = path.join(runDir, 'checkpoints', 'latest.ckpt');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, 'FSCKPT\n');
  return file;
}

/** A pre-training metrics.jsonl line as pretrain-job.ts logs it. */
export function metricsLine(step: number): string {
  return JSON.stringify({
    step,
    epoch: Math.floor(step / 10),
    loss: 8 - step / 1000,
    lr: 1e-4,
    weightDecay: 0.04,
    momentum: 0.996,
    teacherTemperature: 0.04,
    teacherEntropy: 8.3,
    imagesPerSec: 3,
    time: '2025-03-01T10:00:00.000Z',
  });
}
