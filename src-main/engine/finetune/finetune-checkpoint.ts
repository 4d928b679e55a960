/**
 * Fine-tuning checkpoints, in the same shape as pre-training's (pretrain/pretrain-checkpoint.ts): a magic line, a
 * JSON header (step, config, layout names, optimiser step counts, early-stopping state, history),
 * then flat Float32 arrays (current weights, best weights, Adam moments). The layout and the
 * atomic write are tensor-record.ts's, shared with pre-training.
 */
import { parseHeaderPart, readTensorRecord, writeTensorRecord } from '../model/tensor-record';
import { parseFinetuneConfig } from './finetune-config';
import type { FinetuneConfig } from './finetune-config';
import type { TaskMetrics } from './finetune-evaluate';

const MAGIC = 'FSFINETUNE1\n';

export interface ValidationRecord {
  epoch: number;
  step: number;
  metrics: TaskMetrics;
}

export interface FinetuneCheckpoint {
  /** Optimiser steps completed; training resumes here (at an epoch boundary). */
  step: number;
  config: FinetuneConfig;
  names: string[];
  adamSteps: number[];
  /** Epoch of the best validation metric so far (-1 = none yet). */
  bestEpoch: number;
  /** The best validation metric so far (NaN = none yet). */
  bestValue: number;
  history: ValidationRecord[];
  params: Float32Array;
  best: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
}

const ARRAYS = ['params', 'best', 'adamM', 'adamV'] as const;
export async function writeFinetuneCheckpoint(
  file: string,
  state: FinetuneCheckpoint,
): Promise<void> {
  const { params, best, adamM, adamV, ...header } = state;
  // NaN (no validation yet) becomes null in JSON; readFinetuneCheckpoint turns it back.
  await writeTensorRecord(file, MAGIC, ARRAYS, { header, arrays: { params, best, adamM, adamV } });
}

export async function readFinetuneCheckpoint(file: string): Promise<FinetuneCheckpoint> {
  const { header, arrays } = await readTensorRecord(file, MAGIC, ARRAYS, 'fine-tuning checkpoint');
  const h = header as Omit<FinetuneCheckpoint, (typeof ARRAYS)[number]>;
  return {
    ...h,
    // Parsed again: a checkpoint written before a key existed resumes with that key's default.
    config: parseHeaderPart(file, h.config, parseFinetuneConfig),
    bestValue: h.bestValue ?? NaN,
    ...arrays,
  };
}
