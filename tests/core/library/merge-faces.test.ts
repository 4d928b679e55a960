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
import type { z } from 'zod';
import type { LabelledFace } from '../../../src-main/core/formats/model';
import { importIntoProject } from '../../../src-main/core/library/library-service';
import { mergeFaces, type IncomingFace } from '../../../src-main/core/library/merge-faces';
import { ProjectStore } from '../../../src-main/core/project-store';
import type { FaceAnnotation, Landmark } from '../../../src-main/shared/domain';
import { imageId } from '../../support/project-data';
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

/** What mergeFaces uses of a store: one face per image, and the faces it saves. */
function fakeStore(faces: readonly FaceAnnotation[]): {
  store: ProjectStore;
  saved: z.input<typeof FaceAnnotation>[];
} {
  const byId = new Map(faces.map((face) => [face.imageId, face]));
  const saved: z.input<typeof FaceAnnotation>[] = [];
  const store = {
    getFace: (id: string) => byId.get(id) ?? null,
    saveFace: (face: z.input<typeof FaceAnnotation>) => {
      saved.push(face);
      return Promise.resolve(saved.length);
    },
  } as unknown as ProjectStore;
  return { store, saved };
}

const ID = imageId(1);
const human = (x: number, y: number, v: Landmark['v'] = 2): Landmark => ({
  x,
  y,
  v,
  source: 'human',
  confirmed: true,
});
/** Three confirmed points, as a person left them. */
const POINTS: Landmark[] = [human(10, 20), human(30, 40), human(50, 60, 1)];

function storedFace(fields: Partial<FaceAnnotation> = {}): FaceAnnotation {
  return {
    imageId: ID,
    points: POINTS,
    attributes: {},
    expression: null,
    note: 'by hand',
    updatedAt: 'earlier',
    revision: 4,
    ...fields,
  };
}

/** The file's face: by default the same three points, without provenance (as formats give them). */
function fileFace(fields: Partial<LabelledFace> = {}): IncomingFace {
  return {
    imageId: ID,
    face: { points: POINTS.map(({ x, y, v }) => ({ x, y, v })), ...fields },
  };
}

async function mergeOne(
  stored: FaceAnnotation | null,
  incoming: IncomingFace,
  overwrite = false,
): Promise<{ counts: Awaited<ReturnType<typeof mergeFaces>>; saved: unknown[] }> {
  const { store, saved } = fakeStore(stored ? [stored] : []);
  const counts = await mergeFaces(store, [incoming], {
    pointCount: 3,
    overwrite,
    updatedAt: 'now',
  });
  return { counts, saved };
}

const UNCHANGED = { added: 0, unchanged: 1, kept: 0, overwritten: 0 };
const KEPT = { added: 0, unchanged: 0, kept: 1, overwritten: 0 };
const ADDED = { added: 1, unchanged: 0, kept: 0, overwritten: 0 };

