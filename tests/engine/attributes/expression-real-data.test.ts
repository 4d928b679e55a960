/**
 * Expression on real faces, held out by subject (issue 19, issue 22): CK+ 48-px grey faces, a
 * seeded draw of 480 of the 981 (to stay well under 90 s on a busy 2-core machine), a quarter of
 * the subjects (`S###`) held out so no person is in training and test. mini-Xception `pooled`
 * features, a ridge head with λ chosen by cross-validation grouped by subject on the training
 * faces only. The head must beat the majority class by 30 points (it scores ~85%, the majority
 * ~25%); the same pipeline with shuffled training labels — a broken head — must not.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../src-main/engine/backend';
import { loadMiniXceptionBackbone } from '../../../src-main/engine/backbones/mini-xception-backbone';
import { embedFaces, predictFaces } from '../../../src-main/engine/attributes/appearance-features';
import {
  fitRidgeClassifier,
  selectRows,
} from '../../../src-main/engine/attributes/ridge-classifier';
import { Rng, deriveSeed } from '../../../src-main/engine/model/rng';
import { accuracy, majorityRate, readCkFaces } from './appearance-data';
import type { CkFace } from './appearance-data';
import type { EmbeddedFaces } from '../../../src-main/engine/attributes/appearance-features';

const MARGIN = 0.3;

describe('CK+ expression by subject (mini-Xception + ridge)', async () => {
  let faces: CkFace[];
  let classes: string[];
  let embedded: EmbeddedFaces;
  let train: number[];
  let test: number[];

  beforeAll(async () => {
    await chooseBackend({ force: 'wasm' });
    ({ faces, classes } = await readCkFaces(300, 1));
    const backbone = await loadMiniXceptionBackbone();
    embedded = await embedFaces(backbone, faces, ['pooled']);
    backbone.dispose();
    const subjects = [...new Set(faces.map((f) => f.subject))].sort();
    const order = new Rng(deriveSeed(1, 22)).permutation(subjects.length);
    const held = new Set(order.slice(0, Math.round(subjects.length / 4)).map((i) => subjects[i]!));
    train = faces.flatMap((f, i) => (held.has(f.subject) ? [] : [i]));
    test = faces.flatMap((f, i) => (held.has(f.subject) ? [i] : []));
  }, 240_000);

  /**
   * Test accuracy of a head fitted on `labels` of the training faces, and the test faces' majority
   * rate (the best any constant answer scores).
   */
  async function score(labels: Int32Array): Promise<{ accuracy: number; majority: number }> {
    const head = await fitRidgeClassifier(
      selectRows(embedded.features, train),
      labels,
      classes.length,
      {
        groups: train.map((i) => faces[i]!.subject),
      },
    );
    const predictions = predictFaces(head, {
      features: selectRows(embedded.features, test),
      quality: test.map((i) => embedded.quality[i]!),
    });
    const predicted = predictions.map((p) => (p.ok ? p.label : -1));
    const truth = test.map((i) => faces[i]!.label);
    return { accuracy: accuracy(predicted, truth), majority: majorityRate(truth) };
  }

  it('holds out whole subjects and judges every CK+ face usable', () => {
    const trainSubjects = new Set(train.map((i) => faces[i]!.subject));
    expect(test.some((i) => trainSubjects.has(faces[i]!.subject))).toBe(false);
    expect(test.length).toBeGreaterThan(40);
    expect(embedded.quality.every((q) => q.usable)).toBe(true);
  });

  it('beats the majority class by 30 points; a head fitted on shuffled labels does not', async () => {
    const labels = Int32Array.from(train, (i) => faces[i]!.label);
    const real = await score(labels);
    expect(real.accuracy).toBeGreaterThanOrEqual(real.majority + MARGIN);

    const shuffled = Int32Array.from(new Rng(7).permutation(labels.length), (j) => labels[j]!);
    const broken = await score(shuffled);
    expect(broken.accuracy).toBeLessThan(broken.majority + MARGIN);
  });
});
