/**
 * One-of-N attributes on real faces (issue 22): MTFL head pose (five classes, left profile →
 * right profile), a seeded 300 rows of training.txt to fit and 250 of testing.txt to score,
 * FaceMesh `mesh` beside mini-Xception `pooled` as the attribute head reads them, the group head
 * of class-groups.ts choosing its features by cross-validation on the training rows. Pose must
 * beat the test rows' majority class by 5 points (it scores ~73%, the majority ~61%); the same
 * fit on shuffled training labels — a broken head — must not.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  embedHeadFaces,
  type HeadFeatures,
  type HeadTap,
} from '../../../src-main/engine/attributes/classifier-head';
import {
  classGroupAnswers,
  classGroupProbabilities,
  fitClassGroups,
  pointColumns,
  type ClassGroupHead,
} from '../../../src-main/engine/attributes/class-groups';
import { loadFaceMesh } from '../../../src-main/engine/backbones/facemesh';
import { loadMiniXceptionBackbone } from '../../../src-main/engine/backbones/mini-xception-backbone';
import { MTFL_POSES } from '../../../src-main/core/formats/mtfl';
import { Rng } from '../../../src-main/engine/model/rng';
import { useWasm } from '../../support/engine-helpers';
import { accuracy, majorityRate, readMtflFaces, type MtflFace } from './appearance-data';

const MARGIN = 0.05;
const POSE = [{ name: 'pose', classes: [...MTFL_POSES] }];
const TAPS: HeadTap[] = [
  { backbone: 'mini-xception', tap: 'pooled' },
  { backbone: 'facemesh', tap: 'mesh' },
];

// Four ridge fits with cross-validation (each head tries every tap and the points alone): ~15 s
// on an idle machine, minutes under load.
describe('MTFL pose (a one-of-N group on mini-Xception + FaceMesh)', async () => {
  let train: { faces: MtflFace[]; embedded: HeadFeatures };
  let test: { faces: MtflFace[]; embedded: HeadFeatures };

  beforeAll(async () => {
    await useWasm();
    const backbones = [await loadMiniXceptionBackbone(), await loadFaceMesh()];
    const trainFaces = await readMtflFaces('training.txt', 300, 1);
    const testFaces = await readMtflFaces('testing.txt', 250, 1);
    train = { faces: trainFaces, embedded: await embedHeadFaces(backbones, TAPS, trainFaces) };
    test = { faces: testFaces, embedded: await embedHeadFaces(backbones, TAPS, testFaces) };
    for (const b of backbones) b.dispose();
  }, 240_000);

  // mini-Xception pooled: 256 values; FaceMesh mesh: 468 points × 3.
  const points = () => pointColumns([256, 468 * 3], [false, true]);

  async function score(
    labels: readonly number[],
  ): Promise<{ head: ClassGroupHead; accuracy: number }> {
    const [head] = await fitClassGroups(
      POSE,
      train.embedded.features,
      labels.map((l) => [l]),
      points(),
    );
    const p = classGroupProbabilities([head!], test.embedded.features);
    const [predicted] = classGroupAnswers([head!], p, test.faces.length);
    return {
      head: head!,
      accuracy: accuracy(
        predicted!,
        test.faces.map((f) => f.labels.pose),
      ),
    };
  }

  it('beats the majority class by 5 points; a head fitted on shuffled labels does not', async () => {
    const labels = train.faces.map((f) => f.labels.pose);
    const majority = majorityRate(test.faces.map((f) => f.labels.pose));
    const real = await score(labels);
    console.log(
      `MTFL pose, 300 → 250 rows: ${(100 * real.accuracy).toFixed(1)}% (majority ${(100 * majority).toFixed(1)}%); ` +
        `features ${real.head.features}, CV all ${real.head.cvAccuracy.all?.toFixed(3)} points ${real.head.cvAccuracy.points?.toFixed(3)}, ` +
        `temperature ${real.head.temperature.toFixed(2)}`,
    );
    expect(real.accuracy).toBeGreaterThanOrEqual(majority + MARGIN);

    const shuffled = Array.from(new Rng(7).permutation(labels.length), (j) => labels[j]!);
    const broken = await score(shuffled);
    console.log(`shuffled training labels: ${(100 * broken.accuracy).toFixed(1)}%`);
    expect(broken.accuracy).toBeLessThan(majority + MARGIN);
  }, 180_000);
});
