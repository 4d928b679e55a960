/**
 * Fine-tuning checkpoints, in the same shape as pre-training's (checkpoint.ts): a magic line, a
 * JSON header (step, config, layout names, optimiser step counts, early-stopping state, history),
 * then flat Float32 arrays (current weights, best weights, Adam moments). Written atomically
 * (temp file, fsync, rename, fsync of the folder), so a crash mid-write keeps the previous one.
 *
 * checkpoint.ts's writer is typed for pre-training's arrays; a generic "header + named arrays"
 * writer there would let both share this code (follow-up for its owner).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
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
type Header = Omit<FinetuneCheckpoint, (typeof ARRAYS)[number]> & { lengths: number[] };

export async function writeFinetuneCheckpoint(
  file: string,
  state: FinetuneCheckpoint,
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const header: Header = {
    step: state.step,
    config: state.config,
    names: state.names,
    adamSteps: state.adamSteps,
    bestEpoch: state.bestEpoch,
    bestValue: state.bestValue, // NaN (no validation yet) becomes null in JSON
    history: state.history,
    lengths: ARRAYS.map((k) => state[k].length),
  };
  let json = Buffer.from(JSON.stringify(header));
  const pad = (4 - ((MAGIC.length + 4 + json.length) % 4)) % 4; // keep floats 4-byte aligned
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.write(Buffer.from(MAGIC));
    await handle.write(len);
    await handle.write(json);
    for (const k of ARRAYS)
      await handle.write(new Uint8Array(state[k].buffer, state[k].byteOffset, state[k].byteLength));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  const dir = await fs.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export async function readFinetuneCheckpoint(file: string): Promise<FinetuneCheckpoint> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (error) {
    throw new StudioError(
      'not-found',
      `Checkpoint ${file} cannot be read: ${(error as Error).message}`,
    );
  }
  if (buf.subarray(0, MAGIC.length).toString() !== MAGIC)
    throw new StudioError('invalid-payload', `${file} is not a Face Studio fine-tuning checkpoint`);
  const jsonLen = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  const header = JSON.parse(buf.subarray(start, start + jsonLen).toString()) as Header;
  let offset = start + jsonLen;
  const arrays = {} as Record<(typeof ARRAYS)[number], Float32Array>;
  ARRAYS.forEach((k, i) => {
    const n = header.lengths[i]!;
    if (offset + n * 4 > buf.length)
      throw new StudioError('invalid-payload', `Checkpoint ${file} is truncated`);
    arrays[k] = new Float32Array(
      buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + n * 4),
    );
    offset += n * 4;
  });
  const { lengths: _lengths, ...rest } = header;
  return { ...rest, bestValue: rest.bestValue ?? NaN, ...arrays };
}
