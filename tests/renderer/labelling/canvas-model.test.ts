import { describe, expect, it } from 'vitest';
import type { Landmark } from '$shared/domain';
import { StudioError } from '$shared/errors';
import { humanPoint } from '$shared/point-provenance';
import {
  CanvasModel,
  FACE_BOX_FIT_MARGIN,
  type ChangeReason,
} from '../../../src-renderer/src/features/labelling/model/canvas-model';
import { emptyPoints } from '../../../src-renderer/src/features/labelling/model/face-record';
import { CanvasModeError } from '../../../src-renderer/src/features/labelling/model/modes';
import { FACE5, FIVE, HUMAN, IBUG68, helenFace } from './fixtures';

const IMAGE_A = 'a'.repeat(64);
const IMAGE_B = 'b'.repeat(64);
const SIZE = { width: 200, height: 160 };

const TEMPLATE = { source: 'template', confirmed: false } as const;

function model5(points: Landmark[] | null = FACE5): CanvasModel {
  const m = new CanvasModel(FIVE, { viewport: { width: 640, height: 480 } });
  m.load({ imageId: IMAGE_A, imageSize: SIZE, points: points?.map((p) => ({ ...p })) ?? null });
  return m;
}

function reasons(m: CanvasModel): ChangeReason[] {
  const seen: ChangeReason[] = [];
  m.on((r) => seen.push(r));
  return seen;
}

/** A template for the 5-point schema, in [0, 1] of the box it is dropped into. */
const TEMPLATE5 = [
  { x: 0.3, y: 0.35 },
  { x: 0.7, y: 0.35 },
  { x: 0.5, y: 0.55 },
  { x: 0.35, y: 0.75 },
  { x: 0.65, y: 0.75 },
];

describe('placing points', () => {
  it('places a real 68-point face in schema order under zoom and pan', async () => {
    const truth = await helenFace('296814969_3');
    const m = new CanvasModel(IBUG68, { viewport: { width: 900, height: 700 } });
    m.load({ imageId: IMAGE_A, imageSize: { width: truth.width, height: truth.height } });
    m.setMode('place');
    truth.points.forEach((p, i) => {
      // Change the view as a person would between clicks: zoom on the next point, pan a bit.
      if (i % 10 === 3) m.zoomAt(m.imageToStage(p), 1.3);
      if (i % 10 === 7) {
        m.beginPan({ x: 100, y: 100 });
        m.updatePan({ x: 83, y: 121 });
        m.endPan();
      }
      expect(m.nextToPlace).toBe(i);
      expect(m.placePoint(m.imageToStage(p))).toEqual({ placed: i });
    });
    expect(m.nextToPlace).toBeNull();
    m.points.forEach((p, i) => {
      const want = truth.points[i]!;
      expect(p.v).toBe(2);
      expect(p.x).toBeCloseTo(want.x, 9);
      expect(p.y).toBeCloseTo(want.y, 9);
    });
    expect(m.placePoint({ x: 10, y: 10 })).toEqual({ refused: 'all-placed' });
    // One undo step per click.
    let steps = 0;
    while (m.undo()) steps += 1;
    expect(steps).toBe(68);
    expect(m.points).toEqual(emptyPoints(68));
  });

  it('refuses a click outside the image and places nothing', () => {
    const m = model5(null);
    m.setMode('place');
    const outside = m.imageToStage({ x: SIZE.width + 5, y: 10 });
    expect(m.placePoint(outside)).toEqual({ refused: 'outside-image' });
    expect(m.canUndo).toBe(false);
    expect(m.nextToPlace).toBe(0);
  });

  it('places the first cleared point next', () => {
    const m = model5();
    m.clearPoint(2);
    m.setMode('place');
    expect(m.nextToPlace).toBe(2);
    expect(m.placePoint(m.imageToStage({ x: 91, y: 92 }))).toEqual({ placed: 2 });
    expect(m.points[2]?.x).toBeCloseTo(91, 9);
  });
});

