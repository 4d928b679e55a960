/**
 * The attribute and expression head on real faces (issue 22), subsampled to stay fast (the
 * full-data figures are bench:appearance's):
 * - CK+ expression, a quarter of the subjects held out (never one person on both sides), on
 *   mini-Xception's `pooled` taps of 48-px grey faces: beats the majority class by 30 points with
 *   probabilities that sum to 1; a head fitted on shuffled labels does not;
 * - MTFL male and smiling (240 training rows → 150 testing rows) on the face-api age-gender net's
 *   `pooled` and `gender` taps beside mini-Xception's `pooled`: male beats the majority by 20
 *   points, smiling by 12; shuffled labels do not; faces whose label is NaN stay out of that
 *   attribute's fit only; an attribute labelled one way everywhere answers that way;
 * - a blurred face and a face too few pixels across get a note, not a guess.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../src-main/engine/backend';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { loadAgeGenderBackbone } from '../../../src-main/engine/backbones/face-api-age-gender-backbone';
import { loadMiniXceptionBackbone } from '../../../src-main/engine/backbones/mini-xception-backbone';
import {
  classifierHeadAffine,
  embedHeadFaces,
  fitClassifierHead,
  predictClassifierHead,
  type ClassifierPrediction,
  type HeadFeatures,
  type HeadTap,
} from '../../../src-main/engine/attributes/classifier-head';
import { ridgeScores, selectRows } from '../../../src-main/engine/attributes/ridge-classifier';
import {
  plattProbability,
  softmaxProbabilities,
} from '../../../src-main/engine/attributes/score-calibration';
import { Rng, deriveSeed } from '../../../src-main/engine/model/rng';
import {
  accuracy,
  majorityRate,
  readCkFaces,
  readMtflFaces,
  type CkFace,
  type MtflFace,
} from './appearance-data';

const EXPRESSION_TAPS: HeadTap[] = [{ backbone: 'mini-xception', tap: 'pooled' }];
const ATTRIBUTE_TAPS: HeadTap[] = [
  { backbone: 'face-api-age-gender', tap: 'pooled' },
  { backbone: 'face-api-age-gender', tap: 'gender' },
  { backbone: 'mini-xception', tap: 'pooled' },
];

let backbones: FaceBackbone[];
beforeAll(async () => {
  await chooseBackend({ force: 'wasm' });
  backbones = [await loadMiniXceptionBackbone(), await loadAgeGenderBackbone()];
});
afterAll(() => backbones.forEach((b) => b.dispose()));

const labelOf = (p: ClassifierPrediction): number =>
  p.ok && p.task === 'expression' ? p.label : -1;

describe('CK+ expression by subject', async () => {
  let faces: CkFace[];
  let classes: string[];
  let embedded: HeadFeatures;
  let train: number[];
  let test: number[];

  beforeAll(async () => {
    ({ faces, classes } = await readCkFaces(300, 1));
    embedded = await embedHeadFaces(backbones, EXPRESSION_TAPS, faces);
    const subjects = [...new Set(faces.map((f) => f.subject))].sort();
    const order = new Rng(deriveSeed(1, 22)).permutation(subjects.length);
    const held = new Set(order.slice(0, Math.round(subjects.length / 4)).map((i) => subjects[i]!));
    train = faces.flatMap((f, i) => (held.has(f.subject) ? [] : [i]));
    test = faces.flatMap((f, i) => (held.has(f.subject) ? [i] : []));
  }, 400_000);

  async function score(labels: number[]): Promise<{
    accuracy: number;
    majority: number;
    p: ClassifierPrediction[];
  }> {
    const head = await fitClassifierHead(
      { task: 'expression', classes },
      EXPRESSION_TAPS,
      selectRows(embedded.features, train),
      labels.map((l) => [l]),
      { groups: train.map((i) => faces[i]!.subject) },
    );
    const p = predictClassifierHead(
      head,
      selectRows(embedded.features, test),
      test.map((i) => embedded.quality[i]!),
    );
    const truth = test.map((i) => faces[i]!.label);
    return { accuracy: accuracy(p.map(labelOf), truth), majority: majorityRate(truth), p };
  }

  it('beats the majority class by 30 points on unseen people; shuffled labels do not', async () => {
    const trainSubjects = new Set(train.map((i) => faces[i]!.subject));
    expect(test.some((i) => trainSubjects.has(faces[i]!.subject))).toBe(false);
    const labels = train.map((i) => faces[i]!.label);
    const real = await score(labels);
    expect(real.accuracy).toBeGreaterThanOrEqual(real.majority + 0.3);
    for (const p of real.p) {
      expect(p.ok).toBe(true);
      if (p.ok && p.task === 'expression') {
        expect(p.probabilities.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
        expect(p.name).toBe(classes[p.label]);
      }
    }
    const shuffled = Array.from(new Rng(7).permutation(labels.length), (j) => labels[j]!);
    const broken = await score(shuffled);
    expect(broken.accuracy).toBeLessThan(broken.majority + 0.3);
  });
});

describe('MTFL male and smiling', () => {
  let trainFaces: MtflFace[];
  let testFaces: MtflFace[];
  let train: HeadFeatures;
  let test: HeadFeatures;
  const task = { task: 'attributes' as const, attributes: ['male', 'smiling'] };

  beforeAll(async () => {
    trainFaces = await readMtflFaces('training.txt', 240, 1);
    testFaces = await readMtflFaces('testing.txt', 150, 1);
    train = await embedHeadFaces(backbones, ATTRIBUTE_TAPS, trainFaces);
    test = await embedHeadFaces(backbones, ATTRIBUTE_TAPS, testFaces);
  }, 400_000);

  /** Test accuracy of each attribute of a head fitted on `labels`, with the majority rates. */
  async function score(labels: number[][]) {
    const head = await fitClassifierHead(task, ATTRIBUTE_TAPS, train.features, labels);
    const p = predictClassifierHead(head, test.features, test.quality);
    return {
      head,
      result: task.attributes.map((name, a) => {
        const truth = testFaces.map((f) => f.labels[name as 'male' | 'smiling']);
        const predicted = p.map((x) =>
          x.ok && x.task === 'attributes' ? x.attributes[a]!.value : -1,
        );
        return { accuracy: accuracy(predicted, truth), majority: majorityRate(truth) };
      }),
    };
  }

  it('male beats the majority by 20 points and smiling by 12; shuffled labels do not', async () => {
    const labels = trainFaces.map((f) => [f.labels.male, f.labels.smiling]);
    const [male, smiling] = (await score(labels)).result;
    expect(male!.accuracy).toBeGreaterThanOrEqual(male!.majority + 0.2);
    expect(smiling!.accuracy).toBeGreaterThanOrEqual(smiling!.majority + 0.12);

    const order = new Rng(7).permutation(labels.length);
    const [bMale, bSmiling] = (await score(Array.from(order, (j) => labels[j]!))).result;
    expect(bMale!.accuracy).toBeLessThan(bMale!.majority + 0.2);
    expect(bSmiling!.accuracy).toBeLessThan(bSmiling!.majority + 0.12);
  });

  it('leaves a face out of only the attributes it lacks; a one-valued attribute answers that value', async () => {
    const labels = trainFaces.map((f, i) => [
      i % 3 === 0 ? NaN : f.labels.male,
      f.labels.smiling,
      0,
    ]);
    const head = await fitClassifierHead(
      { task: 'attributes', attributes: ['male', 'smiling', 'hat'] },
      ATTRIBUTE_TAPS,
      train.features,
      labels,
    );
    if (head.task !== 'attributes') throw new Error('attributes head expected');
    const [male, smiling, hat] = head.attributes;
    expect(male!.faces).toBe(trainFaces.filter((_, i) => i % 3 !== 0).length);
    expect(smiling!.faces).toBe(trainFaces.length);
    expect(hat!.model).toBeNull();
    const p = predictClassifierHead(head, test.features, test.quality);
    const answers = p.flatMap((x) => (x.ok && x.task === 'attributes' ? [x.attributes[2]!] : []));
    expect(answers.length).toBe(testFaces.length);
    expect(answers.every((a) => a.value === 0 && a.constant && a.probability < 0.01)).toBe(true);
    await expect(
      fitClassifierHead(
        task,
        ATTRIBUTE_TAPS,
        train.features,
        labels.map((l) => [l[0]!, 2]),
      ),
    ).rejects.toThrow(/attribute "smiling" is 2/);
  });
});

