/**
 * Baselines on hand-made data: the mean shape, the majority value of each attribute, the
 * majority class, each scored with the model's own metrics, and the verdict beside them.
 */
import { describe, expect, it } from 'vitest';
import {
  baselineOf,
  heldOutSubjects,
  honestMetrics,
  majorityClass,
  majorityValues,
  meanShape,
  verdictOf,
} from '../../../src-main/engine/metrics/baselines';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePtsFile } from '../../../src-main/core/formats/pts';
import { DEFAULT_CROP_POLICY, toCrop } from '../../../src-main/engine/data/face-crop';
import {
  labelledFaceCropBox,
  type LabelledFace,
} from '../../../src-main/engine/data/labelled-faces';
import { CardMetrics } from '../../../src-main/shared/model-card';

const HELEN = fileURLToPath(new URL('../../../../shared/data/300w-helen', import.meta.url));

/** A HELEN split's 68-point shapes in the crop coordinates fine-tuning trains on. */
async function helenShapes(split: 'train' | 'test'): Promise<number[][]> {
  const dir = path.join(HELEN, split);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.pts')).sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      const points = parsePtsFile(await readFile(file, 'utf8'), file, { pointCount: 68 }).map(
        (p) => ({ x: p.x, y: p.y, v: 2 as const }),
      );
      const face: LabelledFace = {
        imageId: name,
        file,
        width: 0,
        height: 0,
        split,
        detection: null,
        points,
        label: [],
      };
      return toCrop(points, labelledFaceCropBox(face, DEFAULT_CROP_POLICY)).flatMap((p) => [
        p.x,
        p.y,
      ]);
    }),
  );
}

/** Three points; the normaliser is points 0 and 1, one unit apart in every face here. */
const NORMALISER = [0, 1] as const;

describe('the mean-shape baseline', () => {
  const train = [
    [0, 0, 1, 0, 0.5, 1],
    [0, 0, 1, 0, 0.5, 0.6],
  ];

  it('is the point-wise mean of the training shapes', () => {
    expect(Array.from(meanShape(train))).toEqual([0, 0, 1, 0, 0.5, 0.8]);
    expect(() => meanShape([[0, 0], [0]])).toThrow(/shapes of 2 and 1 values differ/);
    expect(() => meanShape([])).toThrow(/no training faces/);
  });

  it('scores the mean shape on each held-out face by NME, FR@10% and AUC', () => {
    // Face 1 sits on the mean shape; face 2 has its third point 0.24 below it: 0.08 NME.
    const heldOut = [
      [0, 0, 1, 0, 0.5, 0.8],
      [0, 0, 1, 0, 0.5, 1.04],
    ];
    const baseline = baselineOf({ task: 'landmarks', train, heldOut, normaliser: NORMALISER });
    expect(baseline.rule).toBe('mean-shape');
    expect(baseline.fittedOn).toBe(2);
    expect(baseline.values.nme).toBeCloseTo(0.04, 10);
    // Neither face is above the 10% threshold; AUC (0.1 + 0.02) / 2 / 0.1 = 0.6.
    expect(baseline.values.failureRate).toBe(0);
    expect(baseline.values.auc).toBeCloseTo(0.6, 10);
  });

  it('calls a model that predicts the mean shape no better, and a closer one better', () => {
    const heldOut = [
      [0, 0, 1, 0, 0.5, 0.9],
      [0, 0, 1, 0, 0.5, 0.5],
    ];
    const data = { task: 'landmarks' as const, train, heldOut, normaliser: NORMALISER };
    const baseline = baselineOf(data);
    // (0.1 + 0.3) / 3 / 2
    expect(baseline.values.nme).toBeCloseTo(0.4 / 6, 10);
    const same = honestMetrics(data, { data: 'test split', values: { ...baseline.values } });
    expect(same.verdict).toBe('no-better');
    expect(same.faces).toBe(2);
    const closer = honestMetrics(data, { data: 'test split', values: { nme: 0.02 } });
    expect(closer.verdict).toBe('better');
    const worse = honestMetrics(data, { data: 'test split', values: { nme: 0.2 } });
    expect(worse.verdict).toBe('no-better');
    expect(CardMetrics.parse(closer)).toEqual(closer);
  });
});

