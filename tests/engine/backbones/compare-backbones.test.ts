/**
 * The backbone comparison on real labelled faces: on a small HELEN project FaceMesh beats the
 * random ViT and the mean shape on test NME, and wins; on CK+ faces (split by subject) the
 * appearance backbone's expression accuracy beats the majority class; an attribute set's MTFL pose
 * group is scored beside its majority class. Too few faces to fit or score on is a clear error.
 */
import { readdir } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledFaces } from '../../../src-main/app/training/finetune-faces';
import { shippedBackbones } from '../../../src-main/engine/backbones/backbone-registry';
import { compareBackbones, winnerOf } from '../../../src-main/engine/backbones/compare-backbones';
import type { LabelledFace, LabelledFaceSet } from '../../../src-main/engine/data/labelled-faces';
import type {
  ComparisonProgress,
  ComparisonRow,
} from '../../../src-main/shared/backbone-comparison';
import { BackboneComparison } from '../../../src-main/shared/backbone-comparison';
import { createLabelledProject } from '../data/labelled-project';
import { MTFL_POSES } from '../../../src-main/core/formats/mtfl';
import { readMtflFaces } from '../attributes/appearance-data';
import { useWasm } from '../../support/engine-helpers';

const CK48 = fileURLToPath(new URL('../../../../shared/data/ck48', import.meta.url));
const offered = (ids: string[]) => shippedBackbones().filter((b) => ids.includes(b.id));