describe('quality notes', () => {
  it('gives a blurred face and a face under 24 px a note instead of a class', async () => {
    const { faces } = await readCkFaces(2, 3);
    const file = faces[0]!.source as string;
    const { data, info } = await sharp(file)
      .removeAlpha()
      .toColourspace('srgb')
      .blur(2.5)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const blurred = {
      data: new Uint8Array(data),
      width: info.width,
      height: info.height,
      channels: info.channels as 1 | 3 | 4,
    };
    const inputs = [
      faces[1]!,
      { source: blurred, box: faces[0]!.box },
      { source: file, box: { x: 10, y: 10, width: 16, height: 16 } },
    ];
    const embedded = await embedHeadFaces(backbones, EXPRESSION_TAPS, inputs);
    const head = await fitClassifierHead(
      { task: 'expression', classes: ['a', 'b'] },
      EXPRESSION_TAPS,
      embedded.features,
      [[0], [1], [0]],
    );
    const [ok, blur, small] = predictClassifierHead(head, embedded.features, embedded.quality);
    expect(ok!.ok).toBe(true);
    expect(blur).toMatchObject({ ok: false, reason: 'too-blurred' });
    expect(small).toMatchObject({ ok: false, reason: 'too-small' });
    if (!small!.ok) expect(small!.message).toMatch(/16 px across; at least 24/);
  }, 120_000);
});

