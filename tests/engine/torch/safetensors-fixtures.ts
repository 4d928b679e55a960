/** Safetensors files written here (the format train.py writes), whole or broken on purpose. */
export interface FixtureTensor {
  dtype?: string;
  shape: number[];
  values: Float32Array;
}

export function safetensorsBytes(
  tensors: Record<string, FixtureTensor>,
  metadata: Record<string, string> = {},
): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const blobs: Buffer[] = [];
  let at = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const data = Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength);
    header[name] = {
      dtype: t.dtype ?? 'F32',
      shape: t.shape,
      data_offsets: [at, at + data.length],
    };
    blobs.push(data);
    at += data.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...blobs]);
}
