/**
 * Pre-training checkpoints: one file holding a JSON header (step, config, RNG state, layout,
 * optimiser step counts) and the flat Float32 arrays (student, teacher, Adam moments, centre).
 * Written atomically by tensor-record.ts, so a crash mid-write leaves the previous checkpoint.
 */
import { parsePretrainConfig } from './pretrain-config';
import type { PretrainConfig } from './pretrain-config';
import { parseHeaderPart, readTensorRecord, writeTensorRecord } from '../model/tensor-record';

const MAGIC = 'FSPRETRAIN1\n';

export interface CheckpointState {
  /** Optimiser steps completed; training resumes at this step. */
  step: number;
  config: PretrainConfig;
  /** RNG state: every stream is derived from (seed, step), so this is all that is needed. */
  rng: { seed: number; step: number };
  /** Parameter names in layout order, checked on load. */
  names: string[];
  adamSteps: number[];
  student: Float32Array;
  teacher: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
  center: Float32Array;
}

const ARRAYS = ['student', 'teacher', 'adamM', 'adamV', 'center'] as const;

export async function writeCheckpoint(file: string, state: CheckpointState): Promise<void> {
  const { student, teacher, adamM, adamV, center, ...header } = state;
  await writeTensorRecord(file, MAGIC, ARRAYS, {
    header,
    arrays: { student, teacher, adamM, adamV, center },
  });
}

export async function readCheckpoint(file: string): Promise<CheckpointState> {
  const { header, arrays } = await readTensorRecord(file, MAGIC, ARRAYS, 'pre-training checkpoint');
  const h = header as Omit<CheckpointState, (typeof ARRAYS)[number]>;
  return {
    step: h.step,
    // Parsed again: a checkpoint written before a key existed resumes with that key's default.
    config: parseHeaderPart(file, h.config, parsePretrainConfig),
    rng: h.rng,
    names: h.names,
    adamSteps: h.adamSteps,
    ...arrays,
  };
}