describe('dragging', () => {
  it('records a drag as one undo step and undo/redo return exact values', () => {
    const m = model5();
    m.zoomAt({ x: 300, y: 200 }, 2.7);
    const before = m.points;
    const grab = m.imageToStage({ x: 121, y: 63 }); // a pixel off the marker's centre
    expect(m.beginDrag(1, grab)).toBe(true);
    expect(m.mode).toBe('drag');
    for (let k = 1; k <= 20; k += 1) m.updateDrag({ x: grab.x + k * 1.7, y: grab.y - k * 0.9 });
    expect(m.endDrag()).toBe(true);
    expect(m.mode).toBe('idle');
    const after = m.points;
    // The point moved by the pointer's offset in image pixels, keeping the grab offset.
    expect(after[1]!.x).toBeCloseTo(120 + (20 * 1.7) / m.transform.scale, 9);
    expect(after[1]!.y).toBeCloseTo(62 - (20 * 0.9) / m.transform.scale, 9);
    expect(after.filter((_, i) => i !== 1)).toEqual(before.filter((_, i) => i !== 1));

    expect(m.undoLabel).toBe('move right eye (1)');
    expect(m.undo()).toBe(true);
    expect(m.points).toEqual(before);
    expect(m.canUndo).toBe(false);
    expect(m.redo()).toBe(true);
    expect(m.points).toEqual(after);
    expect(m.canRedo).toBe(false);
  });

  it('moves a selected group in one drag and one undo step', () => {
    const m = model5();
    m.selectGroup('mouth');
    expect(m.mode).toBe('select');
    expect(m.selection).toEqual([3, 4]);
    const start = m.imageToStage({ x: 90, y: 120 });
    expect(m.beginDrag('selection', start)).toBe(true);
    const s = m.transform.scale;
    m.updateDrag({ x: start.x + 5 * s, y: start.y });
    m.updateDrag({ x: start.x + 10 * s, y: start.y + 4 * s });
    m.endDrag();
    expect(m.mode).toBe('select');
    expect(m.points[3]!.x).toBeCloseTo(76, 9);
    expect(m.points[4]!.y).toBeCloseTo(125, 9);
    expect(m.points[0]).toEqual(FACE5[0]);
    m.undo();
    expect(m.points).toEqual(FACE5);
  });

  it('moves a group with keys as one undo step, only in select mode', () => {
    const m = model5();
    expect(() => m.moveGroup(1, 0)).toThrow(CanvasModeError);
    m.selectGroup('eyes');
    expect(m.moveGroup(-2, 3)).toBe(true);
    expect(m.points.slice(0, 2)).toEqual([
      { x: 58, y: 63, v: 2, ...HUMAN },
      { x: 118, y: 65, v: 2, ...HUMAN },
    ]);
    m.undo();
    expect(m.points).toEqual(FACE5);
    m.clearSelection();
    expect(m.mode).toBe('idle');
    expect(m.selection).toEqual([]);
  });

  it('records nothing for a click without movement, or a cancelled drag', () => {
    const m = model5();
    const loaded = m.version;
    const at = m.imageToStage(FACE5[2]!);
    m.beginDrag(2, at);
    expect(m.endDrag()).toBe(false);
    m.beginDrag(2, at);
    m.updateDrag({ x: at.x + 40, y: at.y });
    expect(m.points[2]).not.toEqual(FACE5[2]);
    m.cancelDrag();
    expect(m.points).toEqual(FACE5);
    expect(m.canUndo).toBe(false);
    expect(m.version).toBe(loaded);
  });

  it('will not drag an unlabelled point', () => {
    const m = model5(null);
    expect(m.beginDrag(0, { x: 0, y: 0 })).toBe(false);
    expect(m.mode).toBe('idle');
  });
});

