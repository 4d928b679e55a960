/**
 * Curation benchmark: how many real faces face detection keeps (does not flag 'no-face') on
 * 300w-helen/train (870) and MTFL's training rows (10,000), each a photo of one obvious face, and
 * how many of the faces found lie where the labels put the face (the found box holds the labelled
 * points' centre). Also ms per image, and how many non-faces it takes for faces: the top corners
 * of the HELEN images (each a quarter of the side, outside the face, which fills the middle half).
 * Run: npm run bench:curation [-- --every N] [--first-pass-only] [--sets helen,mtfl,nonfaces]:
 * every Nth image of each set (default 1, all of them); the first pass alone, without the retries
 * (the detector before them); which sets (default all three).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import type { Box } from '../src-main/shared/domain';
import { FaceDetector } from '../src-main/core/library/face-detect';
import { openImage } from '../src-main/core/library/image-source';
import { readPts } from '../tests/support/read-pts';

const DATA = join(import.meta.dirname, '../../shared/data');
const { values } = parseArgs({
  options: {
    every: { type: 'string', default: '1' },
    'first-pass-only': { type: 'boolean', default: false },
    sets: { type: 'string', default: 'helen,mtfl,nonfaces' },
  },
});
const every = Math.max(1, Number(values.every));
const sets = new Set(values.sets.split(','));

interface Sample {
  file: string;
  /** The labelled points' centre, image px. */
  centre: { x: number; y: number };
}

function centreOf(points: readonly { x: number; y: number }[]): { x: number; y: number } {
  const n = points.length;
  return {
    x: points.reduce((s, p) => s + p.x, 0) / n,
    y: points.reduce((s, p) => s + p.y, 0) / n,
  };
}

async function helenTrain(): Promise<Sample[]> {
  const dir = join(DATA, '300w-helen', 'train');
  const names = (await readdir(dir)).filter((n) => n.endsWith('.jpg')).sort();
  return Promise.all(
    names.map(async (name) => ({
      file: join(dir, name),
      centre: centreOf(readPts(await readFile(join(dir, name.replace(/\.jpg$/, '.pts')), 'utf8'))),
    })),
  );
}

async function mtflTrain(): Promise<Sample[]> {
  const dir = join(DATA, 'mtfl');
  const rows = (await readFile(join(dir, 'training.txt'), 'utf8')).split('\n').filter(Boolean);
  return rows.map((row) => {
    const [path = '', ...numbers] = row.trim().split(/\s+/);
    const v = numbers.map(Number);
    const points = [0, 1, 2, 3, 4].map((i) => ({ x: v[i] ?? NaN, y: v[i + 5] ?? NaN }));
    return { file: join(dir, path), centre: centreOf(points) };
  });
}

function holds(box: Box, p: { x: number; y: number }): boolean {
  return p.x >= box.x && p.x <= box.x + box.width && p.y >= box.y && p.y <= box.y + box.height;
}

const detector = await FaceDetector.load(values['first-pass-only'] ? { retries: [] } : {});
for (const [set, name, load] of [
  ['helen', '300w-helen/train', helenTrain],
  ['mtfl', 'mtfl/training.txt', mtflTrain],
] as const) {
  if (!sets.has(set)) continue;
  const samples = (await load()).filter((_, i) => i % every === 0);
  let kept = 0;
  let placed = 0;
  const lost: string[] = [];
  const started = performance.now();
  for (const sample of samples) {
    const finding = await detector.detect(await openImage(sample.file));
    if (finding.face && !finding.flags.includes('no-face')) {
      kept++;
      if (holds(finding.face.box, sample.centre)) placed++;
    } else lost.push(sample.file.slice(DATA.length + 1));
  }
  const ms = (performance.now() - started) / samples.length;
  const pct = (n: number): string => `${((100 * n) / samples.length).toFixed(2)}%`;
  console.log(
    `${name}: kept ${kept}/${samples.length} (${pct(kept)}), on the labelled face ` +
      `${placed}/${samples.length} (${pct(placed)}), ${ms.toFixed(1)} ms/image`,
  );
  for (const file of lost.slice(0, 10)) console.log(`  flagged no-face: ${file}`);
  if (lost.length > 10) console.log(`  … and ${lost.length - 10} more`);
}

if (sets.has('nonfaces')) {
  const samples = (await helenTrain()).filter((_, i) => i % every === 0);
  let tiles = 0;
  let taken = 0;
  for (const sample of samples) {
    const image = sharp(sample.file);
    const { width = 0, height = 0 } = await image.metadata();
    const side = Math.floor(Math.min(width, height) / 4) - 2;
    if (side < 32) continue;
    for (const left of [0, width - side]) {
      const { data, info } = await sharp(sample.file)
        .extract({ left, top: 0, width: side, height: side })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const finding = await detector.detectInPixels({
        data,
        width: info.width,
        height: info.height,
      });
      tiles++;
      if (finding.face) taken++;
    }
  }
  console.log(`non-faces (HELEN top corners): ${taken}/${tiles} taken for faces`);
}
