/**
 * The labeller store against a scripted studio: when it saves (one request per burst, none when
 * nothing changed, before leaving an image), what it sends (the revision it read), and what it
 * does when another window saved the face first. Runes run as in the page (client build).
 */
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONFLICT_MESSAGE } from '../../../src-renderer/src/features/labelling/face-revision';
import {
  Labeller,
  NOTHING_LEFT,
} from '../../../src-renderer/src/features/labelling/labeller.svelte';
import { AUTOSAVE_MS } from '../../../src-renderer/src/features/labelling/autosave.svelte';
import type { CanvasModel } from '../../../src-renderer/src/features/labelling/model/canvas-model';
import type { ResponseOf } from '$shared/ipc-contract';
import { deferred, Refusal, settle } from '../support/fake-studio';
import { studio } from '../support/install-studio';
import {
  face,
  FACE_POINTS,
  IMAGE_IDS,
  PROJECT_TEMPLATE,
  SCHEMAS,
  serveProject,
  storeFace,
  type ProjectState,
} from './project-fixture';

const [A, B, C] = IMAGE_IDS as [string, string, string];
const BOX = { x: 50, y: 50, width: 100, height: 110 };

const DIGIT_1 = { key: '1', code: 'Digit1', ctrl: false, shift: false, alt: false };
const ENTER = { key: 'Enter', code: 'Enter', ctrl: false, shift: false, alt: false };
const KEY_N = { key: 'n', code: 'KeyN', ctrl: false, shift: false, alt: false };
const ESCAPE = { key: 'Escape', code: 'Escape', ctrl: false, shift: false, alt: false };

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** Every image labelled: the labeller opens on the first one, A (revision 3). */
function labelAll(state: ProjectState): void {
  for (const i of state.items) i.labelled = true;
  state.faces.set(C, face(C, 1));
}

async function open(prepare?: (state: ProjectState) => void) {
  const state = serveProject(studio);
  prepare?.(state);
  const labeller = new Labeller();
  await labeller.start();
  const model = labeller.model as CanvasModel;
  expect(model).not.toBeNull();
  return { labeller, state, model };
}

/** Runs the autosave timer out and lets the save's answer land. */
async function quietSpell(): Promise<void> {
  await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
  await settle();
}

describe('Labeller: opening', () => {
  it('opens on the first unlabelled image, with nothing to save', async () => {
    const { labeller } = await open();
    expect(labeller.error).toBeNull();
    expect(labeller.image?.id).toBe(C);
    expect(labeller.navigation.position).toBe(2);
    expect(labeller.navigation.total).toBe(3);
    expect(labeller.points).toHaveLength(5);
    expect(labeller.labelledCount).toBe(0);
    expect(labeller.autosave.state).toBe('saved');
    await quietSpell();
    expect(studio.requests('labels:save')).toEqual([]);
  });

  it('opens on the first image when every image is labelled, showing its stored points', async () => {
    const { labeller } = await open(labelAll);
    expect(labeller.image?.id).toBe(A);
    expect(labeller.points.map((p) => [p.x, p.y])).toEqual(FACE_POINTS.map((p) => [p.x, p.y]));
  });
});

describe('Labeller: opening, the first image beside the schemas', () => {
  it('looks for the first unlabelled image while the schemas are still being asked', async () => {
    serveProject(studio);
    const schemas = deferred<ResponseOf<'schema:get'>>();
    studio.handle('schema:get', () => schemas.promise);
    const labeller = new Labeller();
    const started = labeller.start();
    await settle();
    // The list requests went out before the schemas came back.
    expect(studio.requests('library:list').length).toBeGreaterThan(0);
    expect(labeller.image).toBeNull();
    schemas.resolve(SCHEMAS);
    await started;
    expect(labeller.error).toBeNull();
    expect(labeller.image?.id).toBe(C);
  });
});