describe('mode guards', () => {
  it('refuses actions outside their modes', () => {
    const m = model5();
    expect(() => m.placePoint({ x: 1, y: 1 })).toThrow(CanvasModeError);
    m.beginDrag(0, m.imageToStage(FACE5[0]!));
    expect(() => m.undo()).toThrow(CanvasModeError);
    expect(() => m.zoomAt({ x: 0, y: 0 }, 2)).toThrow(CanvasModeError);
    expect(() => m.toggleOccluded(0)).toThrow(CanvasModeError);
    expect(() => m.beginPan({ x: 0, y: 0 })).toThrow(CanvasModeError);
    expect(() => m.setMode('place')).toThrow(CanvasModeError);
    expect(() => m.endPan()).toThrow(CanvasModeError);
    m.endDrag();
    m.beginPan({ x: 0, y: 0 });
    expect(() => m.load({ imageId: IMAGE_B, imageSize: SIZE })).toThrow(CanvasModeError);
    expect(() => m.updateDrag({ x: 1, y: 1 })).toThrow(CanvasModeError);
    m.zoomAt({ x: 5, y: 5 }, 2); // zooming while panning is fine
    m.endPan();
    expect(m.mode).toBe('idle');
  });

  it('emits a mode change for each gesture and tool switch', () => {
    const m = model5();
    const seen = reasons(m);
    m.setMode('place');
    m.setMode('place');
    m.beginPan({ x: 0, y: 0 });
    m.endPan();
    expect(seen.filter((r) => r === 'mode')).toHaveLength(3);
    expect(m.mode).toBe('place');
  });
});

describe('occlusion, clearing, confirming', () => {
  it('toggles occlusion as an undoable step', () => {
    const m = model5();
    expect(m.toggleOccluded(3)).toBe(true);
    expect(m.points[3]!.v).toBe(1);
    expect(m.undoLabel).toBe('mark occluded left mouth corner (3)');
    m.undo();
    expect(m.points[3]!.v).toBe(2);
    m.redo();
    expect(m.points[3]!.v).toBe(1);
    m.toggleOccluded(3);
    expect(m.points[3]!.v).toBe(2);
    m.clearPoint(3);
    const steps = [m.canUndo, m.toggleOccluded(3)];
    expect(steps).toEqual([true, false]); // an unlabelled point has no occlusion to toggle
    expect(m.undoLabel).toBe('clear left mouth corner (3)');
  });

  it('drops a template into a box; confirming or moving a point confirms it', () => {
    const m = model5(null);
    expect(() => m.dropTemplate(TEMPLATE5)).toThrow(/needs a box/);
    expect(() => m.dropTemplate(TEMPLATE5.slice(1), { x: 0, y: 0, width: 1, height: 1 })).toThrow(
      RangeError,
    );
    m.dropTemplate(TEMPLATE5, { x: 40, y: 20, width: 100, height: 120 });
    expect(m.points.map((p) => [p.x, p.y, p.v, p.source, p.confirmed])).toEqual([
      [70, 62, 2, 'template', false],
      [110, 62, 2, 'template', false],
      [90, 86, 2, 'template', false],
      [75, 110, 2, 'template', false],
      [105, 110, 2, 'template', false],
    ]);
    expect(m.nextToPlace).toBeNull();
    expect(m.confirmPoint(0)).toBe(true);
    expect(m.points[0]).toEqual({ x: 70, y: 62, v: 2, ...TEMPLATE, confirmed: true });
    expect(m.confirmPoint(0)).toBe(false);
    m.movePoint(2, { x: 91, y: 87 });
    expect(m.points[2]).toEqual({ x: 91, y: 87, v: 2, ...HUMAN });
    // Template, confirm, move: three steps; undoing all of them empties the face again.
    while (m.undo());
    expect(m.points).toEqual(emptyPoints(5));
  });

  it('moves and resizes a dropped template as a whole, keeping it model-made', () => {
    const m = model5(null);
    m.dropTemplate(TEMPLATE5, { x: 40, y: 20, width: 100, height: 120 });
    const dropped = m.points.map((p) => ({ ...p }));
    expect(() => m.scaleSelection(2)).toThrow(CanvasModeError);
    m.selectAll();
    expect(m.selection).toEqual([0, 1, 2, 3, 4]);
    expect(m.scaleSelection(1.5)).toBe(true);
    // The centroid (90, 86) stays put; every offset from it grows by 1.5.
    expect(m.points[0]!.x).toBeCloseTo(90 + (70 - 90) * 1.5, 9);
    expect(m.points[4]!.y).toBeCloseTo(86 + (110 - 86) * 1.5, 9);
    expect(m.points.every((p) => p.source === 'template' && !p.confirmed)).toBe(true);
    expect(() => m.scaleSelection(0)).toThrow(RangeError);
    expect(m.undo()).toBe(true);
    expect(m.points).toEqual(dropped);
  });

  it('uses the face box when no box is given', () => {
    const m = new CanvasModel(FIVE);
    m.load({ imageId: IMAGE_A, imageSize: SIZE, box: { x: 10, y: 10, width: 50, height: 50 } });
    m.dropTemplate(FIVE.points.map(() => ({ x: 1, y: 0 })));
    expect(m.points.every((p) => p.x === 60 && p.y === 10)).toBe(true);
  });
});

