/**
 * `npx tsx bench/probe-dump.ts [--size 32] [--out .tmp/probe-faces]`: writes the probe bench's
 * faces — the pre-training pool (net_7876 rows of training.txt), the probe's 2,000 training and
 * 1,000 test faces — as the same crops `bench:probe` decodes, for bench/probe_torch.py, the
 * PyTorch cross-check of the pre-training recipe. Per set: `<set><size>.u8` (n·size·size·3 RGB
 * bytes, row by row) and `<set>.labels` (n·4 bytes, 1/0 for each of ATTRIBUTES in order).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ProjectFacesData } from '../src-main/engine/data/project-faces';
import { ATTRIBUTES, readFaces } from './probe-faces';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '32' },
    out: { type: 'string', default: '.tmp/probe-faces' },
  },
});
const size = Number(args.size);
if (!Number.isInteger(size) || size < 8)
  throw new Error(`--size must be a whole number ≥ 8, not ${args.size}`);
await mkdir(args.out, { recursive: true });
// The seeds and counts of probe.bench.ts: pool (seed 3, every net_7876 row), train (1), test (2).
const sets = [
  { name: 'pool', list: 'training.txt', count: 100_000, seed: 3, folder: 'net_7876' },
  { name: 'train', list: 'training.txt', count: 2000, seed: 1, folder: undefined },
  { name: 'test', list: 'testing.txt', count: 1000, seed: 2, folder: undefined },
] as const;
for (const set of sets) {
  const faces = await readFaces(set.list, set.count, set.seed, set.folder);
  const data = new ProjectFacesData(
    faces.map((f) => f.source),
    size,
  );
  const pixels = await Promise.all(faces.map((f) => data.decode(f.source)));
  await writeFile(path.join(args.out, `${set.name}${size}.u8`), Buffer.concat(pixels));
  const labels = faces.flatMap((f) => ATTRIBUTES.map((a) => f.labels[a]));
  await writeFile(path.join(args.out, `${set.name}.labels`), Buffer.from(labels));
  console.log(JSON.stringify({ set: set.name, faces: faces.length, size, out: args.out }));
}
