/**
 * An attributes backbone-head run with a one-of-N group (class-head-groups.ts) end to end on real
 * faces: MTFL rows labelled Male / Smiling / Eyeglasses and pose (five classes), 150 training
 * rows → 60 test rows, through the job on the default backbones. The card names the group and its
 * classes, scores its accuracy beside the majority-class baseline on the same faces (the headline
 * mean over the yes/no attributes and the group), and the exported graph, run as predict runs
 * it, gives the pose accuracy and each yes/no accuracy the job measured.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MTFL_POSES } from '../../../src-main/core/formats/mtfl';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { loadFaceBackbone } from '../../../src-main/engine/backbones/load-face-backbone';
import type { LabelledFace, LabelledFaceSet } from '../../../src-main/engine/data/labelled-faces';
import { loadExportedModel } from '../../../src-main/engine/export/load-model';
import { parseFinetuneConfig } from '../../../src-main/engine/finetune/finetune-config';
import { inferenceRequest } from '../../../src-main/engine/jobs/backbone-head-job';
import { runFinetuneJob } from '../../../src-main/engine/jobs/finetune-job';
import { predictFaces } from '../../../src-main/engine/predict/predict-faces';
import { ModelCard } from '../../../src-main/shared/model-card';
import { useWasm } from '../../support/engine-helpers';
import { readMtflFaces, type MtflFace } from '../attributes/appearance-data';

const GROUPS = [{ name: 'pose', classes: [...MTFL_POSES] }];

function labelled(face: MtflFace, i: number, split: 'train' | 'test'): LabelledFace {
  const { male, smiling, glasses, pose } = face.labels;
  return {
    imageId: `${split}-${i}`,
    file: face.source as string,
    // The set's image sizes are not read: the crop box is the face's detection.
    width: 0,
    height: 0,
    split,
    detection: { box: face.box!, crop: face.box!, score: 1 },
    points: [],
    label: [male, smiling, glasses, pose],
  };
}

let root: string;
let set: LabelledFaceSet;
const backbones = new Map<string, FaceBackbone>();

beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-class-groups-'));
  const train = (await readMtflFaces('training.txt', 150, 3)).map((f, i) =>
    labelled(f, i, 'train'),
  );
  const test = (await readMtflFaces('testing.txt', 60, 3)).map((f, i) => labelled(f, i, 'test'));
  set = {
    task: 'attributes',
    attributes: ['Male', 'Smiling', 'Eyeglasses'],
    groups: GROUPS,
    project: 'mtfl',
    faces: [...train, ...test],
    skipped: {},
  };
}, 60_000);

afterAll(async () => {
  for (const b of backbones.values()) b.dispose();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('an attributes run with MTFL pose', { timeout: 600_000 }, () => {
  it('names the group on the card, scores it beside its majority baseline, and exports it', async () => {
    const outcome = await runFinetuneJob(
      {
        jobId: 'pose',
        runDir: path.join(root, 'runs', 'pose'),
        modelsDir: path.join(root, 'models'),
        config: parseFinetuneConfig({ task: 'attributes', method: 'backbone-head' }),
        faces: async () => set,
        loadBackbone: async (id) => {
          if (!backbones.has(id)) backbones.set(id, await loadFaceBackbone(id));
          return backbones.get(id)!;
        },
      },
      { emit: () => undefined },
    );
    if (outcome.type !== 'done') throw new Error(JSON.stringify(outcome));
    const card = ModelCard.parse(
      JSON.parse(await readFile(path.join(root, 'models', 'pose', 'card.json'), 'utf8')),
    );
    expect(card.attributes).toEqual(['Male', 'Smiling', 'Eyeglasses']);
    expect(card.groups).toEqual(GROUPS);
    // The default's yes/no heads read appearance; pose reads FaceMesh's points (alone or beside).
    expect(card.head!.reads!.classifier).not.toContain('facemesh/mesh');
    expect(card.head!.reads!.groups[0]!.taps).toContain('facemesh/mesh');

    const test = set.faces.filter((f) => f.split === 'test');
    const metrics = outcome.result.metrics!;
    const pose = metrics['accuracy.pose']!;
    const [figure] = card.metrics;
    expect(figure!.faces).toBe(test.length);
    expect(figure!.values['accuracy.pose']).toBe(pose);
    const yesNo = ['Male', 'Smiling', 'Eyeglasses'].map((n) => metrics[`accuracy.${n}`]!);
    expect(metrics.meanAccuracy).toBeCloseTo((yesNo.reduce((a, b) => a + b, 0) + pose) / 4, 12);

    // The baseline answers the training rows' most frequent pose for every test face.
    const train = set.faces.filter((f) => f.split === 'train');
    const counts = MTFL_POSES.map((_, c) => train.filter((f) => f.label[3] === c).length);
    const majority = counts.indexOf(Math.max(...counts));
    const baseline = figure!.baseline!;
    expect(baseline.rule).toBe('majority-value');
    expect(baseline.values['accuracy.pose']).toBeCloseTo(
      test.filter((f) => f.label[3] === majority).length / test.length,
      12,
    );
    console.log(
      `MTFL 150 → 60 rows: pose ${(100 * pose).toFixed(1)}% (majority ${(100 * baseline.values['accuracy.pose']!).toFixed(1)}%), ` +
        `mean ${(100 * metrics.meanAccuracy!).toFixed(1)}% (${(100 * baseline.values.meanAccuracy!).toFixed(1)}%), verdict ${figure!.verdict}`,
    );

    // The exported graph, cut as predict cuts, gives the pose accuracy the job measured.
    const model = await loadExportedModel(path.join(root, 'models', 'pose'));
    try {
      const predicted = await predictFaces(model, test.map(inferenceRequest), { detect: false });
      expect(predicted.failed).toEqual([]);
      const right = predicted.faces.filter(
        (f, i) => f.labels.classes!.pose === MTFL_POSES[test[i]!.label[3]!],
      ).length;
      expect(right / test.length).toBeCloseTo(pose, 6);
      // And each yes/no attribute's accuracy (its values only, not the group's label after them).
      ['Male', 'Smiling', 'Eyeglasses'].forEach((name, a) => {
        const hits = predicted.faces.filter(
          (f, i) => f.labels.attributes![name] === (test[i]!.label[a] === 1),
        ).length;
        expect(hits / test.length).toBeCloseTo(metrics[`accuracy.${name}`]!, 6);
      });
    } finally {
      model.dispose();
    }
  });
});