describe("Labeller: opening, the project's template apart", () => {
  it('shows the first face before the template comes, then drops the one that came', async () => {
    serveProject(studio);
    const template = deferred<ResponseOf<'schema:template'>>();
    studio.handle('schema:template', () => template.promise);
    studio.handle('labels:template', () => {
      throw new Error('no landmark net here');
    });
    const labeller = new Labeller();
    await labeller.start();
    expect(labeller.error).toBeNull();
    expect(labeller.image?.id).toBe(C);
    // Asked once the image is on screen, not with its face: its reading would slow the image.
    await settle();
    expect(studio.requests('schema:template')).toHaveLength(0);
    labeller.imageSettled();
    labeller.imageSettled();
    await settle();
    expect(studio.requests('schema:template')).toHaveLength(1);
    template.resolve({ ...PROJECT_TEMPLATE, templateSource: 'labelled' });
    await settle();
    await labeller.dropTemplate();
    expect(labeller.notice).toMatch(/^Dropped the mean of your labelled faces into the face box/);
    expect(labeller.points.every((p) => p.source === 'template')).toBe(true);
  });

  it("says when the template could not be had, and drops the schema's", async () => {
    serveProject(studio);
    studio.handle('schema:template', () => {
      throw new Error('labels.json is corrupt');
    });
    studio.handle('labels:template', () => {
      throw new Error('no landmark net here');
    });
    const labeller = new Labeller();
    await labeller.start();
    // An image that failed to load settles too.
    labeller.imageSettled();
    await settle();
    expect(labeller.image?.id).toBe(C);
    expect(labeller.notice).toMatch(/could not be had \(.*labels\.json is corrupt\)/);
    await labeller.dropTemplate();
    expect(labeller.notice).toMatch(/^Dropped the schema's mean face into the face box/);
  });
});

describe('Labeller: placing by keyboard', () => {
  const press = (key: string) => ({ key, code: key, ctrl: false, shift: false, alt: false });

  it('shows the cursor in place mode, moves it with an arrow and places a point with Enter', async () => {
    const { labeller, model } = await open();
    expect(labeller.cursor).toBeNull();
    expect(labeller.key(press('p'))).toBe(true);
    const start = labeller.cursor!;
    expect(start).not.toBeNull();
    labeller.key(press('ArrowRight'));
    expect(labeller.cursor!.x).toBeCloseTo(start.x + 1 / model.transform.scale, 6);
    expect(labeller.cursor!.y).toBe(start.y);
    const at = labeller.cursor!;
    expect(labeller.key(press('Enter'))).toBe(true);
    expect(labeller.labelledCount).toBe(1);
    expect(labeller.points[0]!.x).toBeCloseTo(at.x, 6);
    expect(labeller.points[0]!.y).toBeCloseTo(at.y, 6);
    expect(labeller.cursor).not.toEqual(at);
    labeller.key(press('v'));
    expect(labeller.cursor).toBeNull();
  });
});

describe('Labeller: autosave', () => {
  it('saves once after a burst of edits, with the last state and the revision it read', async () => {
    const { labeller, model, state } = await open(labelAll);
    model.movePoint(0, { x: 61, y: 60 });
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS / 2);
    model.movePoint(0, { x: 62, y: 60 });
    expect(labeller.key(DIGIT_1)).toBe(true); // toggles "Smiling"
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS - 1);
    expect(studio.requests('labels:save')).toEqual([]);
    expect(labeller.autosave.state).toBe('unsaved');

    await quietSpell();
    const saves = studio.requests('labels:save');
    expect(saves).toHaveLength(1);
    expect(saves[0]!.baseRevision).toBe(3);
    expect(saves[0]!.face.points[0]).toMatchObject({ x: 62, y: 60 });
    expect(saves[0]!.face.attributes).toEqual({ Smiling: true });
    expect(state.faces.get(A)?.revision).toBe(4);
    expect(labeller.autosave.state).toBe('saved');
    await quietSpell();
    expect(studio.requests('labels:save')).toHaveLength(1);
  });

  it('does not save when an edit was undone before the quiet spell ended', async () => {
    const { labeller, model } = await open(labelAll);
    model.movePoint(0, { x: 61, y: 60 });
    expect(labeller.autosave.state).toBe('unsaved');
    model.undo();
    expect(labeller.autosave.state).toBe('saved');
    await quietSpell();
    expect(studio.requests('labels:save')).toEqual([]);
  });

  it('counts an attribute toggled back as an edit of the details: one save of them as they are', async () => {
    const { labeller } = await open(labelAll);
    labeller.toggleAttribute('Smiling');
    labeller.toggleAttribute('Smiling');
    await quietSpell();
    const saves = studio.requests('labels:save');
    expect(saves).toHaveLength(1);
    expect(saves[0]!.face.attributes).toEqual({ Smiling: false });
  });

  it('gives edits made while a save is in flight their own save, on the new revision', async () => {
    const { model, state } = await open(labelAll);
    const release = deferred<void>();
    studio.handle('labels:save', async (request) => {
      await release.promise;
      return storeFace(state, request);
    });
    model.movePoint(0, { x: 61, y: 60 });
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(studio.requests('labels:save')).toHaveLength(1);
    model.movePoint(1, { x: 141, y: 60 }); // while the first save is out
    release.resolve();
    await quietSpell();
    const saves = studio.requests('labels:save');
    expect(saves).toHaveLength(2);
    expect(saves[1]!.baseRevision).toBe(4);
    expect(saves[1]!.face.points[1]).toMatchObject({ x: 141, y: 60 });
  });

  it('reports its save state through runes as an effect sees it', async () => {
    const { labeller, model } = await open(labelAll);
    const answer = deferred<{ saved: boolean; revision: number }>();
    studio.handle('labels:save', () => answer.promise);
    const seen: string[] = [];
    const stop = $effect.root(() => {
      $effect(() => {
        seen.push(labeller.autosave.state);
      });
    });
    flushSync();
    model.movePoint(0, { x: 61, y: 60 });
    flushSync();
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    flushSync();
    answer.resolve({ saved: true, revision: 4 });
    await settle();
    flushSync();
    stop();
    expect(seen).toEqual(['saved', 'unsaved', 'saving', 'saved']);
  });

  it('says why a save failed, and keeps the edit', async () => {
    const { labeller, model } = await open(labelAll);
    studio.handle('labels:save', () => {
      throw new Refusal('io', 'the disk is full');
    });
    model.movePoint(0, { x: 61, y: 60 });
    await quietSpell();
    expect(labeller.autosave.state).toBe('failed');
    expect(labeller.autosave.error).toBe('Not saved: the disk is full');
    expect(labeller.points[0]).toMatchObject({ x: 61, y: 60 });
  });
});

