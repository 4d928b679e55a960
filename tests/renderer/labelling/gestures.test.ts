/**
 * What pointer and canvas key events mean: click or drag by distance, Shift for a group, Space or
 * the middle button for a pan, place mode's clicks, hover, the wheel, and which keys act on the
 * hovered or the last-touched point. Positions are stage pixels, as the view forwards them.
 */
import { describe, expect, it } from 'vitest';
import type { Landmark } from '$shared/domain';
import { CanvasModel } from '../../../src-renderer/src/features/labelling/model/canvas-model';
import { emptyPoints } from '../../../src-renderer/src/features/labelling/model/face-record';
import {
  CanvasGestures,
  DRAG_THRESHOLD_PX,
  HIT_RADIUS_PX,
  isCanvasCommand,
  type Template,
} from '../../../src-renderer/src/features/labelling/model/gestures';
import { FACE5, FIVE, HUMAN } from './fixtures';

const IMAGE = 'a'.repeat(64);
const SIZE = { width: 200, height: 160 };

const TEMPLATE: Template = {
  points: [
    { x: 0.2, y: 0.3 },
    { x: 0.8, y: 0.3 },
    { x: 0.5, y: 0.55 },
    { x: 0.3, y: 0.8 },
    { x: 0.7, y: 0.8 },
  ],
  source: 'labelled',
};

const LEFT = { button: 0, shift: false };

function setup(points: Landmark[] | null = FACE5) {
  const model = new CanvasModel(FIVE, { viewport: { width: 640, height: 480 } });
  model.load({ imageId: IMAGE, imageSize: SIZE, points: points?.map((p) => ({ ...p })) ?? null });
  const notices: (string | null)[] = [];
  const gestures = new CanvasGestures(model, TEMPLATE, (text) => notices.push(text));
  gestures.loaded();
  return { model, gestures, notices, at: (i: number) => model.imageToStage(model.points[i]!) };
}

describe('CanvasGestures: click or drag', () => {
  it('treats a press that moves less than the threshold as a click on the point', () => {
    const { model, gestures, at } = setup();
    const p = at(2);
    gestures.pointerDown(p, LEFT);
    gestures.pointerMove({ x: p.x + DRAG_THRESHOLD_PX - 1, y: p.y });
    gestures.pointerUp();
    expect(gestures.active).toBe(2);
    expect(model.mode).toBe('idle');
    expect(model.canUndo).toBe(false);
    expect(model.points).toEqual(FACE5);
  });

  it('drags the point once the press moves past the threshold: one undo step', () => {
    const { model, gestures, at } = setup();
    const p = at(2);
    const scale = model.transform.scale;
    gestures.pointerDown(p, LEFT);
    gestures.pointerMove({ x: p.x + DRAG_THRESHOLD_PX, y: p.y });
    expect(model.mode).toBe('drag');
    gestures.pointerMove({ x: p.x + 10 * scale, y: p.y });
    gestures.pointerUp();
    expect(model.mode).toBe('idle');
    expect(model.points[2]!.x).toBeCloseTo(100, 6);
    expect(model.undoLabel).toBe('move nose (2)');
    expect(gestures.active).toBe(2);
  });

  it('does nothing for a press on empty canvas outside place mode', () => {
    const { model, gestures } = setup();
    gestures.pointerDown({ x: 5, y: 5 }, LEFT);
    gestures.pointerMove({ x: 50, y: 50 });
    gestures.pointerUp();
    expect(model.mode).toBe('idle');
    expect(model.canUndo).toBe(false);
    expect(gestures.active).toBeNull();
  });

  it("selects a point's group with Shift and drags the whole group", () => {
    const { model, gestures, at } = setup();
    const p = at(0);
    const scale = model.transform.scale;
    gestures.pointerDown(p, { button: 0, shift: true });
    expect(model.mode).toBe('select');
    expect(model.selectedGroup).toBe('eyes');
    gestures.pointerMove({ x: p.x, y: p.y + 5 * scale });
    gestures.pointerUp();
    expect(model.points[0]!.y).toBeCloseTo(65, 6);
    expect(model.points[1]!.y).toBeCloseTo(67, 6);
    expect(model.points[2]).toEqual(FACE5[2]);
  });
});