describe('mirror assist', () => {
  it('proposes the other side from placed points, as one undo step', () => {
    const partial = FACE5.map((p, i) =>
      i === 1 || i === 4 ? { x: 0, y: 0, v: 0 as const, ...HUMAN } : p,
    );
    const m = model5(partial);
    // No pair is placed on both sides: the nose (x = 90) gives the midline.
    expect(m.mirrorAssist()).toEqual([1, 4]);
    expect(m.points[1]).toEqual({ x: 120, y: 60, v: 2, ...TEMPLATE });
    expect(m.points[4]).toEqual({ x: 114, y: 120, v: 2, ...TEMPLATE });
    expect(m.mirrorAssist()).toEqual([]);
    m.undo();
    expect(m.points).toEqual(partial);
  });
});

describe('versions', () => {
  it('names each state: an edit makes a new one, undo and redo return to the old ones', () => {
    const m = model5();
    const loaded = m.version;
    m.movePoint(0, { x: 61, y: 60 });
    const first = m.version;
    expect(first).not.toBe(loaded);
    m.movePoint(0, { x: 62, y: 60 });
    const second = m.version;
    expect(new Set([loaded, first, second]).size).toBe(3);
    m.undo();
    expect(m.version).toBe(first);
    m.undo();
    expect(m.version).toBe(loaded);
    m.redo();
    expect(m.version).toBe(first);
  });

  it('keeps each image’s history and version when switching images', () => {
    const m = model5();
    m.movePoint(0, { x: 50, y: 50 });
    const editedA = m.points.map((p) => ({ ...p }));
    const versionA = m.version;
    m.load({ imageId: IMAGE_B, imageSize: SIZE, points: FACE5 });
    expect(m.canUndo).toBe(false);
    expect(m.version).not.toBe(versionA);
    m.load({ imageId: IMAGE_A, imageSize: SIZE, points: editedA });
    expect(m.version).toBe(versionA);
    expect(m.canUndo).toBe(true);
    m.undo();
    expect(m.points).toEqual(FACE5);
  });

  it('drops an image’s history when its points changed elsewhere', () => {
    const m = model5();
    m.movePoint(0, { x: 50, y: 50 });
    const edited = m.version;
    m.load({ imageId: IMAGE_B, imageSize: SIZE });
    const relabelled = FACE5.map((p) => ({ ...p, x: p.x + 1 }));
    m.load({ imageId: IMAGE_A, imageSize: SIZE, points: relabelled });
    expect(m.canUndo).toBe(false);
    expect(m.version).not.toBe(edited);
    expect(m.points).toEqual(relabelled);
  });
});

