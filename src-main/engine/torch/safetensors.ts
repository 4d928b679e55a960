/**
 * A reader of the safetensors format (what the cluster recipe's train.py writes its teacher in;
 * docs/ARCHITECTURE.md, "Training recipe"): an 8-byte little-endian header length N, N bytes of
 * JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`, then the
 * tensors' raw little-endian bytes, offsets counted from the end of the header. Only F32
 * tensors are read (all the recipe writes). Every problem is a StudioError naming the file and
 * what is wrong: too short, a header that is not JSON or not this shape, a tensor of another
 * dtype, or data running past the end (a truncated copy).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { StudioError } from '../../shared/errors';

const TensorEntry = z
  .object({
    dtype: z.string(),
    shape: z.array(z.number().int().nonnegative()),
    data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  })
  .strict();

const Metadata = z.record(z.string(), z.string());

/** The longest header read (the format's own reader refuses above 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafeTensor {
  shape: number[];
  values: Float32Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, SafeTensor>;
}

export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  const bad = (problem: string): StudioError =>
    new StudioError('invalid-payload', `${file} is not a readable safetensors file: ${problem}`);
  if (bytes.length < 8) throw bad(`${bytes.length} bytes, fewer than the 8 of the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = Number(view.getBigUint64(0, true));
  if (headerBytes > MAX_HEADER_BYTES || 8 + headerBytes > bytes.length)
    throw bad(
      `the header claims ${headerBytes} bytes but the file has ${bytes.length - 8} after its length (truncated?)`,
    );
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerBytes)));
  } catch (error) {
    throw bad(`the header is not JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw bad('the header is not a JSON object');
  const { __metadata__: rawMetadata, ...entries } = header as Record<string, unknown>;
  const metadata = Metadata.safeParse(rawMetadata ?? {});
  if (!metadata.success) throw bad('__metadata__ must map names to strings');

  const dataStart = 8 + headerBytes;
  const dataBytes = bytes.length - dataStart;
  const tensors = new Map<string, SafeTensor>();
  for (const [name, raw] of Object.entries(entries)) {
    const entry = TensorEntry.safeParse(raw);
    if (!entry.success)
      throw bad(
        `tensor ${name} is not {dtype, shape, data_offsets} (${entry.error.issues[0]?.message})`,
      );
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = entry.data;
    if (dtype !== 'F32')
      throw bad(
        `tensor ${name} is ${dtype}; only F32 tensors are read (save the teacher as float32)`,
      );
    const count = shape.reduce((a, b) => a * b, 1);
    if (end < begin || end - begin !== count * 4)
      throw bad(
        `tensor ${name} has ${end - begin} bytes for shape [${shape.join(', ')}] (${count * 4} expected)`,
      );
    if (end > dataBytes)
      throw bad(
        `tensor ${name} ends at byte ${end} of the data, which holds ${dataBytes} (truncated?)`,
      );
    // A copy: the data need not be 4-byte aligned in the file (bytes are little-endian, as the host).
    const values = new Float32Array(count);
    new Uint8Array(values.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { shape, values });
  }
  return { metadata: metadata.data, tensors };
}

export async function readSafetensors(file: string): Promise<SafetensorsFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new StudioError('not-found', `${file} cannot be read: ${(error as Error).message}`);
  }
  return parseSafetensors(bytes, file);
}
