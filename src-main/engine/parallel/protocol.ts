/** Messages between the pre-training loop and its data-parallel gradient workers. */
import type { AugmentConfig } from '../pretrain/augment';
import type { ModelConfig } from '../pretrain/pretrain-model';
import type { ShardResult, StepSettings } from '../pretrain/pretrain-step';

export interface InitMessage {
  type: 'init';
  model: ModelConfig;
  augment: AugmentConfig;
  /** Shared flat weights, written by the loop after each update; read by workers each step. */
  student: SharedArrayBuffer;
  teacher: SharedArrayBuffer;
  /** This worker's gradient slot. */
  grads: SharedArrayBuffer;
  backend: string;
  microBatch: number;
}

export interface StepMessage {
  type: 'step';
  images: Float32Array;
  shape: [number, number, number, number];
  augSeed: number;
  center: Float32Array;
  settings: StepSettings;
}

export type ToWorker = InitMessage | StepMessage | { type: 'close' };

export type FromWorker =
  { type: 'ready' } | { type: 'result'; result: ShardResult } | { type: 'error'; message: string };
