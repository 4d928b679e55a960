/**
 * The checkpoint file layout (src-main/engine/model/tensor-record.ts): header and arrays come back
 * as written, the floats start 4-byte aligned whatever the header's length, the write leaves no
 * temp file, and each kind of bad file is refused with the file named.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promises as fsPromises } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  latestCheckpointFile,
  parseHeaderPart,
  readTensorRecord,
  writeTensorRecord,
} from '../../../src-main/engine/model/tensor-record';
import { StudioError } from '../../../src-main/shared/errors';

const MAGIC = 'FSTEST1\n';
const ORDER = ['a', 'b', 'c'] as const;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tensor-record-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function arrays(): Record<(typeof ORDER)[number], Float32Array> {
  // A view into a larger buffer (non-zero byteOffset), an empty array, and one with odd values.
  const backing = new Float32Array([9, 9, 1.5, -2.25, 3, 9]);
  return {
    a: backing.subarray(2, 5),
    b: new Float32Array(0),
    c: new Float32Array([Math.PI, -0, 1e-30, 3.4e38]),
  };
}

describe('writeTensorRecord / readTensorRecord', () => {
  it('reads back the header and every array, in a folder it creates', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'x.ckpt');
    const header = { step: 7, names: ['w', 'b'], nested: { seed: 3 } };
    await writeTensorRecord(file, MAGIC, ORDER, { header, arrays: arrays() });
    const read = await readTensorRecord(file, MAGIC, ORDER, 'test record');
    expect(read.header).toEqual(header);
    expect(Array.from(read.arrays.a)).toEqual([1.5, -2.25, 3]);
    expect(read.arrays.b).toHaveLength(0);
    expect(Array.from(read.arrays.c)).toEqual(Array.from(arrays().c));
    expect(Object.is(read.arrays.c[1], -0)).toBe(true);
    expect(await readdir(path.dirname(file))).toEqual(['x.ckpt']);
  });

  it('pads the header with spaces so the floats start 4-byte aligned, for any header length', async () => {
    for (let extra = 0; extra < 4; extra++) {
      const file = path.join(dir, `pad-${extra}.ckpt`);
      const header = { s: 'x'.repeat(extra) };
      await writeTensorRecord(file, MAGIC, ORDER, { header, arrays: arrays() });
      const bytes = await readFile(file);
      expect(bytes.subarray(0, MAGIC.length).toString()).toBe(MAGIC);
      const jsonLength = bytes.readUInt32LE(MAGIC.length);
      const floatsAt = MAGIC.length + 4 + jsonLength;
      expect(floatsAt % 4, `extra ${extra}`).toBe(0);
      const json = bytes.subarray(MAGIC.length + 4, floatsAt).toString();
      const unpadded = JSON.stringify({ ...header, lengths: [3, 0, 4] });
      expect(json.trimEnd()).toBe(unpadded);
      expect(json.length - unpadded.length).toBeLessThan(4);
      expect(json.slice(unpadded.length)).toMatch(/^ *$/);
      // Floats follow the header, in order, and nothing else.
      expect(bytes.length).toBe(floatsAt + 7 * 4);
      expect(bytes.readFloatLE(floatsAt)).toBe(1.5);
      expect(bytes.readFloatLE(floatsAt + 3 * 4)).toBeCloseTo(Math.PI, 6);
    }
  });

  it('replaces an earlier record at the same path whole', async () => {
    const file = path.join(dir, 'x.ckpt');
    await writeTensorRecord(file, MAGIC, ORDER, { header: { step: 1 }, arrays: arrays() });
    const next = { a: new Float32Array([4]), b: new Float32Array([5, 6]), c: new Float32Array(0) };
    await writeTensorRecord(file, MAGIC, ORDER, { header: { step: 2 }, arrays: next });
    const read = await readTensorRecord(file, MAGIC, ORDER, 'test record');
    expect(read.header).toEqual({ step: 2 });
    expect(Array.from(read.arrays.b)).toEqual([5, 6]);
    expect(read.arrays.c).toHaveLength(0);
  });
});

describe('writeTensorRecord is crash-safe', () => {
  it('syncs the temp file, then the folder after the rename, and closes both', async () => {
    // Every file it opens, with what was done to it, in order.
    const opened: { file: string; flags: string; events: string[] }[] = [];
    const open = fsPromises.open.bind(fsPromises);
    const spy = vi.spyOn(fsPromises, 'open').mockImplementation(async (file, flags) => {
      const handle: FileHandle = await open(file, flags);
      const entry = { file: String(file), flags: String(flags), events: [] as string[] };
      opened.push(entry);
      const sync = handle.sync.bind(handle);
      const close = handle.close.bind(handle);
      handle.sync = async () => {
        entry.events.push('sync');
        await sync();
      };
      handle.close = async () => {
        entry.events.push('close');
        await close();
      };
      return handle;
    });
    try {
      const file = path.join(dir, 'x.ckpt');
      await writeTensorRecord(file, MAGIC, ORDER, { header: {}, arrays: arrays() });
      expect(opened).toEqual([
        { file: `${file}.tmp-${process.pid}`, flags: 'w', events: ['sync', 'close'] },
        { file: dir, flags: 'r', events: ['sync', 'close'] },
      ]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('readTensorRecord refuses bad files by name', () => {
  async function refusal(file: string): Promise<StudioError> {
    const error: unknown = await readTensorRecord(file, MAGIC, ORDER, 'test record').then(
      () => null,
      (e: unknown) => e,
    );
    if (!(error instanceof StudioError)) throw new Error(`expected a StudioError, got ${error}`);
    return error;
  }

  async function written(): Promise<{ file: string; bytes: Buffer }> {
    const file = path.join(dir, 'x.ckpt');
    await writeTensorRecord(file, MAGIC, ORDER, { header: { step: 1 }, arrays: arrays() });
    return { file, bytes: await readFile(file) };
  }

  it('a missing file', async () => {
    const file = path.join(dir, 'absent.ckpt');
    const error = await refusal(file);
    expect(error.code).toBe('not-found');
    expect(error.message).toContain(`Checkpoint ${file} cannot be read`);
  });

  it('another kind of file', async () => {
    const { file } = await written();
    const error = await readTensorRecord(file, 'FSOTHER1\n', ORDER, 'other record').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('invalid-payload');
    expect((error as StudioError).message).toBe(`${file} is not a Face Studio other record`);
  });

  it('a corrupt header', async () => {
    const { file, bytes } = await written();
    bytes.write('x', MAGIC.length + 4); // the header's opening brace
    await writeFile(file, bytes);
    const error = await refusal(file);
    expect(error.code).toBe('invalid-payload');
    expect(error.message).toBe(`${file}: the test record's header is corrupt`);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('a header without the array lengths, or with too few', async () => {
    for (const header of [{ step: 1 }, { step: 1, lengths: [3, 0] }, { lengths: 'x' }]) {
      const file = path.join(dir, 'no-lengths.ckpt');
      const json = Buffer.from(JSON.stringify(header));
      const length = Buffer.alloc(4);
      length.writeUInt32LE(json.length);
      await writeFile(file, Buffer.concat([Buffer.from(MAGIC), length, json]));
      const error = await refusal(file);
      expect(error.message, JSON.stringify(header)).toBe(
        `${file}: the test record's header lists no array lengths`,
      );
    }
  });

  it('a file cut short, by one byte or more', async () => {
    const { file, bytes } = await written();
    for (const cut of [1, 4, 12]) {
      await writeFile(file, bytes.subarray(0, bytes.length - cut));
      const error = await refusal(file);
      expect(error.code, `cut ${cut}`).toBe('invalid-payload');
      expect(error.message).toBe(`Checkpoint ${file} is truncated`);
    }
  });

  it('lengths that are not counts', async () => {
    for (const lengths of [
      [3, -1, 4],
      [3, 0.5, 4],
      [3, 'x', 4],
    ]) {
      const file = path.join(dir, 'bad-lengths.ckpt');
      const json = Buffer.from(JSON.stringify({ lengths }));
      const length = Buffer.alloc(4);
      length.writeUInt32LE(json.length);
      const floats = Buffer.alloc(7 * 4);
      await writeFile(file, Buffer.concat([Buffer.from(MAGIC), length, json, floats]));
      const error = await refusal(file);
      expect(error.message, JSON.stringify(lengths)).toBe(`Checkpoint ${file} is truncated`);
    }
  });
});

describe('parseHeaderPart', () => {
  it('returns what the parser returns', () => {
    expect(parseHeaderPart('f.ckpt', '4', (v) => Number(v) * 2)).toBe(8);
  });

  it("names the file in the parser's error and keeps the cause", () => {
    const cause = new Error('lr: must be positive');
    let caught: unknown;
    try {
      parseHeaderPart('/runs/a/latest.ckpt', {}, () => {
        throw cause;
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StudioError);
    expect((caught as StudioError).code).toBe('invalid-payload');
    expect((caught as StudioError).message).toBe('/runs/a/latest.ckpt: lr: must be positive');
    expect((caught as StudioError).cause).toBe(cause);
  });
});

describe('latestCheckpointFile', () => {
  it('is latest.ckpt in the checkpoint folder', () => {
    expect(latestCheckpointFile(path.join('runs', 'r1', 'checkpoints'))).toBe(
      path.join('runs', 'r1', 'checkpoints', 'latest.ckpt'),
    );
  });
});