describe('CanvasGestures: pan and zoom', () => {
  it('pans with Space held, and a resize no longer refits the face after that', () => {
    const { model, gestures } = setup();
    const before = model.transform;
    gestures.setSpace(true);
    gestures.pointerDown({ x: 300, y: 200 }, LEFT);
    expect(model.mode).toBe('pan');
    gestures.pointerMove({ x: 330, y: 190 });
    gestures.pointerUp();
    expect(model.mode).toBe('idle');
    expect(model.transform.offsetX).toBeCloseTo(before.offsetX + 30, 6);
    expect(model.transform.offsetY).toBeCloseTo(before.offsetY - 10, 6);
    const panned = model.transform;
    gestures.resize({ width: 800, height: 600 });
    expect(model.transform).toEqual(panned);
  });

  it('pans with the middle button without Space', () => {
    const { model, gestures } = setup();
    gestures.pointerDown({ x: 300, y: 200 }, { button: 1, shift: false });
    expect(model.mode).toBe('pan');
    gestures.pointerUp();
    expect(model.mode).toBe('idle');
  });

  it('refits the face on a resize until the person zooms', () => {
    const { model, gestures } = setup();
    const fitted = model.transform;
    gestures.resize({ width: 1280, height: 960 });
    const refitted = model.transform;
    expect(refitted.scale).toBeGreaterThan(fitted.scale * 1.5);
    model.fitFace();
    expect(model.transform).toEqual(refitted);
    gestures.wheel({ x: 100, y: 100 }, -100);
    const zoomed = model.transform;
    gestures.resize({ width: 640, height: 480 });
    expect(model.transform).toEqual(zoomed);
  });

  it('zooms around the cursor with the wheel, but not during a drag', () => {
    const { model, gestures, at } = setup();
    const cursor = { x: 320, y: 240 };
    const under = model.stageToImage(cursor);
    gestures.wheel(cursor, -100);
    expect(model.transform.scale).toBeGreaterThan(1);
    const still = model.imageToStage(under);
    expect(still.x).toBeCloseTo(cursor.x, 6);
    expect(still.y).toBeCloseTo(cursor.y, 6);
    const p = at(2);
    gestures.pointerDown(p, LEFT);
    gestures.pointerMove({ x: p.x + 20, y: p.y });
    const during = model.transform;
    gestures.wheel(cursor, -100);
    expect(model.transform).toEqual(during);
  });
});

describe('CanvasGestures: place mode and hover', () => {
  it('places the next point where a click lands, then says when every point is placed', () => {
    const { model, gestures, notices } = setup(null);
    gestures.setTool('place');
    for (let i = 0; i < 5; i += 1) {
      const stage = model.imageToStage(FACE5[i]!);
      gestures.pointerDown(stage, LEFT);
      gestures.pointerUp();
      expect(gestures.active).toBe(i);
    }
    model.points.forEach((p, i) => {
      expect(p.x).toBeCloseTo(FACE5[i]!.x, 6);
      expect(p.y).toBeCloseTo(FACE5[i]!.y, 6);
    });
    gestures.pointerDown({ x: 10, y: 10 }, LEFT);
    gestures.pointerUp();
    expect(notices.at(-1)).toBe('Every point is placed');
  });

  it('hovers the nearest labelled point within the hit radius, and forgets it on leave', () => {
    const { model, gestures, at } = setup([...FACE5.slice(0, 4), { x: 0, y: 0, v: 0, ...HUMAN }]);
    const changes: number[] = [];
    gestures.on(() => changes.push(gestures.hovered ?? -1));
    const p = at(3);
    gestures.pointerMove({ x: p.x + HIT_RADIUS_PX - 1, y: p.y });
    expect(gestures.hovered).toBe(3);
    gestures.pointerMove({ x: p.x + HIT_RADIUS_PX + 1, y: p.y });
    expect(gestures.hovered).toBeNull();
    // An unlabelled point is never hit, even right under the pointer.
    gestures.pointerMove(model.imageToStage({ x: 0, y: 0 }));
    expect(gestures.hovered).toBeNull();
    gestures.pointerMove(p);
    gestures.pointerLeave();
    expect(gestures.hovered).toBeNull();
    expect(changes).toEqual([3, -1, 3, -1]);
  });
});

