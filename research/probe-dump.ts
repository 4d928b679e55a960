/**
 * `npx tsx research/probe-dump.ts [--size 32] [--out .tmp/probe-faces] [--pool faces|faces-all]`:
 * writes the probe bench's faces — the pre-training pool (`FacePool`, as research:probe's
 * `--pool`), the probe's 2,000 training and 1,000 test faces — as the same crops `research:probe`
 * decodes, for research/probe_torch.py, the PyTorch cross-check of the pre-training recipe. Per
 * set:
 * `<set><size>.u8` (n·size·size·3 RGB bytes, row by row) and `<set>.labels` (n·4 bytes, 1/0 for
 * each of ATTRIBUTES in order).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ProjectFacesData } from '../src-main/engine/data/project-faces';
import { ATTRIBUTES, PROBE_SETS, isFacePool } from './probe-faces';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '32' },
    out: { type: 'string', default: '.tmp/probe-faces' },
    pool: { type: 'string', default: 'faces' },
  },
});
const size = Number(args.size);
if (!Number.isInteger(size) || size < 8)
  throw new Error(`--size must be a whole number ≥ 8, not ${args.size}`);
const pool = args.pool;
if (!isFacePool(pool)) throw new Error(`--pool must be faces or faces-all, not ${pool}`);
await mkdir(args.out, { recursive: true });
// Every pool face; the probe's default 2,000 training and 1,000 test faces.
const counts = { pool: 100_000, train: 2000, test: 1000 };
for (const [name, count] of Object.entries(counts) as [keyof typeof counts, number][]) {
  const faces = await (name === 'pool' ? PROBE_SETS.pool(count, pool) : PROBE_SETS[name](count));
  const data = new ProjectFacesData(
    faces.map((f) => f.source),
    size,
  );
  const pixels = await Promise.all(faces.map((f) => data.decode(f.source)));
  await writeFile(path.join(args.out, `${name}${size}.u8`), Buffer.concat(pixels));
  const labels = faces.flatMap((f) => ATTRIBUTES.map((a) => f.labels[a]));
  await writeFile(path.join(args.out, `${name}.labels`), Buffer.from(labels));
  console.log(JSON.stringify({ set: name, faces: faces.length, size, out: args.out }));
}