describe('mergeFaces: what counts as the same labels', () => {
  it('counts a face equal to the file as unchanged and saves nothing', async () => {
    const { counts, saved } = await mergeOne(storedFace(), fileFace());
    expect(counts).toEqual(UNCHANGED);
    expect(saved).toEqual([]);
  });

  it('reads points within 1e-6 px as the same (a float written and read back), further as edited', async () => {
    const moved = (dx: number, dy: number): IncomingFace =>
      fileFace({ points: [{ x: 10 + dx, y: 20 + dy, v: 2 }, ...fileFace().face.points.slice(1)] });
    // 0.25 + 1e-6 - 0.25 is not exactly 1e-6 in floats: use points at 0, where it is.
    const atZero = storedFace({ points: [human(0, 0), ...POINTS.slice(1)] });
    const fromZero = (x: number, y: number): IncomingFace =>
      fileFace({ points: [{ x, y, v: 2 }, ...fileFace().face.points.slice(1)] });
    expect((await mergeOne(atZero, fromZero(1e-6, 0))).counts).toEqual(UNCHANGED);
    expect((await mergeOne(atZero, fromZero(0, 1e-6))).counts).toEqual(UNCHANGED);
    expect((await mergeOne(atZero, fromZero(1e-6, 1e-6))).counts).toEqual(UNCHANGED);
    expect((await mergeOne(storedFace(), moved(1e-7, -1e-7))).counts).toEqual(UNCHANGED);
    // One coordinate off is an edit, whichever it is.
    expect((await mergeOne(storedFace(), moved(1e-3, 0))).counts).toEqual(KEPT);
    expect((await mergeOne(storedFace(), moved(0, 1e-3))).counts).toEqual(KEPT);
    expect((await mergeOne(atZero, fromZero(3e-6, 0))).counts).toEqual(KEPT);
    expect((await mergeOne(atZero, fromZero(0, 3e-6))).counts).toEqual(KEPT);
  });

  it('reads a point of another visibility at the same place as edited', async () => {
    const occluded = fileFace({
      points: [{ x: 10, y: 20, v: 1 }, ...fileFace().face.points.slice(1)],
    });
    expect((await mergeOne(storedFace(), occluded)).counts).toEqual(KEPT);
  });

  it('reads a stored face with another number of points as edited', async () => {
    const fewer = storedFace({ points: POINTS.slice(0, 2) });
    expect((await mergeOne(fewer, fileFace())).counts).toEqual(KEPT);
    const more = storedFace({ points: [...POINTS, human(1, 1)] });
    expect((await mergeOne(more, fileFace())).counts).toEqual(KEPT);
  });

  it('compares the attributes the file names: each value and how many there are', async () => {
    const stored = storedFace({ attributes: { Smiling: true, Eyeglasses: false } });
    const same = fileFace({ attributes: { Eyeglasses: false, Smiling: true } });
    expect((await mergeOne(stored, same)).counts).toEqual(UNCHANGED);
    // One value differs (the other agrees).
    const flipped = fileFace({ attributes: { Smiling: true, Eyeglasses: true } });
    expect((await mergeOne(stored, flipped)).counts).toEqual(KEPT);
    const allFlipped = fileFace({ attributes: { Smiling: false, Eyeglasses: true } });
    expect((await mergeOne(stored, allFlipped)).counts).toEqual(KEPT);
    // The file names fewer attributes than the face has, all of them equal.
    const fewer = fileFace({ attributes: { Smiling: true } });
    expect((await mergeOne(stored, fewer)).counts).toEqual(KEPT);
    // The same number, one of another name.
    const renamed = fileFace({ attributes: { Smiling: true, Bald: false } });
    expect((await mergeOne(stored, renamed)).counts).toEqual(KEPT);
  });

  it('compares the classes the file names, a face without any differing from one with some', async () => {
    const withPose = storedFace({ classes: { pose: 'frontal' } });
    expect((await mergeOne(withPose, fileFace({ classes: { pose: 'frontal' } }))).counts).toEqual(
      UNCHANGED,
    );
    expect((await mergeOne(withPose, fileFace({ classes: { pose: 'left' } }))).counts).toEqual(
      KEPT,
    );
    expect((await mergeOne(storedFace(), fileFace({ classes: { pose: 'left' } }))).counts).toEqual(
      KEPT,
    );
  });

  it('compares the expression the file names', async () => {
    const happy = storedFace({ expression: 'happy' });
    expect((await mergeOne(happy, fileFace({ expression: 'happy' }))).counts).toEqual(UNCHANGED);
    expect((await mergeOne(happy, fileFace({ expression: 'sad' }))).counts).toEqual(KEPT);
    expect((await mergeOne(storedFace(), fileFace({ expression: 'sad' }))).counts).toEqual(KEPT);
  });

  it('leaves out of the comparison what the file does not state', async () => {
    // No points of the schema's count, no attributes, no classes, no expression: nothing differs.
    const stored = storedFace({
      attributes: { Smiling: true },
      classes: { pose: 'frontal' },
      expression: 'happy',
    });
    const bare: IncomingFace = {
      imageId: ID,
      face: { points: [{ x: 1, y: 1, v: 2 }], attributes: {}, classes: {} },
    };
    expect((await mergeOne(stored, bare)).counts).toEqual(UNCHANGED);
  });
});

