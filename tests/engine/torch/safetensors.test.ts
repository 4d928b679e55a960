/** The safetensors reader: values back as written, and each broken file refused by name. */
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '../../../src-main/engine/torch/safetensors';
import { safetensorsBytes } from './safetensors-fixtures';

const A = { shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6]) };
const B = { shape: [2], values: Float32Array.from([-0.5, 7.25]) };

describe('parseSafetensors', () => {
  it('reads every tensor and the metadata back', () => {
    const file = parseSafetensors(safetensorsBytes({ a: A, b: B }, { step: '5' }), 'x.safetensors');
    expect(file.metadata).toEqual({ step: '5' });
    expect(file.tensors.get('a')).toEqual({ shape: [2, 3], values: A.values });
    expect([...file.tensors.get('b')!.values]).toEqual([-0.5, 7.25]);
  });

  it('reads tensors at unaligned offsets (a header whose length is not a multiple of 4)', () => {
    const starts = new Set<number>();
    for (const pad of ['', 'y', 'yy', 'yyy']) {
      const b = safetensorsBytes({ a: A }, { pad });
      starts.add((b.length - A.values.byteLength) % 4);
      expect(parseSafetensors(b, 'x').tensors.get('a')!.values).toEqual(A.values);
    }
    expect(starts.size).toBe(4);
  });

  it('refuses a truncated file, naming it and the tensor cut short', () => {
    const whole = safetensorsBytes({ a: A, b: B });
    expect(() => parseSafetensors(whole.subarray(0, whole.length - 4), 'cut.safetensors')).toThrow(
      /cut\.safetensors .*tensor b ends at byte 32 of the data, which holds 28 \(truncated\?\)/,
    );
    expect(() => parseSafetensors(whole.subarray(0, 20), 'cut.safetensors')).toThrow(
      /cut\.safetensors .*the header claims \d+ bytes but the file has 12/,
    );
    expect(() => parseSafetensors(whole.subarray(0, 5), 'cut.safetensors')).toThrow(
      /5 bytes, fewer than the 8/,
    );
  });

  it('refuses tensors of another dtype, and sizes that do not fit the shape', () => {
    expect(() =>
      parseSafetensors(safetensorsBytes({ a: { ...A, dtype: 'F16' } }), 'half.safetensors'),
    ).toThrow(/half\.safetensors .*tensor a is F16; only F32 tensors are read/);
    expect(() =>
      parseSafetensors(safetensorsBytes({ a: { ...A, shape: [4, 3] } }), 'shape.safetensors'),
    ).toThrow(/tensor a has 24 bytes for shape \[4, 3\] \(48 expected\)/);
  });

  it('refuses a header that is not JSON or not the format', () => {
    const good = safetensorsBytes({ a: A });
    const broken = Buffer.from(good);
    broken[8] = 0x7b + 1; // '|' instead of '{'
    expect(() => parseSafetensors(broken, 'bad.safetensors')).toThrow(
      /bad\.safetensors .*the header is not JSON/,
    );
    const json = Buffer.from(JSON.stringify({ a: { dtype: 'F32', shape: [1] } }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    expect(() => parseSafetensors(Buffer.concat([length, json]), 'odd.safetensors')).toThrow(
      /odd\.safetensors .*tensor a is not \{dtype, shape, data_offsets\}/,
    );
  });
});
