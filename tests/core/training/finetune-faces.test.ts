import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../../src-main/core/project-store';
import {
  labelledFaceSet,
  prelabelImagesOf,
  readLabelledFaces,
  readProjectSnapshot,
} from '../../../src-main/core/training/finetune-faces';
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
        points: other.points.map((p) => ({ ...p, predicted: true })),
      });
      await store.flush();
      // The store is still open: the edits are only in the journal.
      const set = labelledFaceSet(await readProjectSnapshot(dir), 'landmarks');
      expect(set.faces.map((f) => f.imageId)).not.toContain(images[1]!.id);
      expect(set.faces.map((f) => f.imageId)).not.toContain(images[2]!.id);
      expect(set.skipped).toMatchObject({ 'partly labelled': 1, 'points still predicted': 1 });
      // Put them back for the other tests.
      await store.saveFace(face);
      await store.saveFace(other);
    } finally {
      await store.close();
    }
  });

  it('gives binary attributes as 1, 0 or NaN, and leaves out faces with none', async () => {
    const set = await readLabelledFaces(dir, 'attributes');
    if (set.task !== 'attributes') throw new Error('not attributes');
    expect(set.attributes).toEqual(['Male', 'Smiling', 'Eyeglasses']);
    // The fixture labels every other face: 0 (Male, Smiling), 2 (not male), 4 (male), 6 (pool).
    const byId = new Map(set.faces.map((f) => [f.imageId, f.label]));
    expect(byId.get(images[0]!.id)).toEqual([1, 1, NaN]);
    expect(byId.get(images[2]!.id)).toEqual([0, NaN, NaN]);
    expect(byId.has(images[1]!.id)).toBe(false);
    expect(set.faces).toHaveLength(3);
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