describe('view and loading', () => {
  it('zooms around the cursor and keeps markers the same size on screen', () => {
    const m = model5();
    const cursor = { x: 222, y: 111 };
    const under = m.stageToImage(cursor);
    const r = m.markerRadius(6);
    m.zoomAt(cursor, 4);
    expect(m.stageToImage(cursor).x).toBeCloseTo(under.x, 9);
    expect(m.stageToImage(cursor).y).toBeCloseTo(under.y, 9);
    expect(m.markerRadius(6)).toBeCloseTo(r / 4, 12);
  });

  it('fits the whole image on load, then the face on request', () => {
    const m = new CanvasModel(FIVE, { viewport: { width: 500, height: 500 } });
    m.load({ imageId: IMAGE_A, imageSize: { width: 1000, height: 400 }, points: FACE5 });
    const corner = m.imageToStage({ x: 1000, y: 400 });
    expect(corner.x).toBeLessThanOrEqual(500);
    expect(m.transform.scale).toBeCloseTo((500 - 2 * 24) / 1000, 12);
    m.fitFace(0);
    // The labelled points span 60 px across and 61 down: their height fills the viewport.
    expect(m.imageToStage({ x: 0, y: 60 }).y).toBeCloseTo(0, 9);
    expect(m.imageToStage({ x: 0, y: 121 }).y).toBeCloseTo(500, 9);
    expect(m.imageToStage({ x: 90, y: 0 }).x).toBeCloseTo(250, 9);
  });

  it('fits the face box with a margin on each side, so a chin past its edge stays on screen', () => {
    const m = new CanvasModel(FIVE, { viewport: { width: 500, height: 500 } });
    const box = { x: 100, y: 100, width: 100, height: 100 };
    m.load({ imageId: IMAGE_A, imageSize: { width: 1000, height: 400 }, box });
    m.fitFace(0);
    const margin = 100 * FACE_BOX_FIT_MARGIN;
    expect(m.imageToStage({ x: 100 - margin, y: 100 - margin }).x).toBeCloseTo(0, 9);
    expect(m.imageToStage({ x: 100 - margin, y: 100 - margin }).y).toBeCloseTo(0, 9);
    expect(m.imageToStage({ x: 200 + margin, y: 200 + margin }).x).toBeCloseTo(500, 9);
    expect(m.imageToStage({ x: 200 + margin, y: 200 + margin }).y).toBeCloseTo(500, 9);
  });

  it('finds the marker under the pointer', () => {
    const m = model5();
    const nose = m.imageToStage(FACE5[2]!);
    expect(m.hitTest({ x: nose.x + 3, y: nose.y }, 6)).toBe(2);
    expect(m.hitTest({ x: nose.x + 30, y: nose.y + 30 }, 6)).toBeNull();
  });

  it('hits the nearer of two close markers, and never an unlabelled point', () => {
    // Two labelled points 2 image px apart (about 5 screen px at this zoom), both inside the
    // 6-px hit radius of a pointer between them; unlabelled points sit nearer still.
    const m = model5([
      humanPoint(60, 60, 2),
      humanPoint(62, 60, 2),
      humanPoint(60.5, 60, 0),
      humanPoint(90, 90, 0),
      humanPoint(114, 121, 2),
    ]);
    const a = m.imageToStage({ x: 60, y: 60 });
    const b = m.imageToStage({ x: 62, y: 60 });
    expect(b.x - a.x).toBeLessThan(6);
    expect(m.hitTest({ x: a.x + 1, y: a.y }, 6)).toBe(0);
    expect(m.hitTest({ x: b.x - 1, y: b.y }, 6)).toBe(1);
    // On the unlabelled point itself: the nearest labelled one (point 0), not point 2.
    expect(m.hitTest(m.imageToStage({ x: 60.5, y: 60 }), 6)).toBe(0);
    // An unlabelled point with no labelled one near: nothing.
    expect(m.hitTest(m.imageToStage({ x: 90, y: 90 }), 6)).toBeNull();
  });

  it('rejects a stored face that does not fit the schema', () => {
    const m = new CanvasModel(FIVE);
    let caught: unknown;
    try {
      m.load({ imageId: IMAGE_A, imageSize: SIZE, points: emptyPoints(68) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StudioError);
    expect((caught as StudioError).code).toBe('invalid-payload');
    expect((caught as Error).message).toContain('68 points');
    expect(() => m.movePoint(0, { x: 1, y: 1 })).toThrow(/no face loaded/);
  });

  it('rejects a schema with a broken mirror pair', () => {
    expect(() => new CanvasModel({ ...FIVE, mirrorPairs: [[0, 5]] })).toThrow(/outside 0..4/);
    expect(() => new CanvasModel({ ...FIVE, mirrorPairs: [[2, 2]] })).toThrow(/itself/);
  });

  it('stops notifying a listener after it unsubscribes', () => {
    const m = model5();
    const seen: ChangeReason[] = [];
    const off = m.on((r) => seen.push(r));
    m.toggleOccluded(0);
    expect(seen).toEqual(['points', 'history']);
    off();
    m.toggleOccluded(0);
    expect(seen).toHaveLength(2);
  });
});

describe('pre-labelling with a model', () => {
  /**
   * A model's prediction of a real 300-W face: the truth shifted by a few pixels, with the
   * uncertainty growing along the jaw (where landmark models doubt most).
   */
  async function predictedHelen() {
    const truth = await helenFace('296814969_3');
    const predicted: Landmark[] = truth.points.map((p, i) => ({
      x: p.x + ((i * 7) % 5) - 2,
      y: p.y + ((i * 3) % 5) - 2,
      v: 2,
      source: 'model',
      confirmed: false,
      uncertainty: i <= 16 ? 0.02 + i / 1000 : 0.01,
    }));
    return { truth, predicted };
  }

  it('merges a prediction as one undo step, keeping what a person placed', async () => {
    const { truth, predicted } = await predictedHelen();
    const m = new CanvasModel(IBUG68, { viewport: { width: 900, height: 700 } });
    m.load({ imageId: IMAGE_A, imageSize: { width: truth.width, height: truth.height } });
    m.setMode('place');
    for (const p of truth.points.slice(0, 3)) m.placePoint(m.imageToStage(p));
    m.setMode('idle');
    const seen = reasons(m);
    expect(m.applyPrediction(predicted)).toBe(65);
    expect(seen).toEqual(['points', 'history']);
    expect(m.undoLabel).toBe('pre-label');
    m.points.slice(0, 3).forEach((p, i) => {
      expect([p.source, p.confirmed]).toEqual(['human', true]);
      expect(p.x).toBeCloseTo(truth.points[i]!.x, 9);
    });
    expect(m.points[40]).toEqual(predicted[40]);
    // The jaw's last point is the most doubtful among those the model set.
    expect(m.mostUncertain?.index).toBe(16);
    expect(m.mostUncertain?.uncertainty).toBeCloseTo(0.036, 12);
    expect(m.undo()).toBe(true);
    expect(m.points.filter((p) => p.v !== 0)).toHaveLength(3);
  });

  it('confirms the selection or the whole face, and moving a point confirms it', async () => {
    const { truth, predicted } = await predictedHelen();
    const m = new CanvasModel(IBUG68);
    m.load({ imageId: IMAGE_A, imageSize: { width: truth.width, height: truth.height } });
    m.applyPrediction(predicted);
    m.selectGroup('right eye');
    expect(m.confirmPoints(m.selection)).toBe(true);
    expect(m.undoLabel).toBe('confirm 6 points');
    expect(m.points.filter((p) => !p.confirmed)).toHaveLength(62);
    expect(m.points.filter((p) => p.source === 'model' && p.confirmed)).toHaveLength(6);
    m.setMode('idle');
    m.movePoint(16, { x: truth.points[16]!.x, y: truth.points[16]!.y });
    expect(m.points[16]).toEqual({ ...truth.points[16], v: 2, ...HUMAN });
    expect(m.mostUncertain?.index).toBe(15);
    expect(m.confirmPoints()).toBe(true);
    expect(m.undoLabel).toBe('confirm all points');
    expect(m.mostUncertain).toBeNull();
    expect(m.confirmPoints()).toBe(false);
  });

  it('refuses a prediction during a drag, like any edit', () => {
    const m = model5();
    m.beginDrag(0, m.imageToStage(FACE5[0]!));
    expect(() => m.applyPrediction(FACE5)).toThrow(CanvasModeError);
  });
});

describe('edges a labeller can reach', () => {
  /** Scale 1 exactly: the 200 × 160 image sits at (220, 160) on the 640 × 480 stage. */
  function unit(points: Landmark[] | null = null): CanvasModel {
    const m = new CanvasModel(FIVE, {
      viewport: { width: 640, height: 480 },
      zoomLimits: { min: 1, max: 1 },
    });
    m.load({ imageId: IMAGE_A, imageSize: SIZE, points: points?.map((p) => ({ ...p })) ?? null });
    return m;
  }

  it('places a point on the very edge of the image and refuses one half a pixel past it', () => {
    for (const edge of [
      { x: 0, y: 80 },
      { x: 100, y: 0 },
      { x: 200, y: 80 },
      { x: 100, y: 160 },
    ]) {
      const m = unit();
      m.setMode('place');
      expect(m.placePoint(m.imageToStage(edge))).toEqual({ placed: 0 });
      expect(m.points[0]).toMatchObject(edge);
    }
    for (const past of [
      { x: -0.5, y: 80 },
      { x: 100, y: -0.5 },
      { x: 200.5, y: 80 },
      { x: 100, y: 160.5 },
    ]) {
      const m = unit();
      m.setMode('place');
      expect(m.placePoint(m.imageToStage(past))).toEqual({ refused: 'outside-image' });
      expect(m.canUndo).toBe(false);
    }
  });

  it('hits the point drawn on top when two points coincide', () => {
    const stacked = FACE5.map((p, i) => (i === 4 ? { ...FACE5[3]! } : p));
    const m = model5(stacked);
    expect(m.hitTest(m.imageToStage(FACE5[3]!), 8)).toBe(4);
  });

  it('names every edit in its undo label', () => {
    const m = model5(emptyPoints(5));
    m.setMode('place');
    m.placePoint(m.imageToStage({ x: 60, y: 60 }));
    expect(m.undoLabel).toBe('place left eye (0)');
    m.setMode('idle');
    m.movePoint(0, { x: 61, y: 60 });
    expect(m.undoLabel).toBe('move left eye (0)');
    m.toggleOccluded(0);
    expect(m.undoLabel).toBe('mark occluded left eye (0)');
    m.toggleOccluded(0);
    expect(m.undoLabel).toBe('mark visible left eye (0)');
    m.dropTemplate(TEMPLATE5, { x: 50, y: 50, width: 100, height: 100 });
    expect(m.undoLabel).toBe('drop template');
    m.confirmPoint(2);
    expect(m.undoLabel).toBe('confirm nose (2)');
    m.clearPoint(1);
    m.mirrorAssist();
    expect(m.undoLabel).toBe('mirror assist');
    m.selectGroup('eyes');
    m.scaleSelection(2);
    expect(m.undoLabel).toBe('resize eyes');
    m.moveGroup(1, 0);
    expect(m.undoLabel).toBe('move eyes');
    m.beginDrag('selection', m.imageToStage(m.points[0]!));
    m.updateDrag({ x: m.imageToStage(m.points[0]!).x + 20, y: m.imageToStage(m.points[0]!).y });
    m.endDrag();
    expect(m.undoLabel).toBe('move eyes');
    m.selectAll();
    m.moveGroup(1, 0);
    expect(m.undoLabel).toBe('move all points');
  });

  it('records no step for a group move that changes nothing', () => {
    const m = model5();
    m.selectGroup('eyes');
    expect(m.moveGroup(0, 0)).toBe(false);
    expect(m.canUndo).toBe(false);
  });

  it('drags a selection when only some of its points are placed', () => {
    const oneEye = FACE5.map((p, i) => (i === 1 ? { x: 0, y: 0, v: 0 as const, ...HUMAN } : p));
    const m = unit(oneEye);
    m.selectGroup('eyes');
    const from = m.imageToStage(FACE5[0]!);
    expect(m.beginDrag('selection', from)).toBe(true);
    m.updateDrag({ x: from.x + 5, y: from.y });
    m.endDrag();
    expect(m.points[0]!.x).toBe(65);
    expect(m.points[1]!.v).toBe(0);
  });

  it('keeps the very same points after a drag back to where it began', () => {
    const m = model5();
    const before = m.points;
    const from = m.imageToStage(FACE5[2]!);
    m.beginDrag(2, from);
    m.updateDrag({ x: from.x + 20, y: from.y });
    m.updateDrag(from);
    expect(m.endDrag()).toBe(false);
    expect(m.points).toBe(before);
  });

  it('tells listeners the points changed on a cancel only when the drag moved them', () => {
    const m = model5();
    const seen = reasons(m);
    const from = m.imageToStage(FACE5[2]!);
    m.beginDrag(2, from);
    m.cancelDrag();
    expect(seen).toEqual(['mode', 'mode']);
    seen.length = 0;
    m.beginDrag(2, from);
    m.updateDrag({ x: from.x + 20, y: from.y });
    seen.length = 0;
    m.cancelDrag();
    expect(seen).toEqual(['points', 'mode']);
  });

  it('tells listeners the mode changed only when selecting switches into select mode', () => {
    const m = model5();
    const seen = reasons(m);
    m.setMode('place');
    expect(seen).toEqual(['mode']);
    seen.length = 0;
    m.selectGroup('eyes');
    expect(seen).toEqual(['mode', 'selection']);
    seen.length = 0;
    m.selectGroup('mouth');
    expect(seen).toEqual(['selection']);
    seen.length = 0;
    m.setMode('place');
    expect(m.selection).toEqual([]);
    expect(seen).toEqual(['mode', 'selection']);
    seen.length = 0;
    m.selectAll();
    expect(seen).toEqual(['mode', 'selection']);
    seen.length = 0;
    m.selectAll();
    expect(seen).toEqual(['selection']);
  });

  it('refuses a group the schema lacks and a viewport with no area, naming them', () => {
    const m = model5();
    expect(() => m.selectGroup('ears')).toThrow('Landmark schema "five" has no group "ears"');
    expect(() => m.setViewport({ width: 0, height: 10 })).toThrow(
      'Viewport must have a positive size, got 0×10',
    );
    expect(() => m.setViewport({ width: 10, height: 0 })).toThrow(
      'Viewport must have a positive size, got 10×0',
    );
  });

  it('refuses an image with no width or no height, naming the image and its size', () => {
    const m = new CanvasModel(FIVE);
    for (const imageSize of [
      { width: 0, height: 10 },
      { width: 10, height: 0 },
    ]) {
      expect(() => m.load({ imageId: IMAGE_A, imageSize })).toThrow(
        `Image ${IMAGE_A} has no size (${imageSize.width}×${imageSize.height})`,
      );
    }
    expect(() => m.load({ imageId: IMAGE_A, imageSize: SIZE, points: emptyPoints(4) })).toThrow(
      `Face of image ${IMAGE_A} has 4 points; landmark schema "five" has 5`,
    );
    expect(m.face).toBeNull();
    expect(m.canUndo).toBe(false);
    expect(m.canRedo).toBe(false);
  });

  it('keeps its own copy of the points it loaded', () => {
    const points = FACE5.map((p) => ({ ...p }));
    const m = new CanvasModel(FIVE);
    m.load({ imageId: IMAGE_A, imageSize: SIZE, points });
    points[0] = { x: 1, y: 1, v: 1, ...HUMAN };
    expect(m.points[0]).toEqual(FACE5[0]);
  });

  it('fits the whole image again after a zoom, and a boxless face by its labelled points', () => {
    const half = FACE5.map((p, i) => (i < 3 ? p : { x: 0, y: 0, v: 0 as const, ...HUMAN }));
    const m = model5(half);
    const image = m.transform;
    m.zoomAt({ x: 100, y: 100 }, 3);
    m.fitImage();
    expect(m.transform).toEqual(image);
    m.fitFace();
    // The labelled points span x 60..120 and y 60..90: their centre goes to the middle.
    const centre = m.imageToStage({ x: 90, y: 75 });
    expect(centre.x).toBeCloseTo(320, 9);
    expect(centre.y).toBeCloseTo(240, 9);
  });
});