describe('the majority baselines', () => {
  it('takes each attribute’s majority value among the faces labelled for it', () => {
    // Attribute 0: 1, 1, 0 → 1; attribute 1: 0, NaN, NaN → 0; attribute 2: a tie → 0.
    const train = [
      [1, 0, 1],
      [1, NaN, 0],
      [0, NaN, NaN],
    ];
    expect(majorityValues(train, 3)).toEqual([1, 0, 0]);
    const heldOut = [
      [1, 1, 0],
      [0, NaN, 0],
      [1, 0, NaN],
      [1, 0, 1],
    ];
    const baseline = baselineOf({
      task: 'attributes',
      train,
      heldOut,
      attributes: ['Male', 'Smiling', 'Eyeglasses'],
    });
    expect(baseline).toEqual({
      rule: 'majority-value',
      fittedOn: 3,
      values: {
        'accuracy.Male': 0.75,
        'accuracy.Smiling': 2 / 3,
        'accuracy.Eyeglasses': 2 / 3,
        meanAccuracy: (0.75 + 2 / 3 + 2 / 3) / 3,
      },
    });
    expect(verdictOf('attributes', { meanAccuracy: 0.8 }, baseline)).toBe('better');
    expect(verdictOf('attributes', { meanAccuracy: 0.65 }, baseline)).toBe('no-better');
  });

  it('answers each one-of-N group with its majority class among the faces labelled for it', () => {
    // One yes/no attribute, then the pose (classes 0..2) as an index or NaN.
    const baseline = baselineOf({
      task: 'attributes',
      train: [
        [1, 2],
        [1, 2],
        [0, 1],
        [0, NaN],
        [NaN, 1],
        [NaN, 2],
      ],
      heldOut: [
        [1, 2],
        [0, 0],
        [1, NaN],
        [NaN, 2],
      ],
      attributes: ['Male'],
      groups: [{ name: 'pose', classes: ['left', 'frontal', 'right'] }],
    });
    // Male: 2 yes, 2 no among the labelled → ties to "no": right on 1 of 3 held-out faces.
    // Pose: "right" (3 of 5): right on 2 of the 3 held-out faces labelled for it.
    expect(baseline.values).toEqual({
      'accuracy.Male': 1 / 3,
      'accuracy.pose': 2 / 3,
      meanAccuracy: (1 / 3 + 2 / 3) / 2,
    });
  });

  it('takes the majority class, ties to the lower index, scored by accuracy and recall', () => {
    expect(majorityClass([2, 1, 2, 1, 0], 3)).toBe(1);
    expect(() => majorityClass([3], 3)).toThrow(/class 3 is out of range 0..2/);
    const baseline = baselineOf({
      task: 'expression',
      train: [0, 2, 2, 1],
      heldOut: [2, 2, 0, 1, 2],
      classes: ['anger', 'happy', 'surprise'],
    });
    expect(baseline).toEqual({
      rule: 'majority-class',
      fittedOn: 4,
      values: { accuracy: 0.6, 'recall.anger': 0, 'recall.happy': 0, 'recall.surprise': 1 },
    });
    // A model that always answers the majority class is no better; one more right face is.
    expect(verdictOf('expression', { accuracy: 0.6 }, baseline)).toBe('no-better');
    expect(verdictOf('expression', { accuracy: 0.8 }, baseline)).toBe('better');
    // Without the headline metric there is nothing to call better.
    expect(verdictOf('expression', {}, baseline)).toBe('no-better');
  });

  it('refuses to score on no held-out faces', () => {
    expect(() =>
      baselineOf({ task: 'expression', train: [0], heldOut: [], classes: ['a'] }),
    ).toThrow(/no held-out faces to score it on/);
  });
});