describe('CanvasGestures: placing by keyboard', () => {
  // No face box: the template goes into the centred square of side 80 at (60, 40), so point 0's
  // guess is (60 + 0.2 × 80, 40 + 0.3 × 80) and point 1's (60 + 0.8 × 80, 64).
  const GUESS0 = { x: 76, y: 64 };
  const GUESS1 = { x: 124, y: 64 };

  it('shows a cursor only in place mode, at the template position of the next point', () => {
    const { gestures } = setup(null);
    expect(gestures.cursor).toBeNull();
    gestures.setTool('place');
    expect(gestures.cursor).toEqual(GUESS0);
    gestures.setTool('idle');
    expect(gestures.cursor).toBeNull();
  });

  it('moves the cursor by screen pixels with the arrows and places the point with Enter', () => {
    const { model, gestures } = setup(null);
    gestures.setTool('place');
    const scale = model.transform.scale;
    gestures.run({ kind: 'move-selection', dx: 10, dy: -5 });
    const moved = { x: GUESS0.x + 10 / scale, y: GUESS0.y - 5 / scale };
    expect(gestures.cursor!.x).toBeCloseTo(moved.x, 6);
    expect(gestures.cursor!.y).toBeCloseTo(moved.y, 6);
    gestures.run({ kind: 'place-at-cursor' });
    expect(model.points[0]!.x).toBeCloseTo(moved.x, 6);
    expect(model.points[0]!.y).toBeCloseTo(moved.y, 6);
    expect(model.points[0]).toMatchObject({ v: 2, source: 'human', confirmed: true });
    expect(gestures.active).toBe(0);
    // The next guess carries the correction made to the last point.
    expect(gestures.cursor!.x).toBeCloseTo(GUESS1.x + 10 / scale, 6);
    expect(gestures.cursor!.y).toBeCloseTo(GUESS1.y - 5 / scale, 6);
  });

  it('places every point with Enter alone, then has no cursor left', () => {
    const { model, gestures, notices } = setup(null);
    gestures.setTool('place');
    for (let i = 0; i < 5; i += 1) gestures.run({ kind: 'place-at-cursor' });
    expect(model.points.every((p) => p.v === 2)).toBe(true);
    expect(model.points[1]).toMatchObject(GUESS1);
    expect(model.nextToPlace).toBeNull();
    expect(gestures.cursor).toBeNull();
    expect(notices).toEqual([]);
  });

  it('carries a click’s correction too, and forgets it on the next face', () => {
    const { model, gestures } = setup(null);
    gestures.setTool('place');
    gestures.pointerDown(model.imageToStage(FACE5[0]!), LEFT);
    gestures.pointerUp();
    const carried = { x: GUESS1.x + FACE5[0]!.x - GUESS0.x, y: GUESS1.y + FACE5[0]!.y - GUESS0.y };
    expect(gestures.cursor!.x).toBeCloseTo(carried.x, 6);
    expect(gestures.cursor!.y).toBeCloseTo(carried.y, 6);
    model.load({ imageId: 'b'.repeat(64), imageSize: SIZE, points: null });
    gestures.loaded();
    expect(gestures.cursor).toEqual(GUESS0);
  });

  it('does nothing with Enter outside place mode', () => {
    const { model, gestures } = setup(null);
    gestures.run({ kind: 'place-at-cursor' });
    expect(model.points.every((p) => p.v === 0)).toBe(true);
    expect(model.canUndo).toBe(false);
  });
});

