/**
 * Fits DETECTOR_TO_LANDMARKS (src-main/core/library/face-detect.ts): runs the tiny face detector
 * with no box transform on 300w-helen/train, fits the transform from each detector box to the box
 * of the image's 68 landmarks, and prints the medians and the mean IoU before and after. Uses the
 * train images only, so the test's score on 300w-helen/test stays honest.
 * Run: npx tsx scripts/face-box-calibration.ts
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  boxOfPoints,
  iou,
  transformBetween,
  transformBox,
  IDENTITY_TRANSFORM,
  type BoxTransform,
} from '../src-main/core/library/face-boxes';
import { FaceDetector } from '../src-main/core/library/face-detect';
import { openImage } from '../src-main/core/library/image-source';
import { readPts } from '../tests/support/read-pts';

const dir = join(import.meta.dirname, '../../shared/data/300w-helen/train');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const detector = await FaceDetector.load({ boxTransform: IDENTITY_TRANSFORM });
const images = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
const pairs: { detector: ReturnType<typeof boxOfPoints>; truth: ReturnType<typeof boxOfPoints> }[] =
  [];
const started = performance.now();
for (const name of images) {
  const truth = boxOfPoints(
    readPts(await readFile(join(dir, name.replace(/\.jpg$/, '.pts')), 'utf8')),
  );
  const finding = await detector.detect(await openImage(join(dir, name)));
  if (finding.detectorBox) pairs.push({ detector: finding.detectorBox, truth });
}
const ms = (performance.now() - started) / images.length;
const fits = pairs.map((p) => transformBetween(p.detector, p.truth));
const fitted: BoxTransform = {
  dx: median(fits.map((f) => f.dx)),
  dy: median(fits.map((f) => f.dy)),
  sx: median(fits.map((f) => f.sx)),
  sy: median(fits.map((f) => f.sy)),
};
const meanIou = (t: BoxTransform): number =>
  pairs.reduce((s, p) => s + iou(transformBox(p.detector, t), p.truth), 0) / pairs.length;
const round = (v: number): number => Math.round(v * 1000) / 1000;
console.log(`300w-helen/train: ${pairs.length}/${images.length} found, ${ms.toFixed(1)} ms/image`);
console.log(
  `mean IoU raw ${meanIou(IDENTITY_TRANSFORM).toFixed(3)}, calibrated ${meanIou(fitted).toFixed(3)}`,
);
console.log('DETECTOR_TO_LANDMARKS =', {
  dx: round(fitted.dx),
  dy: round(fitted.dy),
  sx: round(fitted.sx),
  sy: round(fitted.sy),
});