describe('baseline input checks and the verdict margin', () => {
  it('names what is missing: training faces to fit on, held-out faces to score on', () => {
    const fit = 'baseline: no training faces to fit it on';
    expect(() => meanShape([])).toThrow(fit);
    expect(() => majorityClass([], 3)).toThrow(fit);
    expect(() =>
      baselineOf({ task: 'attributes', train: [], heldOut: [[1]], attributes: ['Male'] }),
    ).toThrow(fit);
    expect(() =>
      baselineOf({ task: 'expression', train: [0], heldOut: [], classes: ['a'] }),
    ).toThrow('baseline: no held-out faces to score it on');
  });

  it('refuses a negative, a fractional or a too-large class', () => {
    for (const c of [-1, 1.5, 3])
      expect(() => majorityClass([0, c], 3)).toThrow(`baseline: class ${c} is out of range 0..2`);
  });

  it('reads only the first `attributes` values of a row (group labels follow them)', () => {
    expect(majorityValues([[1, 0, 2]], 2)).toEqual([1, 0]);
  });

  it('leaves out a metric that is not a number, such as the recall of a class no face shows', () => {
    const baseline = baselineOf({
      task: 'expression',
      train: [0, 0, 1],
      heldOut: [0, 1],
      classes: ['a', 'b', 'c'],
    });
    expect(Object.keys(baseline.values).sort()).toEqual(['accuracy', 'recall.a', 'recall.b']);
  });

  it('calls better only beyond a margin of 1e-9 times the baseline (at least 1e-9)', () => {
    const rule = { values: { nme: 0.5, accuracy: 0.5 } };
    // Exactly at the margin: not beyond it.
    expect(verdictOf('landmarks', { nme: 0.5 - 1e-9 }, rule)).toBe('no-better');
    expect(verdictOf('expression', { accuracy: 0.5 + 1e-9 }, rule)).toBe('no-better');
    expect(verdictOf('landmarks', { nme: 0.5 - 2e-9 }, rule)).toBe('better');
    // A baseline of 1000 has a margin of 1e-6: 1e-7 closer is still float noise.
    const large = { values: { nme: 1000 } };
    expect(verdictOf('landmarks', { nme: 1000 - 1e-7 }, large)).toBe('no-better');
    expect(verdictOf('landmarks', { nme: 1000 - 1e-5 }, large)).toBe('better');
  });
});

describe('subjects behind held-out faces', () => {
  it('counts the held-out people and those who also train', () => {
    expect(heldOutSubjects(['a', 'b', undefined], ['b', 'c', 'c', undefined])).toEqual({
      subjects: 2,
      sharedSubjects: 1,
    });
    expect(heldOutSubjects(['a'], [undefined, undefined])).toBeNull();
  });

  it('carries the counts into the card metrics', () => {
    const metrics = honestMetrics(
      { task: 'expression', train: [0, 0, 1], heldOut: [1, 0], classes: ['a', 'b'] },
      { data: 'validation', values: { accuracy: 1 }, subjects: { subjects: 2, sharedSubjects: 0 } },
    );
    expect(metrics).toMatchObject({ faces: 2, subjects: 2, sharedSubjects: 0, verdict: 'better' });
  });
});

describe('the mean shape on real faces', () => {
  it('gives HELEN test the 17.9% NME and 79% failures the few-shot notes measured', async () => {
    // research/FEWSHOT_NOTES.md: the mean of 870 training shapes on the 330 test faces.
    const [train, heldOut] = await Promise.all([helenShapes('train'), helenShapes('test')]);
    expect([train.length, heldOut.length]).toEqual([870, 330]);
    const baseline = baselineOf({ task: 'landmarks', train, heldOut, normaliser: [36, 45] });
    expect(baseline.values.nme).toBeGreaterThan(0.175);
    expect(baseline.values.nme).toBeLessThan(0.183);
    expect(baseline.values.failureRate).toBeCloseTo(0.791, 2);
  });
});