describe('Labeller: navigation', () => {
  it('saves the edits of the image shown before it asks for the next one', async () => {
    const { labeller, model, state } = await open(labelAll);
    model.movePoint(0, { x: 61, y: 60 });
    const before = studio.calls.length;
    await labeller.navigation.next();
    const asked = studio.channels().slice(before);
    expect(asked[0]).toBe('labels:save');
    expect(asked.indexOf('library:list')).toBeGreaterThan(0);
    expect(labeller.image?.id).toBe(B);
    expect(state.faces.get(A)?.points[0]).toMatchObject({ x: 61, y: 60 });
    await quietSpell();
    expect(studio.requests('labels:save')).toHaveLength(1);
  });

  it('sends no save when it leaves an image nobody edited', async () => {
    const { labeller } = await open(labelAll);
    await labeller.navigation.next();
    await labeller.navigation.previous();
    expect(labeller.image?.id).toBe(A);
    expect(studio.requests('labels:save')).toEqual([]);
  });

  it('stays on an image whose save failed', async () => {
    const { labeller, model } = await open(labelAll);
    studio.handle('labels:save', () => {
      throw new Refusal('io', 'the disk is full');
    });
    model.movePoint(0, { x: 61, y: 60 });
    await labeller.navigation.next();
    expect(labeller.image?.id).toBe(A);
    expect(labeller.autosave.error).toBe('Not saved: the disk is full');
  });

  it('says so at the ends of the library', async () => {
    const { labeller } = await open(labelAll);
    await labeller.navigation.previous();
    expect(labeller.notice).toBe('This is the first image');
    expect(labeller.image?.id).toBe(A);
  });
});