let root: string;
let helen: LabelledFaceSet;
beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-compare-'));
  const dir = path.join(root, 'helen');
  await createLabelledProject(dir, { train: 30, val: 10, test: 15 });
  helen = await readLabelledFaces(dir, 'landmarks');
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('compareBackbones', () => {
  it('on HELEN faces, FaceMesh beats the random ViT and the mean shape on test NME', async () => {
    const progress: ComparisonProgress[] = [];
    const result = await compareBackbones(helen, offered(['random', 'facemesh']), {
      onProgress: (p) => progress.push(p),
    });
    expect(BackboneComparison.parse(result)).toEqual(result);
    expect(result.faces).toEqual({ train: 30, val: 10, test: 15 });
    expect(result.metric).toBe('nme');
    expect(result.rows.map((r) => r.backboneId)).toEqual(['facemesh', 'random']);
    const [mesh, random] = result.rows as [ComparisonRow, ComparisonRow];
    expect(mesh.error).toBeNull();
    expect(mesh.taps).toEqual(['mesh', 'p_re_lu_12', 'p_re_lu_15', 'p_re_lu_9']);
    expect(mesh.licence).toBe('Apache-2.0');
    expect(mesh.test!.faces).toBe(15);
    console.log(
      `HELEN 30/10/15: mean shape ${result.baseline.test!.value.toFixed(4)}, random ${random.test!.value.toFixed(4)}, facemesh ${mesh.test!.value.toFixed(4)} (${mesh.msPerFace!.toFixed(1)} ms/face)`,
    );
    expect(mesh.test!.value).toBeLessThan(random.test!.value);
    expect(mesh.test!.value).toBeLessThan(result.baseline.test!.value);
    expect(mesh.test!.value).toBeLessThan(0.08);
    expect(result.winner).toBe('facemesh');
    expect(result.chosenBy).toBe('val');
    expect(progress.at(-1)).toMatchObject({
      backboneId: 'random',
      done: 2,
      total: 2,
      stage: 'scored',
    });
    expect(progress.some((p) => p.stage === 'embedding' && p.faces > 0)).toBe(true);
  }, 240_000);

  it('on CK+ faces split by subject, mini-Xception beats the majority class on expression', async () => {
    const classes = ['happy', 'surprise', 'disgust'];
    const faces: LabelledFace[] = [];
    for (const [label, name] of classes.entries()) {
      const files = (await readdir(path.join(CK48, name))).sort();
      for (const file of files.filter((_, i) => i % 3 === 0)) {
        const subject = Number(file.slice(1, 4));
        faces.push({
          imageId: `${name}/${file}`,
          file: path.join(CK48, name, file),
          width: 48,
          height: 48,
          split: subject % 3 === 0 ? 'test' : 'train',
          detection: null,
          points: [],
          label: [label],
        });
      }
    }
    const set: LabelledFaceSet = {
      task: 'expression',
      classes,
      project: 'ck+',
      faces,
      skipped: {},
    };
    const result = await compareBackbones(set, offered(['mini-xception']));
    const [row] = result.rows as [ComparisonRow];
    expect(row.error).toBeNull();
    expect(result.metric).toBe('accuracy');
    expect(result.chosenBy).toBe('test');
    console.log(
      `CK+ 3 classes, ${result.faces.train}/${result.faces.test}: majority ${result.baseline.test!.value.toFixed(3)}, mini-Xception ${row.test!.value.toFixed(3)}`,
    );
    expect(row.test!.value).toBeGreaterThan(result.baseline.test!.value + 0.2);
    expect(result.winner).toBe('mini-xception');
  }, 120_000);

  it('scores an attribute set’s one-of-N group (MTFL pose) beside its majority class', async () => {
    const draw = async (list: 'training.txt' | 'testing.txt', n: number, split: 'train' | 'test') =>
      (await readMtflFaces(list, n, 4)).map((f, i): LabelledFace => ({
        imageId: `${split}-${i}`,
        file: f.source as string,
        width: 0,
        height: 0,
        split,
        detection: { box: f.box!, crop: f.box!, score: 1 },
        points: [],
        // Pose only: the yes/no attribute is not labelled, so the group is all that is scored.
        label: [NaN, f.labels.pose],
      }));
    const faces = [
      ...(await draw('training.txt', 40, 'train')),
      ...(await draw('testing.txt', 20, 'test')),
    ];
    const set: LabelledFaceSet = {
      task: 'attributes',
      attributes: ['Male'],
      groups: [{ name: 'pose', classes: [...MTFL_POSES] }],
      project: 'mtfl',
      faces,
      skipped: {},
    };
    const result = await compareBackbones(set, offered(['facemesh']));
    const [row] = result.rows as [ComparisonRow];
    expect(row.error).toBeNull();
    const train = faces.filter((f) => f.split === 'train');
    const test = faces.filter((f) => f.split === 'test');
    const counts = MTFL_POSES.map((_, c) => train.filter((f) => f.label[1] === c).length);
    const majority = counts.indexOf(Math.max(...counts));
    expect(result.baseline.test).toMatchObject({
      value: test.filter((f) => f.label[1] === majority).length / test.length,
      faces: test.length,
    });
    expect(row.test!.faces).toBe(test.length);
    console.log(
      `MTFL pose 40/20: majority ${result.baseline.test!.value.toFixed(3)}, FaceMesh ${row.test!.value.toFixed(3)}`,
    );
  }, 120_000);

  it('says plainly when there are too few faces to fit or to score on', async () => {
    const few = { ...helen, faces: helen.faces.filter((f) => f.split !== 'train').slice(0, 3) };
    await expect(compareBackbones(few, offered(['random']))).rejects.toThrow(
      /has 0 face\(s\) labelled for landmarks in the train split; a comparison needs 2/,
    );
    const noTest = { ...helen, faces: helen.faces.filter((f) => f.split === 'train') };
    await expect(compareBackbones(noTest, offered(['random']))).rejects.toThrow(
      /no faces labelled for landmarks in the val or test split/,
    );
  });

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await expect(
      compareBackbones(helen, offered(['random']), { signal: controller.signal }),
    ).rejects.toThrow('stop now');
  });
});

describe('winnerOf', () => {
  const row = (id: string, val: number | null): ComparisonRow => ({
    backboneId: id,
    name: id,
    kind: 'learned',
    licence: 'none',
    attribution: '',
    package: null,
    taps: [],
    val: val === null ? null : { value: val, failureRate: null, faces: 3 },
    test: null,
    msPerFace: null,
    error: null,
  });
  it('takes the lowest NME or the highest accuracy, skipping rows without a score', () => {
    const rows = [row('a', 0.2), row('b', null), row('c', 0.1)];
    expect(winnerOf(rows, 'val', true)).toBe('c');
    expect(winnerOf(rows, 'val', false)).toBe('a');
    expect(winnerOf([row('b', null)], 'val', true)).toBeNull();
  });
});
