/**
 * onnx-cache: the ONNX runner's conversion is written beside the model as model.onnx and read back
 * on the next load with no conversion; changed weights, a torn file or a folder that cannot take
 * the file convert anew.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportFinetunedModel } from '../../../../src-main/engine/export/export-model';
import { convertGraphFolder } from '../../../../src-main/engine/export/onnx/convert-graph';
import {
  CACHED_ONNX,
  onnxModelOf,
  SOURCE_KEY,
  sourceHash,
} from '../../../../src-main/engine/export/onnx/onnx-cache';
import { useWasm } from '../../../support/engine-helpers';
import { cardFieldsFor, randomResult } from '../export-fixtures';

let tmp: string;
let original: string;

beforeAll(async () => {
  await useWasm();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'onnx-cache-'));
  original = path.join(tmp, 'original');
  await exportFinetunedModel(
    original,
    randomResult('landmarks', 5),
    cardFieldsFor('landmarks', 'cache'),
  );
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A copy of the exported model folder to change. */
async function copyOf(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir);
  for (const f of await readdir(original))
    await writeFile(path.join(dir, f), await readFile(path.join(original, f)));
  return dir;
}

/** convertGraphFolder, counted. */
function countingConverter(): { convert: typeof convertGraphFolder; count: () => number } {
  let count = 0;
  return {
    convert: (dir, metadata) => {
      count++;
      return convertGraphFolder(dir, metadata);
    },
    count: () => count,
  };
}

function recordedSource(bytes: Uint8Array): string | null | undefined {
  return onnxProto.onnx.ModelProto.decode(bytes).metadataProps.find((p) => p.key === SOURCE_KEY)
    ?.value;
}

describe('onnxModelOf', () => {
  it('converts once, reads model.onnx after, and converts anew when the weights change', async () => {
    const dir = await copyOf('weights');
    const { convert, count } = countingConverter();

    const first = await onnxModelOf(dir, convert);
    expect(first.converted).toBe(true);
    expect(count()).toBe(1);
    const written = await readFile(path.join(dir, CACHED_ONNX));
    expect(Buffer.compare(written, Buffer.from(first.bytes))).toBe(0);
    expect(recordedSource(written)).toBe(await sourceHash(dir));

    const second = await onnxModelOf(dir, convert);
    expect(second.converted).toBe(false);
    expect(count()).toBe(1);
    expect(Buffer.compare(Buffer.from(second.bytes), written)).toBe(0);
    expect([second.input, second.output]).toEqual([first.input, first.output]);

    // One weight changed: the kept file no longer matches its source.
    const shard = (await readdir(dir)).find((f) => f.endsWith('.bin'))!;
    const bytes = await readFile(path.join(dir, shard));
    bytes.writeFloatLE(bytes.readFloatLE(0) + 1, 0);
    await writeFile(path.join(dir, shard), bytes);
    const third = await onnxModelOf(dir, convert);
    expect(third.converted).toBe(true);
    expect(count()).toBe(2);
    const rewritten = await readFile(path.join(dir, CACHED_ONNX));
    expect(recordedSource(rewritten)).toBe(await sourceHash(dir));
    expect(recordedSource(rewritten)).not.toBe(recordedSource(written));
    expect(Buffer.compare(rewritten, written)).not.toBe(0);
  }, 120_000);

  it('converts anew over a torn model.onnx, and converts each load where it cannot be written', async () => {
    const torn = await copyOf('torn');
    await writeFile(path.join(torn, CACHED_ONNX), Buffer.from('not a model'));
    const { convert, count } = countingConverter();
    expect((await onnxModelOf(torn, convert)).converted).toBe(true);
    expect(recordedSource(await readFile(path.join(torn, CACHED_ONNX)))).toBe(
      await sourceHash(torn),
    );
    expect((await onnxModelOf(torn, convert)).converted).toBe(false);

    // A folder in the file's place: nothing can be kept, and every load still gets its model.
    const blocked = await copyOf('blocked');
    await mkdir(path.join(blocked, CACHED_ONNX, 'inside'), { recursive: true });
    const a = await onnxModelOf(blocked, convert);
    const b = await onnxModelOf(blocked, convert);
    expect([a.converted, b.converted]).toEqual([true, true]);
    expect(count()).toBe(3);
    expect(Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes))).toBe(0);
  }, 120_000);
});