describe('Labeller: another window', () => {
  const moved = FACE_POINTS.map((p) => ({ ...p, x: p.x + 5 }));

  it('reloads the stored face when its save is refused as stale, and says the edit is gone', async () => {
    const { labeller, model, state } = await open(labelAll);
    state.faces.set(A, face(A, 4, moved)); // saved elsewhere after this window read revision 3
    model.movePoint(0, { x: 61, y: 60 });
    await quietSpell();
    expect(studio.requests('labels:save')).toHaveLength(1);
    expect(labeller.autosave.conflict).toBe(CONFLICT_MESSAGE);
    expect(labeller.points[0]).toMatchObject({ x: 65, y: 60 });
    expect(labeller.autosave.state).toBe('saved');
    // The next save edits what is stored now.
    model.movePoint(2, { x: 101, y: 100 });
    await quietSpell();
    expect(studio.requests('labels:save')[1]!.baseRevision).toBe(4);
  });

  it('reloads a face saved elsewhere when this window has no edit, without a warning', async () => {
    const { labeller, state } = await open(labelAll);
    state.faces.set(A, face(A, 4, moved));
    studio.emit('labels:changed', { faces: [{ imageId: A, revision: 4 }] });
    await settle();
    expect(labeller.points[0]).toMatchObject({ x: 65, y: 60 });
    expect(labeller.autosave.conflict).toBeNull();
  });

  it('drops unsaved edits for a face saved elsewhere, says so, and sends nothing', async () => {
    const { labeller, model, state } = await open(labelAll);
    model.movePoint(0, { x: 61, y: 60 });
    state.faces.set(A, face(A, 4, moved));
    studio.emit('labels:changed', { faces: [{ imageId: A, revision: 4 }] });
    await settle();
    expect(labeller.autosave.conflict).toBe(CONFLICT_MESSAGE);
    expect(labeller.points[0]).toMatchObject({ x: 65, y: 60 });
    await quietSpell();
    expect(studio.requests('labels:save')).toEqual([]);
  });

  it('ignores the report of its own save', async () => {
    const { labeller, model } = await open(labelAll);
    model.movePoint(0, { x: 61, y: 60 });
    await quietSpell();
    const reads = studio.requests('labels:get').length;
    studio.emit('labels:changed', { faces: [{ imageId: A, revision: 4 }] });
    await settle();
    expect(studio.requests('labels:get')).toHaveLength(reads);
    expect(labeller.points[0]).toMatchObject({ x: 61, y: 60 });
  });

  it('judges a change reported during a drag when the drag ends', async () => {
    const { labeller, model, state } = await open(labelAll);
    const at = model.imageToStage(FACE_POINTS[0]!);
    model.beginDrag(0, at);
    model.updateDrag({ x: at.x + 30, y: at.y });
    state.faces.set(A, face(A, 4, moved));
    studio.emit('labels:changed', { faces: [{ imageId: A, revision: 4 }] });
    await settle();
    expect(labeller.mode).toBe('drag');
    const reads = studio.requests('labels:get').length;
    model.endDrag();
    await settle();
    expect(studio.requests('labels:get')).toHaveLength(reads + 1);
    expect(labeller.autosave.conflict).toBe(CONFLICT_MESSAGE);
    expect(labeller.points[0]).toMatchObject({ x: 65, y: 60 });
  });
});

/** Places every point of the face shown by clicking in schema order, as a person does. */
function placeAll(model: CanvasModel): void {
  model.setMode('place');
  for (const p of FACE_POINTS) model.placePoint(model.imageToStage(p));
  model.setMode('idle');
}

/** B unlabelled too: the labeller opens on B, and C still waits after it. */
function twoUnlabelled(state: ProjectState): void {
  state.items[1]!.labelled = false;
  state.faces.delete(B);
}

describe('Labeller: the next face, once the last point is placed', () => {
  it('offers the next unlabelled face after the last point, and Enter saves and takes it', async () => {
    const { labeller, model, state } = await open(twoUnlabelled);
    expect(labeller.image?.id).toBe(B);
    expect(labeller.faceComplete).toBe(false);
    expect(labeller.moreToLabel).toBeNull();
    // Enter means nothing while points are missing.
    expect(labeller.key(ENTER)).toBe(true);
    await settle();
    expect(labeller.image?.id).toBe(B);

    placeAll(model);
    expect(labeller.faceComplete).toBe(true);
    await settle();
    expect(labeller.moreToLabel).toBe(true);

    labeller.key(ENTER);
    // It saves B, then scans the library for the next unlabelled image and loads it.
    await settle(100);
    expect(labeller.image?.id).toBe(C);
    expect(state.faces.get(B)?.points).toHaveLength(5);
    // The new face is empty: no prompt until it is complete too.
    expect(labeller.faceComplete).toBe(false);
    expect(labeller.moreToLabel).toBeNull();
  });

  it('says no image is left, pointing to Train, when the last unlabelled face is complete', async () => {
    const { labeller, model } = await open();
    expect(labeller.image?.id).toBe(C);
    placeAll(model);
    await settle();
    expect(labeller.moreToLabel).toBe(false);
    labeller.key(ENTER);
    // It saves B, then scans the library for the next unlabelled image and loads it.
    await settle(100);
    expect(labeller.image?.id).toBe(C);
    expect(labeller.notice).toBe(NOTHING_LEFT);
    expect(NOTHING_LEFT).toContain('Train');
  });

  it('waits for template points to be confirmed before it offers the next face', async () => {
    const { labeller } = await open(twoUnlabelled);
    labeller.run({ kind: 'drop-template' });
    await settle();
    expect(labeller.labelledCount).toBe(5);
    expect(labeller.faceComplete).toBe(false);
    await settle();
    expect(labeller.moreToLabel).toBeNull();
    labeller.run({ kind: 'confirm-all' });
    await settle();
    expect(labeller.faceComplete).toBe(true);
    expect(labeller.moreToLabel).toBe(true);
  });

  it('withdraws the offer when a point is cleared again', async () => {
    const { labeller, model } = await open(twoUnlabelled);
    placeAll(model);
    await settle();
    expect(labeller.moreToLabel).toBe(true);
    model.clearPoint(4);
    expect(labeller.faceComplete).toBe(false);
    expect(labeller.moreToLabel).toBeNull();
  });
});

