/** Attributes, expression and note beside the points, and how a face is written back. */
import { describe, expect, it } from 'vitest';
import type { LandmarkSchema } from '$shared/schemas';
import {
  asTemplate,
  binaryAttributeNames,
  chooseClass,
  chooseExpression,
  classAttributes,
  detailsOf,
  NO_DETAILS,
  pointColours,
  templateBox,
  toAnnotation,
  toggleAttribute,
  UNGROUPED_COLOUR,
} from '../../../src-renderer/src/features/labelling/face-draft';

const id = 'a'.repeat(64);

describe('face details', () => {
  it('toggles a binary attribute from unset to yes to no', () => {
    const once = toggleAttribute(NO_DETAILS, 'Smiling');
    expect(once.attributes).toEqual({ Smiling: true });
    expect(toggleAttribute(once, 'Smiling').attributes).toEqual({ Smiling: false });
    expect(NO_DETAILS.attributes).toEqual({});
  });

  it('sets one expression class; choosing it again clears it', () => {
    const happy = chooseExpression(NO_DETAILS, 'happy');
    expect(happy.expression).toBe('happy');
    expect(chooseExpression(happy, 'sad').expression).toBe('sad');
    expect(chooseExpression(happy, 'happy').expression).toBeNull();
  });

  it('lists only the binary attributes, in schema order', () => {
    expect(
      binaryAttributeNames({
        id: 'mtfl',
        name: 'MTFL',
        attributes: [
          { kind: 'binary', name: 'Male' },
          { kind: 'class', name: 'pose', classes: ['left', 'right'] },
          { kind: 'binary', name: 'Smiling' },
        ],
        expressions: null,
      }),
    ).toEqual(['Male', 'Smiling']);
    expect(binaryAttributeNames(null)).toEqual([]);
  });

  it('writes points, box and details as a FaceAnnotation, copying rather than sharing', () => {
    const points = [{ x: 1.25, y: 2.5, v: 1 as const, source: 'human' as const, confirmed: true }];
    const box = { x: 0, y: 0, width: 10, height: 10 };
    const details = {
      attributes: { Smiling: true },
      classes: { pose: 'frontal' },
      expression: 'happy',
      note: 'n',
    };
    const face = toAnnotation({ imageId: id, points, box }, details, '1970-01-01T00:00:00.000Z');
    expect(face).toEqual({
      imageId: id,
      points,
      box,
      attributes: { Smiling: true },
      classes: { pose: 'frontal' },
      expression: 'happy',
      note: 'n',
      updatedAt: '1970-01-01T00:00:00.000Z',
    });
    expect(face.points[0]).not.toBe(points[0]);
    expect(face.classes).not.toBe(details.classes);
    expect(detailsOf(face)).toEqual(details);
    expect(detailsOf(null)).toEqual(NO_DETAILS);
  });

  it('writes no classes field when no one-of-N attribute is set', () => {
    const face = toAnnotation({ imageId: id, points: [] }, NO_DETAILS, '1970-01-01T00:00:00.000Z');
    expect(face).not.toHaveProperty('classes');
    expect(detailsOf({ attributes: {}, expression: null, note: '' }).classes).toEqual({});
  });

  it('lists the one-of-N attributes with their classes, in schema order', () => {
    const schema = {
      id: 'mtfl',
      name: 'MTFL',
      attributes: [
        { kind: 'binary' as const, name: 'Male' },
        { kind: 'class' as const, name: 'pose', classes: ['left', 'frontal', 'right'] },
      ],
      expressions: null,
    };
    expect(classAttributes(schema)).toEqual([
      { name: 'pose', classes: ['left', 'frontal', 'right'] },
    ]);
    expect(classAttributes(null)).toEqual([]);
  });

  it('sets a one-of-N attribute, switches it, and clears it when chosen again', () => {
    const frontal = chooseClass(NO_DETAILS, 'pose', 'frontal');
    expect(frontal.classes).toEqual({ pose: 'frontal' });
    const left = chooseClass(frontal, 'pose', 'left');
    expect(left.classes).toEqual({ pose: 'left' });
    expect(chooseClass(left, 'pose', 'left').classes).toEqual({});
    expect(NO_DETAILS.classes).toEqual({});
  });
});

describe('drawing helpers', () => {
  it('colours each point by its first group, others grey', () => {
    const schema = {
      points: ['a', 'b', 'c'],
      groups: [
        { name: 'g1', colour: '#111111', points: [0, 1] },
        { name: 'g2', colour: '#222222', points: [1] },
      ],
    } as unknown as LandmarkSchema;
    expect(pointColours(schema)).toEqual(['#111111', '#111111', UNGROUPED_COLOUR]);
  });

  it('puts the template into the stored face box as it is: it is the landmarks’ box already', () => {
    const face = { x: 100, y: 50, width: 127, height: 254 };
    const box = templateBox(face, { width: 1, height: 1 });
    expect(box).toEqual(face);
    expect(box).not.toBe(face);
  });

  it('turns fitted points into a template over the box they span, and back', () => {
    const points: [number, number][] = [
      [10, 20],
      [30, 20],
      [20, 60],
    ];
    const placed = asTemplate(points)!;
    expect(placed.box).toEqual({ x: 10, y: 20, width: 20, height: 40 });
    expect(placed.template).toEqual([
      { x: 0, y: 0 },
      { x: 1, y: 0 },
      { x: 0.5, y: 1 },
    ]);
    expect(
      asTemplate([
        [1, 1],
        [5, 1],
      ]),
    ).toBeNull();
    expect(asTemplate([])).toBeNull();
  });

  it('without a face box, centres a square of half the shorter side', () => {
    expect(templateBox(undefined, { width: 400, height: 200 })).toEqual({
      x: 150,
      y: 50,
      width: 100,
      height: 100,
    });
  });
});
