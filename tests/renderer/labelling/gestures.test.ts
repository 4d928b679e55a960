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

  it('keeps the view when told the size it already has, with points just placed', () => {
    const { model, gestures } = setup(null);
    const shown = model.transform;
    gestures.setTool('place');
    gestures.pointerDown(model.imageToStage(FACE5[0]!), LEFT);
    gestures.pointerUp();
    expect(model.points.filter((p) => p.v !== 0)).toHaveLength(1);
    // A ResizeObserver's first report, late on a busy machine: the clicks that follow must still
    // land where they were aimed.
    gestures.resize({ width: 640, height: 480 });
    expect(model.transform).toEqual(shown);
  });

  it('refits what the face was shown fitted to on a resize, not the points placed since', () => {
    const { model, gestures } = setup(null);
    gestures.setTool('place');
    for (const p of FACE5.slice(0, 2)) {
      gestures.pointerDown(model.imageToStage(p), LEFT);
      gestures.pointerUp();
    }
    gestures.resize({ width: 1280, height: 960 });
    // The whole image, as when it was shown with no points: not a zoom onto the two points.
    const image = new CanvasModel(FIVE, { viewport: { width: 1280, height: 960 } });
    image.load({ imageId: IMAGE, imageSize: SIZE, points: null });
    image.fitImage();
    expect(model.transform).toEqual(image.transform);
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
    gestures.dropPlaced(placed, 'eyes', 'labelled');
    model.points.forEach((p, i) => {
      expect(p.x).toBeCloseTo(placed[i]![0], 9);
      expect(p.y).toBeCloseTo(placed[i]![1], 9);
      expect([p.v, p.source, p.confirmed]).toEqual([2, 'template', false]);
    });
    expect(notices.at(-1)).toMatch(/^Dropped the mean of your labelled faces, fitted to the eyes/);
    // The studio names the template it placed, whatever this side holds.
    gestures.dropPlaced(placed, 'box', 'schema', 'no eyes found');
    expect(notices.at(-1)).toMatch(/^Dropped the schema's mean face into the face box \(no eyes/);
  });

  it('drops a template sent after it started, and refuses one of another point count', () => {
    const { model, gestures, notices } = setup(emptyPoints(5));
    const later: Template = {
      points: TEMPLATE.points.map((p) => ({ x: 1 - p.x, y: p.y })),
      source: 'schema',
    };
    expect(() => gestures.setTemplate({ ...later, points: later.points.slice(1) })).toThrow(
      'The template has 4 points, not 5',
    );
    gestures.setTemplate(later);
    gestures.run({ kind: 'drop-template' });
    expect(notices.at(-1)).toMatch(/^Dropped the schema's mean face into the face box/);
    // Mirrored in x: the first point now sits right of the second, as `later` has it.
    expect(model.points[0]!.x).toBeGreaterThan(model.points[1]!.x);
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

describe('CanvasGestures: every canvas command', () => {
  it('switches tools, undoes and redoes by command', () => {
    const { model, gestures, at } = setup();
    gestures.run({ kind: 'tool', tool: 'place' });
    expect(model.mode).toBe('place');
    gestures.run({ kind: 'tool', tool: 'idle' });
    expect(model.mode).toBe('idle');
    gestures.pointerMove(at(1));
    gestures.run({ kind: 'toggle-occluded' });
    expect(model.points[1]!.v).toBe(1);
    gestures.run({ kind: 'undo' });
    expect(model.points[1]!.v).toBe(2);
    gestures.run({ kind: 'redo' });
    expect(model.points[1]!.v).toBe(1);
  });

  it('says how many points mirror assist proposed, or that it found none', () => {
    const face = FACE5.map((p, i) =>
      i === 1 || i === 4 ? { x: 0, y: 0, v: 0 as const, ...HUMAN } : p,
    );
    const { model, gestures, notices } = setup(face);
    gestures.run({ kind: 'mirror-assist' });
    expect(notices).toEqual(['Mirror assist proposed 2 points: check and drag them']);
    expect(model.points[1]).toMatchObject({ v: 2, source: 'template' });
    gestures.run({ kind: 'mirror-assist' });
    expect(notices.at(-1)).toBe('Mirror assist found nothing to propose');
  });

  it("selects the hovered point's group by key, resizes and moves it, and Escape drops it", () => {
    const { model, gestures, at } = setup();
    gestures.pointerMove(at(3));
    gestures.run({ kind: 'select-group' });
    expect(model.mode).toBe('select');
    expect(model.selectedGroup).toBe('mouth');
    // The mouth corners (66, 120) and (114, 121) scale about their middle (90, 120.5).
    gestures.run({ kind: 'scale-selection', factor: 2 });
    expect(model.points[3]!.x).toBeCloseTo(42, 9);
    expect(model.points[4]!.x).toBeCloseTo(138, 9);
    const scale = model.transform.scale;
    gestures.run({ kind: 'move-selection', dx: 0, dy: 10 });
    expect(model.points[3]!.y).toBeCloseTo(119.5 + 10 / scale, 6);
    expect(model.points[0]).toEqual(FACE5[0]);
    gestures.run({ kind: 'escape' });
    expect(model.mode).toBe('idle');
    expect(model.selection).toEqual([]);
  });

  it('neither resizes nor moves anything without a selection', () => {
    const { model, gestures } = setup();
    gestures.run({ kind: 'scale-selection', factor: 2 });
    gestures.run({ kind: 'move-selection', dx: 10, dy: 10 });
    expect(model.points).toEqual(FACE5);
    expect(model.canUndo).toBe(false);
  });

  it('leaves a pan running on Escape, and place mode for idle', () => {
    const { model, gestures } = setup();
    gestures.pointerDown({ x: 300, y: 200 }, { button: 1, shift: false });
    gestures.run({ kind: 'escape' });
    expect(model.mode).toBe('pan');
    gestures.pointerUp();
    gestures.setTool('place');
    gestures.run({ kind: 'escape' });
    expect(model.mode).toBe('idle');
  });

  it('stops refitting on a resize once the person zooms or fits by key', () => {
    for (const command of [
      { kind: 'zoom', factor: 2 },
      { kind: 'fit-face' },
      { kind: 'fit-image' },
    ] as const) {
      const { model, gestures } = setup();
      gestures.run({ kind: 'zoom', factor: 3 });
      gestures.run(command);
      const chosen = model.transform;
      gestures.resize({ width: 1280, height: 960 });
      expect(model.transform).toEqual(chosen);
    }
  });

  it('fits the whole image by key', () => {
    const { model, gestures } = setup();
    gestures.run({ kind: 'fit-image' });
    // 200 × 160 image in 640 × 480 less 24 px each side: the height limits, 432 / 160.
    expect(model.transform.scale).toBeCloseTo(2.7, 9);
    expect(model.imageToStage({ x: 100, y: 80 })).toEqual({ x: 320, y: 240 });
  });
});

describe('CanvasGestures: confirming', () => {
  const TEMPLATED = FACE5.map((p) => ({ ...p, source: 'template' as const, confirmed: false }));

  it('confirms the selected group, not the point under the cursor, and says nothing', () => {
    const { model, gestures, notices, at } = setup(TEMPLATED);
    gestures.selectGroup('eyes');
    gestures.pointerMove(at(2));
    gestures.confirm();
    expect(model.points.map((p) => p.confirmed)).toEqual([true, true, false, false, false]);
    gestures.run({ kind: 'confirm' });
    expect(model.points[2]!.confirmed).toBe(false);
    expect(notices).toEqual(['That point is already confirmed']);
  });

  it('confirms the point touched in select mode while nothing is selected', () => {
    const { model, gestures, notices, at } = setup(TEMPLATED);
    gestures.run({ kind: 'select-all' });
    gestures.run({ kind: 'escape' });
    model.setMode('select');
    gestures.pointerDown(at(2), LEFT);
    gestures.pointerUp();
    gestures.confirm();
    expect(model.points.map((p) => p.confirmed)).toEqual([false, false, true, false, false]);
    gestures.run({ kind: 'confirm-all' });
    expect(model.points.every((p) => p.confirmed)).toBe(true);
    expect(notices).toEqual([]);
  });
});

describe('CanvasGestures: what a gesture or a missing face holds back', () => {
  it('keeps the tool, group and confirmation until a drag ends', () => {
    const template = FACE5.map((p) => ({ ...p, source: 'template' as const, confirmed: false }));
    const { model, gestures, at } = setup(template);
    const p = at(2);
    gestures.pointerDown(p, LEFT);
    gestures.pointerMove({ x: p.x + 30, y: p.y });
    gestures.setTool('place');
    gestures.selectGroup('eyes');
    gestures.confirm(0);
    gestures.pointerDown(at(0), LEFT);
    expect(model.mode).toBe('drag');
    expect(model.points[0]!.confirmed).toBe(false);
    gestures.pointerUp();
    expect(model.mode).toBe('idle');
    expect(model.selection).toEqual([]);
  });

  it('does nothing before a face is loaded', () => {
    const model = new CanvasModel(FIVE, { viewport: { width: 640, height: 480 } });
    const gestures = new CanvasGestures(model, TEMPLATE, () => undefined);
    gestures.setTool('place');
    gestures.pointerDown({ x: 10, y: 10 }, { button: 1, shift: false });
    gestures.pointerMove({ x: 20, y: 20 });
    gestures.pointerUp();
    gestures.wheel({ x: 20, y: 20 }, -100);
    for (const kind of ['undo', 'mirror-assist', 'confirm-all', 'fit-face', 'escape'] as const) {
      gestures.run({ kind });
    }
    gestures.run({ kind: 'zoom', factor: 2 });
    expect(model.mode).toBe('idle');
    expect(model.transform).toEqual({ scale: 1, offsetX: 0, offsetY: 0 });
    expect(gestures.hovered).toBeNull();
  });

  it('refits on a resize a face shown before the gestures were made', () => {
    const model = new CanvasModel(FIVE, { viewport: { width: 640, height: 480 } });
    model.load({ imageId: IMAGE, imageSize: SIZE, points: FACE5.map((p) => ({ ...p })) });
    const gestures = new CanvasGestures(model, TEMPLATE, () => undefined);
    const before = model.transform;
    gestures.resize({ width: 1280, height: 960 });
    expect(model.transform.scale).toBeGreaterThan(before.scale * 1.5);
  });

  it('ignores the right button', () => {
    const { model, gestures, at } = setup();
    gestures.pointerDown(at(2), { button: 2, shift: false });
    gestures.pointerMove({ x: at(2).x + 30, y: at(2).y });
    gestures.pointerUp();
    expect(model.mode).toBe('idle');
    expect(model.points).toEqual(FACE5);
    expect(gestures.active).toBeNull();
  });

  it('drags only the pressed point when it lies outside the selection', () => {
    const { model, gestures, at } = setup();
    gestures.selectGroup('mouth');
    const p = at(0);
    gestures.pointerDown(p, LEFT);
    gestures.pointerMove({ x: p.x + 30, y: p.y });
    gestures.pointerUp();
    expect(model.points[0]!.x).toBeGreaterThan(FACE5[0]!.x);
    expect(model.points[1]).toEqual(FACE5[1]);
    expect(model.points[3]).toEqual(FACE5[3]);
  });

  it('ignores a zero-sized resize and keeps the view still during a drag, resizing after it', () => {
    const { model, gestures, at } = setup();
    const before = model.transform;
    gestures.resize({ width: 0, height: 300 });
    gestures.resize({ width: 300, height: 0 });
    expect(model.viewport).toEqual({ width: 640, height: 480 });
    expect(model.transform).toEqual(before);
    const p = at(2);
    gestures.pointerDown(p, LEFT);
    gestures.pointerMove({ x: p.x + 30, y: p.y });
    gestures.resize({ width: 1280, height: 960 });
    expect(model.viewport).toEqual({ width: 640, height: 480 });
    gestures.pointerUp();
    expect(model.viewport).toEqual({ width: 1280, height: 960 });
  });
});

describe('CanvasGestures: listeners, space and the wheel', () => {
  it('stops telling a listener once it unsubscribes, and only on a change of Space', () => {
    const { gestures } = setup();
    let calls = 0;
    const off = gestures.on(() => (calls += 1));
    gestures.setSpace(true);
    gestures.setSpace(true);
    expect(calls).toBe(1);
    off();
    gestures.setSpace(false);
    expect(calls).toBe(1);
    expect(gestures.spaceHeld).toBe(false);
  });

  it('zooms in on a wheel turned away from the person and out towards them', () => {
    const { model, gestures } = setup();
    const fitted = model.transform.scale;
    gestures.wheel({ x: 320, y: 240 }, -100);
    expect(model.transform.scale).toBeGreaterThan(fitted);
    gestures.wheel({ x: 320, y: 240 }, 200);
    expect(model.transform.scale).toBeLessThan(fitted);
  });

  it('refits a new face after the last one was zoomed', () => {
    const { model, gestures } = setup();
    const fitted = model.transform;
    gestures.run({ kind: 'zoom', factor: 3 });
    model.load({ imageId: 'b'.repeat(64), imageSize: SIZE, points: FACE5.map((p) => ({ ...p })) });
    gestures.loaded();
    expect(model.transform).toEqual(fitted);
    gestures.resize({ width: 1280, height: 960 });
    expect(model.transform.scale).toBeGreaterThan(fitted.scale * 1.5);
  });

  it('fits the labelled points of a half-labelled face, not the whole image', () => {
    const half = FACE5.map((p, i) => (i < 3 ? p : { x: 0, y: 0, v: 0 as const, ...HUMAN }));
    const { model } = setup(half);
    const loaded = model.transform;
    model.fitFace();
    expect(model.transform).toEqual(loaded);
    model.fitImage();
    expect(model.transform).not.toEqual(loaded);
  });
});

describe('CanvasGestures: reveal at the margins', () => {
  /** Scale 1 exactly, so stage positions are exact and the margin test is a strict one. */
  function unitSetup() {
    const model = new CanvasModel(FIVE, {
      viewport: { width: 640, height: 480 },
      zoomLimits: { min: 1, max: 1 },
    });
    model.load({ imageId: IMAGE, imageSize: SIZE, points: FACE5.map((p) => ({ ...p })) });
    const gestures = new CanvasGestures(model, TEMPLATE, () => undefined);
    gestures.loaded();
    /** Pans so that the nose lies at `stage`. */
    const put = (stage: { x: number; y: number }) => {
      model.beginPan(model.imageToStage(model.points[2]!));
      model.updatePan(stage);
      model.endPan();
    };
    return { model, gestures, put };
  }

  it('stops refitting on a resize once it has panned a point into view', () => {
    const { model, gestures, put } = unitSetup();
    put({ x: 40, y: 240 });
    gestures.reveal(2);
    const revealed = model.transform;
    gestures.resize({ width: 800, height: 600 });
    expect(model.transform).toEqual(revealed);
  });

  it('leaves a point just inside the 40 px margin alone and pans one on it to the middle', () => {
    for (const [inside, onMargin] of [
      [
        { x: 41, y: 240 },
        { x: 40, y: 240 },
      ],
      [
        { x: 320, y: 41 },
        { x: 320, y: 40 },
      ],
      [
        { x: 599, y: 240 },
        { x: 600, y: 240 },
      ],
      [
        { x: 320, y: 439 },
        { x: 320, y: 440 },
      ],
    ] as const) {
      const { model, gestures, put } = unitSetup();
      put(inside);
      gestures.reveal(2);
      expect(model.imageToStage(model.points[2]!)).toEqual(inside);
      put(onMargin);
      gestures.reveal(2);
      expect(model.imageToStage(model.points[2]!)).toEqual({ x: 320, y: 240 });
    }
  });
});

describe('CanvasGestures: the rest of the surface', () => {
  it('makes a point the model placed the active one', () => {
    const { gestures } = setup();
    let calls = 0;
    gestures.on(() => (calls += 1));
    gestures.activate(3);
    expect(gestures.active).toBe(3);
    expect(calls).toBe(1);
  });

  it('drags the whole selection from any of its points without Shift', () => {
    const { model, gestures, at } = setup();
    gestures.selectGroup('mouth');
    const p = at(3);
    const scale = model.transform.scale;
    gestures.pointerDown(p, LEFT);
    gestures.pointerMove({ x: p.x + 10 * scale, y: p.y });
    gestures.pointerUp();
    expect(model.points[3]!.x).toBeCloseTo(76, 6);
    expect(model.points[4]!.x).toBeCloseTo(124, 6);
    expect(model.points[0]).toEqual(FACE5[0]);
  });

  it('fits the face again by key after a zoom', () => {
    const { model, gestures } = setup();
    const fitted = model.transform;
    gestures.run({ kind: 'zoom', factor: 3 });
    gestures.run({ kind: 'fit-face' });
    expect(model.transform).toEqual(fitted);
  });

  it('says so when nothing is touched and every point is confirmed', () => {
    const { gestures, notices } = setup();
    gestures.confirm();
    expect(notices).toEqual(['No unconfirmed point to confirm']);
  });

  it("names the schema's mean face when no labelled face made the template", () => {
    const model = new CanvasModel(FIVE, { viewport: { width: 640, height: 480 } });
    model.load({ imageId: IMAGE, imageSize: SIZE, points: null });
    const notices: (string | null)[] = [];
    const gestures = new CanvasGestures(model, { ...TEMPLATE, source: 'schema' }, (text) =>
      notices.push(text),
    );
    gestures.loaded();
    gestures.dropTemplate();
    expect(notices.at(-1)).toMatch(/^Dropped the schema's mean face into the face box: /);
  });

  it('reveals nothing outside idle mode or for a point the schema lacks', () => {
    const { model, gestures } = setup();
    gestures.run({ kind: 'zoom', factor: 8 });
    gestures.setTool('place');
    const zoomed = model.transform;
    gestures.reveal(0);
    expect(model.transform).toEqual(zoomed);
    gestures.setTool('idle');
    gestures.reveal(9);
    expect(model.transform).toEqual(zoomed);
  });
});

describe('CanvasGestures: a click off the image', () => {
  it('places nothing and clears the notice instead of saying every point is placed', () => {
    const { model, gestures, notices } = setup(null);
    gestures.setTool('place');
    gestures.pointerDown(model.imageToStage({ x: -20, y: 50 }), LEFT);
    gestures.pointerUp();
    expect(model.nextToPlace).toBe(0);
    expect(notices).toEqual([null]);
  });
});

describe('CanvasGestures: the commands a fall-through would confuse', () => {
  // A `case` with its body removed falls through to the next one: redo into toggle-occluded, zoom
  // into fit-face. These tests tell each apart from its neighbour.
  it('redoes the edit undone, not a toggle of the point under the pointer', () => {
    const { model, gestures, at } = setup();
    gestures.pointerMove(at(1));
    gestures.run({ kind: 'toggle-occluded' });
    gestures.run({ kind: 'undo' });
    gestures.pointerMove(at(4));
    expect(gestures.hovered).toBe(4);
    gestures.run({ kind: 'redo' });
    expect(model.points[1]!.v).toBe(1);
    expect(model.points[4]).toEqual(FACE5[4]);
    expect(model.canRedo).toBe(false);
  });

  it('zooms by key about the pointer, or about the middle of the stage with no pointer yet', () => {
    const { model, gestures } = setup();
    const fitted = model.transform;
    const middle = { x: 320, y: 240 };
    const underMiddle = model.stageToImage(middle);
    gestures.run({ kind: 'zoom', factor: 2 });
    expect(model.transform.scale).toBeCloseTo(2 * fitted.scale, 9);
    expect(model.imageToStage(underMiddle).x).toBeCloseTo(middle.x, 6);
    expect(model.imageToStage(underMiddle).y).toBeCloseTo(middle.y, 6);
    const pointer = { x: 100, y: 80 };
    gestures.pointerMove(pointer);
    const underPointer = model.stageToImage(pointer);
    gestures.run({ kind: 'zoom', factor: 0.5 });
    expect(model.transform.scale).toBeCloseTo(fitted.scale, 9);
    expect(model.imageToStage(underPointer).x).toBeCloseTo(pointer.x, 6);
    expect(model.imageToStage(underPointer).y).toBeCloseTo(pointer.y, 6);
  });
});

describe('CanvasGestures: during a pan', () => {
  /** A face with a template point to confirm, and a pan begun with the middle button. */
  function panning() {
    const template = FACE5.map((p) => ({ ...p, source: 'template' as const, confirmed: false }));
    const made = setup(template);
    made.gestures.pointerMove(made.at(2));
    made.gestures.pointerDown({ x: 300, y: 200 }, { button: 1, shift: false });
    expect(made.model.mode).toBe('pan');
    expect(made.gestures.gesturing).toBe(true);
    return made;
  }

  it('holds back every edit, tool and second press until the pan ends, and throws nothing', () => {
    const { model, gestures, at } = panning();
    const before = model.points.map((p) => ({ ...p }));
    for (const command of [
      { kind: 'toggle-occluded' },
      { kind: 'clear-point' },
      { kind: 'confirm' },
      { kind: 'confirm-all' },
      { kind: 'undo' },
      { kind: 'tool', tool: 'place' },
      { kind: 'select-group' },
      { kind: 'drop-template' },
    ] as const) {
      gestures.run(command);
    }
    gestures.setTool('select');
    gestures.selectGroup('eyes');
    gestures.confirm(2);
    gestures.pointerDown(at(0), LEFT);
    expect(model.mode).toBe('pan');
    expect(model.points).toEqual(before);
    expect(model.selection).toEqual([]);
    gestures.pointerUp();
    expect(model.mode).toBe('idle');
    expect(gestures.gesturing).toBe(false);
    expect(model.canUndo).toBe(false);
  });

  it('keeps panning when the pointer moves, and ends the pan on release', () => {
    const { model, gestures } = panning();
    const before = model.transform;
    gestures.pointerMove({ x: 310, y: 220 });
    expect(model.transform.offsetX).toBeCloseTo(before.offsetX + 10, 6);
    expect(model.transform.offsetY).toBeCloseTo(before.offsetY + 20, 6);
    gestures.pointerUp();
    expect(model.mode).toBe('idle');
  });
});

describe('CanvasGestures: Space and the buttons', () => {
  it('pans with Space only under the left button: the right one with Space held does nothing', () => {
    const { model, gestures, at } = setup();
    gestures.setSpace(true);
    const before = model.transform;
    gestures.pointerDown(at(2), { button: 2, shift: false });
    expect(model.mode).toBe('idle');
    gestures.pointerMove({ x: at(2).x + 30, y: at(2).y + 30 });
    gestures.pointerUp();
    expect(model.transform).toEqual(before);
    expect(model.points).toEqual(FACE5);
    // With Space held a left press on a point pans instead of dragging it.
    gestures.pointerDown(at(2), LEFT);
    expect(model.mode).toBe('pan');
    gestures.pointerMove({ x: at(2).x + 30, y: at(2).y });
    gestures.pointerUp();
    expect(model.points).toEqual(FACE5);
    expect(model.transform.offsetX).toBeCloseTo(before.offsetX + 30, 6);
  });
});

describe('CanvasGestures: a template that does not fit the schema, and a reason left out', () => {
  it('guesses nowhere with a template of another length: no cursor, and Enter places nothing', () => {
    const model = new CanvasModel(FIVE, { viewport: { width: 640, height: 480 } });
    model.load({ imageId: IMAGE, imageSize: SIZE, points: null });
    const short: Template = { points: TEMPLATE.points.slice(0, 3), source: 'labelled' };
    const gestures = new CanvasGestures(model, short, () => undefined);
    gestures.loaded();
    gestures.setTool('place');
    expect(gestures.cursor).toBeNull();
    gestures.run({ kind: 'place-at-cursor' });
    expect(model.nextToPlace).toBe(0);
    expect(model.canUndo).toBe(false);
  });

  it('says only that a placed template went into the face box when no reason is given', () => {
    const { gestures, notices } = setup(emptyPoints(5));
    const placed: [number, number][] = [
      [60, 62],
      [140, 58],
      [100, 100],
      [72, 150],
      [128, 152],
    ];
    gestures.dropPlaced(placed, 'box', 'labelled');
    expect(notices.at(-1)).toBe(
      'Dropped the mean of your labelled faces into the face box: drag groups (Shift+drag) and ' +
        'points into place, C confirms',
    );
  });
});
