import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../../src-main/core/project-store';
import {
  labelledFaceSet,
  prelabelImagesOf,
  readLabelledFaces,
} from '../../../src-main/app/training/finetune-faces';
import { readProjectSnapshot } from '../../../src-main/app/training/project-snapshot';
import {
  createLabelledProject,
  type LabelledProjectImage,
} from '../../engine/data/labelled-project';

let dir: string;
let images: LabelledProjectImage[];
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-ft-faces-'));
  // 4 train, 1 val, 1 test, 1 pool.
  images = await createLabelledProject(dir, { train: 4, val: 1, test: 1, pool: 1 });
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a project's labelled faces for fine-tuning", () => {
  it('keeps fully labelled faces of train, val and test, and counts the pool ones apart', async () => {
    const set = await readLabelledFaces(dir, 'landmarks');
    expect(set.task).toBe('landmarks');
    expect(set.project).toBe('helen');
    expect(set.faces.map((f) => f.split)).toEqual([
      'train',
      'train',
      'train',
      'train',
      'val',
      'test',
    ]);
    expect(set.skipped).toEqual({ 'in the pool (no split)': 1 });
    const first = set.faces[0]!;
    expect(first.file).toBe(images[0]!.file);
    expect(first.points).toHaveLength(68);
  });

  it('reads edits still in the label journal of an open project, and leaves out partial faces', async () => {
    const store = await ProjectStore.open(dir);
    try {
      const face = store.getFace(images[1]!.id)!;
      // One point unlabelled; another face's points still as a model placed them.
      await store.saveFace({
        ...face,
        points: face.points.map((p, i) => (i === 5 ? { ...p, v: 0 } : p)),
      });
      const other = store.getFace(images[2]!.id)!;
      await store.saveFace({
        ...other,
        points: other.points.map((p) => ({ ...p, source: 'model' as const, confirmed: false })),
      });
      await store.flush();
      // The store is still open: the edits are only in the journal.
      const set = labelledFaceSet(await readProjectSnapshot(dir), 'landmarks');
      expect(set.faces.map((f) => f.imageId)).not.toContain(images[1]!.id);
      expect(set.faces.map((f) => f.imageId)).not.toContain(images[2]!.id);
      expect(set.skipped).toMatchObject({ 'partly labelled': 1, 'points not confirmed': 1 });
      // Put them back for the other tests.
      await store.saveFace(face);
      await store.saveFace(other);
    } finally {
      await store.close();
    }
  });

  it('trains on a pre-labelled face in train only when the config includes unconfirmed points', async () => {
    const store = await ProjectStore.open(dir);
    const train = images[3]!.id;
    const face = store.getFace(train)!;
    try {
      // As pre-labelling leaves a face: every point the model's, none confirmed; one template.
      await store.saveFace({
        ...face,
        points: face.points.map((p, i) => ({
          ...p,
          source: i === 0 ? ('template' as const) : ('model' as const),
          confirmed: false,
          ...(i === 0 ? {} : { uncertainty: 0.02 }),
        })),
      });
      await store.flush();
      const snapshot = await readProjectSnapshot(dir);
      const byDefault = labelledFaceSet(snapshot, 'landmarks');
      expect(byDefault.faces.map((f) => f.imageId)).not.toContain(train);
      expect(byDefault.skipped).toMatchObject({ 'points not confirmed': 1 });
      const included = labelledFaceSet(snapshot, 'landmarks', { includeUnconfirmed: true });
      const taken = included.faces.find((f) => f.imageId === train);
      expect(taken?.points.map((p) => [p.x, p.y, p.v])).toEqual(
        face.points.map((p) => [p.x, p.y, p.v]),
      );
      expect(included.skipped['points not confirmed']).toBeUndefined();

      // Once a person confirms all but one point, the face is still partly labelled for
      // landmarks; its attributes train, with the unconfirmed point hidden from the crop.
      await store.saveFace({
        ...face,
        attributes: { Smiling: true },
        points: face.points.map((p, i) =>
          i === 7 ? { ...p, source: 'model' as const, confirmed: false } : p,
        ),
      });
      await store.flush();
      const later = await readProjectSnapshot(dir);
      expect(labelledFaceSet(later, 'landmarks').faces.map((f) => f.imageId)).not.toContain(train);
      const attributes = labelledFaceSet(later, 'attributes').faces.find(
        (f) => f.imageId === train,
      );
      expect(attributes?.points[7]!.v).toBe(0);
      expect(attributes?.points[6]!.v).toBe(face.points[6]!.v);
    } finally {
      await store.saveFace(face);
      await store.close();
    }
  });

  it('gives binary attributes as 1, 0 or NaN, then the pose as a class index or NaN, and leaves out faces with none', async () => {
    const set = await readLabelledFaces(dir, 'attributes');
    if (set.task !== 'attributes') throw new Error('not attributes');
    expect(set.attributes).toEqual(['Male', 'Smiling', 'Eyeglasses']);
    // MTFL's one-of-N attribute: its labels follow the yes/no ones.
    expect(set.groups).toEqual([
      { name: 'pose', classes: ['left profile', 'left', 'frontal', 'right', 'right profile'] },
    ]);
    // The fixture labels every other face: 0 (Male, Smiling), 2 (not male), 4 (male), 6 (pool).
    const byId = new Map(set.faces.map((f) => [f.imageId, f.label]));
    expect(byId.get(images[0]!.id)).toEqual([1, 1, NaN, NaN]);
    expect(byId.get(images[2]!.id)).toEqual([0, NaN, NaN, NaN]);
    expect(byId.has(images[1]!.id)).toBe(false);
    expect(set.faces).toHaveLength(3);

    // A face labelled with its pose only is kept for the pose.
    const store = await ProjectStore.open(dir);
    const face = store.getFace(images[1]!.id)!;
    try {
      await store.saveFace({ ...face, classes: { pose: 'right' } });
      await store.flush();
      const posed = labelledFaceSet(await readProjectSnapshot(dir), 'attributes');
      const label = posed.faces.find((f) => f.imageId === images[1]!.id)?.label;
      expect(label).toEqual([NaN, NaN, NaN, 3]);
    } finally {
      await store.saveFace(face);
      await store.close();
    }
  });

  it('refuses expression training when the attribute set has no expressions', async () => {
    await expect(readLabelledFaces(dir, 'expression')).rejects.toThrow(
      /no expression classes \(attribute set mtfl has none\)/,
    );
  });

  it('lists images to pre-label with their files and face records, and names unknown ids', async () => {
    const snapshot = await readProjectSnapshot(dir);
    const listed = prelabelImagesOf(snapshot, [images[3]!.id, images[0]!.id]);
    expect(listed.map((i) => i.file)).toEqual([images[3]!.file, images[0]!.file]);
    expect(listed[0]).toMatchObject({ imageId: images[3]!.id, face: null });
    expect(() => prelabelImagesOf(snapshot, ['f'.repeat(64)])).toThrow(/f{64}/);
  });
});