describe('CanvasGestures: canvas keys', () => {
  it('acts on the hovered point, else the last one touched', () => {
    const { model, gestures, at } = setup();
    gestures.pointerDown(at(1), LEFT);
    gestures.pointerUp(); // touches 1
    gestures.pointerLeave();
    gestures.run({ kind: 'toggle-occluded' });
    expect(model.points[1]!.v).toBe(1);
    gestures.pointerMove(at(4));
    gestures.run({ kind: 'clear-point' });
    expect(model.points[4]!.v).toBe(0);
    expect(model.points[1]!.v).toBe(1);
  });

  it('cancels a drag with Escape and refuses edits until it ends', () => {
    const { model, gestures, at } = setup();
    const p = at(2);
    gestures.pointerDown(p, LEFT);
    gestures.pointerMove({ x: p.x + 30, y: p.y });
    gestures.run({ kind: 'toggle-occluded' });
    gestures.run({ kind: 'undo' });
    expect(model.mode).toBe('drag');
    gestures.run({ kind: 'escape' });
    expect(model.mode).toBe('idle');
    expect(model.points).toEqual(FACE5);
    expect(model.canUndo).toBe(false);
  });

  it('moves a selection by screen pixels with the arrows, whatever the zoom', () => {
    const { model, gestures } = setup();
    gestures.selectGroup('mouth');
    const scale = model.transform.scale;
    gestures.run({ kind: 'move-selection', dx: 10, dy: 0 });
    expect(model.points[3]!.x).toBeCloseTo(66 + 10 / scale, 6);
    expect(model.points[0]).toEqual(FACE5[0]);
  });

  it('confirms the point touched, else every unconfirmed point, and says when there is none', () => {
    const template = FACE5.map((p) => ({ ...p, source: 'template' as const, confirmed: false }));
    const { model, gestures, notices, at } = setup(template);
    gestures.pointerDown(at(2), LEFT);
    gestures.pointerUp();
    gestures.confirm();
    expect(model.points.map((p) => p.confirmed)).toEqual([false, false, true, false, false]);
    gestures.confirm();
    expect(notices.at(-1)).toBe('That point is already confirmed');
    gestures.run({ kind: 'confirm-all' });
    expect(model.points.every((p) => p.confirmed)).toBe(true);
    gestures.run({ kind: 'confirm-all' });
    expect(notices.at(-1)).toBe('No unconfirmed point to confirm');
  });

  it('drops the template into the face and says where it came from', () => {
    const { model, gestures, notices } = setup(emptyPoints(5));
    gestures.run({ kind: 'drop-template' });
    expect(model.points.every((p) => p.v === 2 && p.source === 'template')).toBe(true);
    expect(notices.at(-1)).toMatch(/^Dropped the mean of your labelled faces/);
  });

  it('drops a template placed by the studio where it put it, saying whether the eyes pinned it', () => {
    const { model, gestures, notices } = setup(emptyPoints(5));
    const placed: [number, number][] = [
      [60, 62],
      [140, 58],
      [100, 100],
      [72, 150],
      [128, 152],
    ];
    gestures.dropPlaced(placed, 'eyes');
    model.points.forEach((p, i) => {
      expect(p.x).toBeCloseTo(placed[i]![0], 9);
      expect(p.y).toBeCloseTo(placed[i]![1], 9);
      expect([p.v, p.source, p.confirmed]).toEqual([2, 'template', false]);
    });
    expect(notices.at(-1)).toMatch(/fitted to the eyes and mouth/);
    gestures.dropPlaced(placed, 'box', 'no eyes found');
    expect(notices.at(-1)).toMatch(/into the face box \(no eyes found\)/);
  });

  it('tells canvas commands from the labeller’s', () => {
    expect(isCanvasCommand({ kind: 'undo' })).toBe(true);
    expect(isCanvasCommand({ kind: 'zoom', factor: 2 })).toBe(true);
    expect(isCanvasCommand({ kind: 'next-image' })).toBe(false);
    expect(isCanvasCommand({ kind: 'save' })).toBe(false);
    expect(isCanvasCommand({ kind: 'toggle-attribute', index: 0 })).toBe(false);
  });
});

describe('CanvasGestures: reveal', () => {
  it('pans a point near the edge into the middle, and leaves one in view alone', () => {
    const { model, gestures } = setup();
    gestures.run({ kind: 'zoom', factor: 4 }); // about the middle of the stage, near the nose
    const inView = model.transform;
    gestures.reveal(2);
    expect(model.transform).toEqual(inView);
    gestures.focus(0);
    const at = model.imageToStage(model.points[0]!);
    expect(at.x).toBeCloseTo(320, 6);
    expect(at.y).toBeCloseTo(240, 6);
    expect(gestures.active).toBe(0);
  });
});
