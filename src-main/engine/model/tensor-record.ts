/**
 * The one binary file layout engine checkpoints use: a magic line, a little-endian u32 length, a
 * JSON header padded so the floats stay 4-byte aligned, then named Float32 arrays in a fixed order
 * (their lengths are kept in the header). Written atomically — temp file, fsync, rename, fsync of
 * the folder — so a crash mid-write leaves the previous file intact.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';

export interface TensorRecord<K extends string> {
  header: Record<string, unknown>;
  arrays: Record<K, Float32Array>;
}

export async function writeTensorRecord<K extends string>(
  file: string,
  magic: string,
  order: readonly K[],
  record: TensorRecord<K>,
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const header = { ...record.header, lengths: order.map((k) => record.arrays[k].length) };
  let json = Buffer.from(JSON.stringify(header));
  const pad = (4 - ((magic.length + 4 + json.length) % 4)) % 4;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.write(Buffer.from(magic));
    await handle.write(length);
    await handle.write(json);
    for (const k of order) {
      const a = record.arrays[k];
      await handle.write(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
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

/** Reads a record; `what` names the kind of file in errors ("pre-training checkpoint"). */
export async function readTensorRecord<K extends string>(
  file: string,
  magic: string,
  order: readonly K[],
  what: string,
): Promise<TensorRecord<K>> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (error) {
    throw new StudioError(
      'not-found',
      `Checkpoint ${file} cannot be read: ${(error as Error).message}`,
    );
  }
  if (buf.subarray(0, magic.length).toString() !== magic) {
    throw new StudioError('invalid-payload', `${file} is not a Face Studio ${what}`);
  }
  const jsonLength = buf.readUInt32LE(magic.length);
  const start = magic.length + 4;
  let header: Record<string, unknown> & { lengths?: unknown };
  try {
    header = JSON.parse(buf.subarray(start, start + jsonLength).toString()) as typeof header;
  } catch (error) {
    throw new StudioError('invalid-payload', `${file}: the ${what}'s header is corrupt`, {
      cause: error,
    });
  }
  const lengths = header.lengths;
  if (!Array.isArray(lengths) || lengths.length !== order.length) {
    throw new StudioError(
      'invalid-payload',
      `${file}: the ${what}'s header lists no array lengths`,
    );
  }
  let offset = start + jsonLength;
  const arrays = {} as Record<K, Float32Array>;
  order.forEach((k, i) => {
    const n = Number(lengths[i]);
    if (!Number.isInteger(n) || n < 0 || offset + n * 4 > buf.length) {
      throw new StudioError('invalid-payload', `Checkpoint ${file} is truncated`);
    }
    arrays[k] = new Float32Array(
      buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + n * 4),
    );
    offset += n * 4;
  });
  delete header.lengths;
  return { header, arrays };
}

/**
 * A header part validated by `parse` (a zod-backed config parser), with the record's file named if
 * it fails. Parsing on read also fills keys added since the record was written with their defaults.
 */
export function parseHeaderPart<T>(file: string, value: unknown, parse: (v: unknown) => T): T {
  try {
    return parse(value);
  } catch (error) {
    throw new StudioError('invalid-payload', `${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