describe('the head as one affine map (for an exported graph)', () => {
  it('gives the same probabilities as predict, for attributes and expression', async () => {
    const rng = new Rng(11);
    const n = 120;
    const dim = 6;
    const data = Float32Array.from({ length: n * dim }, () => rng.normal() * 3 + 1);
    const x = { rows: n, dim, data };
    const usable = Array.from({ length: n }, () => ({
      usable: true as const,
      sidePx: 99,
      sharpness: 1,
    }));
    const yes = (i: number) =>
      data[i * dim]! + 0.5 * data[i * dim + 1]! + rng.normal() > 1 ? 1 : 0;
    const attrs = await fitClassifierHead(
      { task: 'attributes', attributes: ['a', 'b', 'never'] },
      [],
      x,
      Array.from({ length: n }, (_, i) => [yes(i), i % 4 === 0 ? NaN : yes(i), 0]),
    );
    const affine = classifierHeadAffine(attrs);
    const scores = ridgeScores(affine.model, x);
    const p = predictClassifierHead(attrs, x, usable);
    if (affine.calibration.kind !== 'platt') throw new Error('platt expected');
    const { a, b } = affine.calibration;
    p.forEach((face, i) => {
      if (!face.ok || face.task !== 'attributes') throw new Error('answer expected');
      face.attributes.forEach((ans, c) =>
        expect(plattProbability({ a: a[c]!, b: b[c]! }, scores[i * 3 + c]!)).toBeCloseTo(
          ans.probability,
          6,
        ),
      );
    });

    const expr = await fitClassifierHead(
      { task: 'expression', classes: ['x', 'y', 'z'] },
      [],
      x,
      Array.from({ length: n }, (_, i) => [data[i * dim + 2]! > 2 ? 2 : yes(i)]),
    );
    const affineExpr = classifierHeadAffine(expr);
    const s = ridgeScores(affineExpr.model, x);
    if (affineExpr.calibration.kind !== 'softmax') throw new Error('softmax expected');
    const cal = { temperature: affineExpr.calibration.temperature };
    predictClassifierHead(expr, x, usable).forEach((face, i) => {
      if (!face.ok || face.task !== 'expression') throw new Error('answer expected');
      const q = softmaxProbabilities(cal, s.subarray(i * 3, i * 3 + 3));
      for (let c = 0; c < 3; c++) expect(q[c]).toBeCloseTo(face.probabilities[c]!, 6);
    });
  });
});