describe('Labeller: one-of-N attributes', () => {
  it('lists the set’s one-of-N attributes and saves the class chosen, beside the points', async () => {
    const { labeller, state } = await open(labelAll);
    expect(labeller.classAttributes).toEqual([
      { name: 'pose', classes: ['left', 'frontal', 'right'] },
    ]);
    labeller.chooseClass('pose', 'frontal');
    await quietSpell();
    expect(studio.requests('labels:save')).toHaveLength(1);
    expect(state.faces.get(A)?.classes).toEqual({ pose: 'frontal' });
    labeller.chooseClass('pose', 'frontal');
    await quietSpell();
    expect(state.faces.get(A)).not.toHaveProperty('classes');
  });

  it('keeps an imported pose when only the points are edited', async () => {
    const { model, state } = await open((s) => {
      labelAll(s);
      s.faces.set(A, { ...face(A, 3), classes: { pose: 'right' } });
    });
    model.movePoint(0, { x: 61, y: 60 });
    await quietSpell();
    expect(state.faces.get(A)?.points[0]).toMatchObject({ x: 61, y: 60 });
    expect(state.faces.get(A)?.classes).toEqual({ pose: 'right' });
  });
});

describe('Labeller: the shortcut list', () => {
  it('keeps the keys from the canvas while it is open; Escape closes it', async () => {
    const { labeller } = await open(labelAll);
    labeller.key({ key: '?', code: 'Slash', ctrl: false, shift: true, alt: false });
    expect(labeller.showHelp).toBe(true);
    labeller.key(KEY_N);
    await settle();
    expect(labeller.image?.id).toBe(A);
    expect(labeller.showHelp).toBe(true);
    labeller.key(ESCAPE);
    expect(labeller.showHelp).toBe(false);
    labeller.key(KEY_N);
    await settle();
    expect(labeller.image?.id).toBe(B);
  });
});

describe('Labeller: the template', () => {
  const FITTED: [number, number][] = [
    [62, 64],
    [138, 61],
    [101, 103],
    [73, 148],
    [127, 151],
  ];

  it('drops the template where the studio fitted it to the eyes, asking with the face box', async () => {
    const { labeller } = await open((state) => {
      state.items[2] = { ...state.items[2]!, face: { box: BOX, crop: BOX, score: 0.9 } };
    });
    studio.handle('labels:template', () => ({ points: FITTED, fit: 'eyes', source: 'schema' }));
    labeller.run({ kind: 'drop-template' });
    await settle();
    expect(studio.requests('labels:template')).toEqual([{ imageId: C, box: BOX }]);
    expect(labeller.points.map((p) => [p.x, p.y])).toEqual(FITTED);
    expect(labeller.points.every((p) => p.source === 'template' && !p.confirmed)).toBe(true);
    expect(labeller.notice).toMatch(/fitted to the eyes/);
  });

  it('drops it into the face box, saying why, when the studio cannot fit it', async () => {
    const { labeller } = await open();
    studio.handle('labels:template', () => {
      throw new Refusal('internal', 'no landmark net');
    });
    labeller.run({ kind: 'drop-template' });
    await settle();
    expect(labeller.labelledCount).toBe(5);
    expect(labeller.notice).toMatch(/into the face box.*no landmark net/);
  });

  it('drops nothing when the face was edited while the studio was asked', async () => {
    const { labeller, model } = await open();
    const answer = deferred<ResponseOf<'labels:template'>>();
    studio.handle('labels:template', () => answer.promise);
    labeller.run({ kind: 'drop-template' });
    model.setMode('place');
    model.placePoint(model.imageToStage(FACE_POINTS[0]!));
    answer.resolve({ points: FITTED, fit: 'eyes', source: 'schema' });
    await settle();
    expect(labeller.labelledCount).toBe(1);
  });
});