describe('mergeFaces: what is written', () => {
  it('adds a face the project does not have, with the blank points of the schema when the file has none', async () => {
    const incoming: IncomingFace = {
      imageId: ID,
      face: {
        points: [],
        box: { x: 1, y: 2, width: 30, height: 40 },
        attributes: { Smiling: true },
        classes: { pose: 'left' },
      },
    };
    const { counts, saved } = await mergeOne(null, incoming);
    expect(counts).toEqual(ADDED);
    expect(saved).toEqual([
      {
        imageId: ID,
        points: [human(0, 0, 0), human(0, 0, 0), human(0, 0, 0)],
        box: { x: 1, y: 2, width: 30, height: 40 },
        attributes: { Smiling: true },
        classes: { pose: 'left' },
        expression: null,
        updatedAt: 'now',
      },
    ]);
  });

  it("replaces a face holding only a model's unconfirmed guesses as a new one", async () => {
    const guess: Landmark = { x: 5, y: 5, v: 2, source: 'model', confirmed: false };
    const guessed = storedFace({ points: [guess, guess, guess], note: '' });
    const { counts, saved } = await mergeOne(guessed, fileFace({ expression: 'happy' }));
    expect(counts).toEqual(ADDED);
    expect(saved).toEqual([
      {
        ...guessed,
        points: POINTS,
        attributes: {},
        expression: 'happy',
        updatedAt: 'now',
      },
    ]);
  });

  it("treats an expression or an attribute alone as a person's work", async () => {
    const blank: Landmark = { x: 0, y: 0, v: 0, source: 'human', confirmed: true };
    const none = [blank, blank, blank];
    const expressed = storedFace({ points: none, expression: 'happy' });
    expect((await mergeOne(expressed, fileFace())).counts).toEqual(KEPT);
    const attributed = storedFace({ points: none, attributes: { Smiling: true } });
    expect((await mergeOne(attributed, fileFace())).counts).toEqual(KEPT);
    // Nothing at all: the file's face goes in as new.
    expect((await mergeOne(storedFace({ points: none }), fileFace())).counts).toEqual(ADDED);
  });

  it("counts one confirmed point among a model's guesses as a person's work", async () => {
    const guess: Landmark = { x: 30, y: 40, v: 2, source: 'model', confirmed: false };
    const mixed = storedFace({ points: [POINTS[0]!, guess, guess] });
    expect((await mergeOne(mixed, fileFace())).counts).toEqual(KEPT);
  });

  it('fails when a save fails, after every face was looked at', async () => {
    const { store } = fakeStore([]);
    const refused = new Error('disk full');
    const failing = {
      getFace: store.getFace.bind(store),
      saveFace: () => Promise.reject(refused),
    } as unknown as ProjectStore;
    await expect(
      mergeFaces(failing, [fileFace()], { pointCount: 3, overwrite: false, updatedAt: 'now' }),
    ).rejects.toBe(refused);
  });

  it("overwrites an edited face with the file's labels, keeping what the file does not state", async () => {
    const stored = storedFace({
      box: { x: 0, y: 0, width: 9, height: 9 },
      attributes: { Smiling: true },
      classes: { pose: 'frontal' },
      expression: 'happy',
    });
    const moved = fileFace({
      points: [{ x: 11, y: 20, v: 2 }, ...fileFace().face.points.slice(1)],
    });
    const { counts, saved } = await mergeOne(stored, moved, true);
    expect(counts).toEqual({ added: 0, unchanged: 0, kept: 0, overwritten: 1 });
    expect(saved).toEqual([
      { ...stored, points: [human(11, 20), ...POINTS.slice(1)], updatedAt: 'now' },
    ]);

    // The file states all of them: its own replace the stored ones.
    const { saved: all } = await mergeOne(
      stored,
      fileFace({
        box: { x: 1, y: 1, width: 5, height: 5 },
        attributes: { Smiling: false },
        classes: { pose: 'left' },
        expression: 'sad',
      }),
      true,
    );
    expect(all).toEqual([
      {
        ...stored,
        box: { x: 1, y: 1, width: 5, height: 5 },
        attributes: { Smiling: false },
        classes: { pose: 'left' },
        expression: 'sad',
        updatedAt: 'now',
      },
    ]);
  });

  it('counts each face of a batch and saves the added and overwritten ones', async () => {
    const other = imageId(2);
    const third = imageId(3);
    const { store, saved } = fakeStore([storedFace(), storedFace({ imageId: other })]);
    const edited = fileFace({ expression: 'sad' });
    const counts = await mergeFaces(
      store,
      [fileFace(), { ...edited, imageId: other }, { ...fileFace(), imageId: third }],
      { pointCount: 3, overwrite: true, updatedAt: 'now' },
    );
    expect(counts).toEqual({ added: 1, unchanged: 1, kept: 0, overwritten: 1 });
    expect(saved.map((face) => [face.imageId, face.expression])).toEqual([
      [other, 'sad'],
      [third, null],
    ]);
  });
});
