/**
 * Attributes on real faces (issue 19, issue 22): MTFL, a seeded 300 rows of training.txt to fit
 * and 150 of testing.txt to score (a subset, to stay well under 90 s on a busy 2-core machine),
 * mini-Xception `pooled` features, a ridge head with λ chosen by 5-fold cross-validation on the
 * training rows. Smiling must beat the majority class by 12 points (it scores ~80%, the majority
 * ~57%); the same pipeline with shuffled training labels — a broken head — must not.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../src-main/engine/backend';
import { loadMiniXceptionBackbone } from '../../../src-main/engine/backbones/mini-xception-backbone';
import { embedFaces, predictFaces } from '../../../src-main/engine/attributes/appearance-features';
import type { EmbeddedFaces } from '../../../src-main/engine/attributes/appearance-features';
import { fitRidgeClassifier } from '../../../src-main/engine/attributes/ridge-classifier';
import { Rng } from '../../../src-main/engine/model/rng';
import { accuracy, majorityRate, readMtflFaces, type MtflFace } from './appearance-data';

const MARGIN = 0.12;

describe('MTFL smiling (mini-Xception + ridge)', async () => {
  let train: { faces: MtflFace[]; embedded: EmbeddedFaces };
  let test: { faces: MtflFace[]; embedded: EmbeddedFaces };

  beforeAll(async () => {
    await chooseBackend({ force: 'wasm' });
    const backbone = await loadMiniXceptionBackbone();
    const trainFaces = await readMtflFaces('training.txt', 300, 1);
    const testFaces = await readMtflFaces('testing.txt', 150, 1);
    train = { faces: trainFaces, embedded: await embedFaces(backbone, trainFaces, ['pooled']) };
    test = { faces: testFaces, embedded: await embedFaces(backbone, testFaces, ['pooled']) };
    backbone.dispose();
  }, 240_000);

  async function score(labels: Int32Array): Promise<{ accuracy: number; majority: number }> {
    const head = await fitRidgeClassifier(train.embedded.features, labels, 2);
    const predicted = predictFaces(head, test.embedded).map((p) => (p.ok ? p.label : -1));
    const truth = test.faces.map((f) => f.labels.smiling);
    // The test faces' majority rate: the best any constant answer scores.
    return { accuracy: accuracy(predicted, truth), majority: majorityRate(truth) };
  }

  it('beats the majority class by 12 points; a head fitted on shuffled labels does not', async () => {
    const labels = Int32Array.from(train.faces, (f) => f.labels.smiling);
    const real = await score(labels);
    expect(real.accuracy).toBeGreaterThanOrEqual(real.majority + MARGIN);

    const shuffled = Int32Array.from(new Rng(7).permutation(labels.length), (j) => labels[j]!);
    const broken = await score(shuffled);
    expect(broken.accuracy).toBeLessThan(broken.majority + MARGIN);
  });
});
