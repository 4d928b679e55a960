/**
 * Pre-training checkpoints: one file holding a JSON header (step, config, RNG state, layout,
 * optimiser step counts) and the flat Float32 arrays (student, teacher, Adam moments, centre).
 * Written atomically (temp file, fsync, rename, fsync of the folder), so a crash mid-write leaves
 * the previous checkpoint intact.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StudioError } from '../shared/errors';
import type { PretrainConfig } from './pretrain-config';

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
  await fs.mkdir(path.dirname(file), { recursive: true });
  const header = {
    step: state.step,
    config: state.config,
    rng: state.rng,
    names: state.names,
    adamSteps: state.adamSteps,
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

export async function readCheckpoint(file: string): Promise<CheckpointState> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (error) {
    throw new StudioError(
      'not-found',
      `Checkpoint ${file} cannot be read: ${(error as Error).message}`,
    );
  }
  if (buf.subarray(0, MAGIC.length).toString() !== MAGIC) {
    throw new StudioError(
      'invalid-payload',
      `${file} is not a Face Studio pre-training checkpoint`,
    );
  }
  const jsonLen = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  const header = JSON.parse(buf.subarray(start, start + jsonLen).toString()) as Omit<
    CheckpointState,
    (typeof ARRAYS)[number]
  > & {
    lengths: number[];
  };
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
  return {
    step: header.step,
    config: header.config,
    rng: header.rng,
    names: header.names,
    adamSteps: header.adamSteps,
    ...arrays,
  };
}
