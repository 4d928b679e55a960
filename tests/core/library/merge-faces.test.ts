/**
 * Importing a labelled set again (merge-faces.ts through importIntoProject): faces the user
 * changed since keep the user's labels unless `overwriteLabels` is asked for, faces equal to the
 * file are counted as unchanged, and the outcome counts each case. Fields the import knows
 * nothing about (here the note) survive an overwrite.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importIntoProject } from '../../../src-main/core/library/library-service';
import { ProjectStore } from '../../../src-main/core/project-store';
import { ptsPoints, ptsText, writePtsSet } from './tiny-sets';

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'merge-faces-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('re-importing a labelled set', () => {
  it("keeps the user's edits unless asked to overwrite, and counts each case", async () => {
    const dir = path.join(workDir, 'set');
    await writePtsSet(dir, 3);
    const store = await ProjectStore.create(path.join(workDir, 'project'), {
      name: 're-import',
      landmarkSchema: 'ibug68',
      attributeSchema: null,
    });
    const first = await importIntoProject(store, { dir, format: 'pts' });
    expect(first).toMatchObject({
      added: 3,
      labelled: 3,
      faces: { added: 3, unchanged: 0, kept: 0, overwritten: 0 },
    });

    // The user moves one point of face 0 and writes a note on it.
    const idOf = (name: string): string =>
      store.listImages().find((image) => image.path.endsWith(`${name}.jpg`))!.id;
    const edited = store.getFace(idOf('face-0'))!;
    edited.points[10] = { x: 1.5, y: 2.5, v: 1, source: 'human', confirmed: true };
    await store.saveFace({ ...edited, note: 'checked by hand' });
    // Face 2's file changes too (a corrected set): the stored face is the user's, so it stays.
    await writeFile(path.join(dir, 'face-2.pts'), ptsText(ptsPoints(7)));

    const again = await importIntoProject(store, { dir, format: 'pts' });
    expect(again).toMatchObject({
      added: 0,
      duplicates: 3,
      labelled: 0,
      faces: { added: 0, unchanged: 1, kept: 2, overwritten: 0 },
    });
    expect(store.getFace(idOf('face-0'))!.points[10]).toEqual({
      x: 1.5,
      y: 2.5,
      v: 1,
      source: 'human',
      confirmed: true,
    });
    expect(store.getFace(idOf('face-2'))!.points[0]).toMatchObject(ptsPoints(2)[0]!);

    const overwritten = await importIntoProject(store, {
      dir,
      format: 'pts',
      overwriteLabels: true,
    });
    expect(overwritten).toMatchObject({
      labelled: 2,
      faces: { added: 0, unchanged: 1, kept: 0, overwritten: 2 },
    });
    const restored = store.getFace(idOf('face-0'))!;
    expect(restored.points[10]).toMatchObject({ ...ptsPoints(0)[10], v: 2 });
    expect(restored.note).toBe('checked by hand');
    expect(store.getFace(idOf('face-2'))!.points[0]).toMatchObject(ptsPoints(7)[0]!);

    // Now the file and the project agree everywhere.
    const last = await importIntoProject(store, { dir, format: 'pts' });
    expect(last.faces).toEqual({ added: 0, unchanged: 3, kept: 0, overwritten: 0 });
    await store.close();
  });
});
