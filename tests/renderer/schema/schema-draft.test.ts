/**
 * The schema editor's model: the lab's 12 points built step by step make the schema the fixture
 * file holds (names, order, mirror pairs, NME pair, lines) and one the core validator accepts;
 * reordering, renaming and removing points keep mirror pairs, the NME pair and the lines on the
 * same points; a point is never in two mirror pairs; a draft that cannot be a schema yet is
 * refused with each reason in words.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLandmarkSchema } from '../../../src-main/core/schemas/landmark-schema';
import { LandmarkSchema } from '../../../src-main/shared/schemas';
import {
  addPoint,
  draftFromSchema,
  draftProblems,
  draftToSchema,
  emptyDraft,
  indexOfKey,
  movePoint,
  nextUnplaced,
  partnerOf,
  placePoint,
  removePoint,
  renamePoint,
  schemaIdOf,
  setMirror,
  setNormaliser,
  toggleEdge,
  type SchemaDraft,
} from '../../../src-renderer/src/features/schema/schema-draft';

const LAB12_FILE = path.join(import.meta.dirname, '../../fixtures/schemas/landmarks.lab12.json');
const lab12 = LandmarkSchema.parse(JSON.parse(await readFile(LAB12_FILE, 'utf8')));

/** The fixture's points, placed where its template puts them (inside a margin on the face). */
function lab12Draft(): SchemaDraft {
  let draft = emptyDraft('Lab 12 points');
  for (const name of lab12.points) draft = addPoint(draft, name);
  lab12.template.forEach(([x, y], key) => {
    draft = placePoint(draft, key, [0.1 + 0.8 * x, 0.1 + 0.8 * y]);
  });
  for (const [a, b] of lab12.mirror) draft = setMirror(draft, a, b);
  for (const [a, b] of lab12.edges) draft = toggleEdge(draft, a, b);
  return setNormaliser(draft, lab12.normaliser);
}

function built(draft: SchemaDraft): LandmarkSchema {
  const result = draftToSchema(draft);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.schema;
}

describe('a schema built in the editor', () => {
  it('is the lab12 file: id, names, order, mirror pairs, NME pair, lines and layout', () => {
    const schema = built(lab12Draft());
    expect(schema).toMatchObject({
      id: 'lab-12-points',
      name: 'Lab 12 points',
      points: lab12.points,
      mirror: lab12.mirror,
      normaliser: lab12.normaliser,
      edges: lab12.edges,
      templateSource: 'placed on the default face in the schema editor',
    });
    schema.template.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(lab12.template[i]![0], 4);
      expect(y).toBeCloseTo(lab12.template[i]![1], 4);
    });
    expect(parseLandmarkSchema(schema, 'editor')).toEqual(schema);
  });

  it('groups each mirror pair by the side of the face it is placed on, the rest on the midline', () => {
    const schema = built(lab12Draft());
    expect(schema.groups).toEqual([
      { name: 'left', colour: '#4e79a7', points: [0, 1, 4, 5, 9] },
      { name: 'right', colour: '#e15759', points: [2, 3, 6, 7, 10] },
      { name: 'midline', colour: '#59a14f', points: [8, 11] },
    ]);
  });

  it('round-trips a loaded schema through a draft unchanged but for the groups and source', () => {
    const schema = built(draftFromSchema(lab12));
    expect(schema.points).toEqual(lab12.points);
    expect(schema.mirror).toEqual(lab12.mirror);
    expect(schema.edges).toEqual(lab12.edges);
    expect(schema.normaliser).toEqual(lab12.normaliser);
    schema.template.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(lab12.template[i]![0], 4);
      expect(y).toBeCloseTo(lab12.template[i]![1], 4);
    });
  });
});

describe('editing keeps pairs and lines on their points', () => {
  it('moving a point down keeps its mirror partner, the NME pair and its lines', () => {
    // left_eye_outer (4) goes below left_eye_inner (5): indices swap, the pairs follow.
    const schema = built(movePoint(lab12Draft(), 4, 1));
    expect(schema.points.slice(4, 6)).toEqual(['left_eye_inner', 'left_eye_outer']);
    const named = (pairs: readonly (readonly [number, number])[]) =>
      pairs.map(([a, b]) => [schema.points[a], schema.points[b]]);
    const namedInFile = (pairs: readonly (readonly [number, number])[]) =>
      pairs.map(([a, b]) => [lab12.points[a], lab12.points[b]]);
    expect(schema.mirror).not.toEqual(lab12.mirror);
    expect(named(schema.mirror)).toEqual(namedInFile(lab12.mirror));
    expect(schema.points[schema.normaliser[0]]).toBe('left_eye_outer');
    expect(schema.points[schema.normaliser[1]]).toBe('right_eye_outer');
    expect(named(schema.edges)).toEqual(namedInFile(lab12.edges));
  });

  it('moving past either end changes nothing', () => {
    const draft = lab12Draft();
    expect(movePoint(draft, 0, -1)).toBe(draft);
    expect(movePoint(draft, 11, 1)).toBe(draft);
    expect(movePoint(draft, 99, 1)).toBe(draft);
  });

  it('renaming keeps every pair', () => {
    const schema = built(renamePoint(lab12Draft(), 7, 'right eye, outer corner'));
    expect(schema.points[7]).toBe('right eye, outer corner');
    expect(schema.mirror).toEqual(lab12.mirror);
    expect(schema.normaliser).toEqual(lab12.normaliser);
  });

  it('removing a point drops its mirror pair and lines, and the NME pair it was in', () => {
    const draft = removePoint(lab12Draft(), 7);
    expect(partnerOf(draft, 4)).toBeNull();
    expect(draft.normaliser).toBeNull();
    expect(draft.edges).not.toContainEqual([6, 7]);
    expect(draftProblems(draft)).toEqual([
      'Choose the two points that normalise NME (e.g. the outer eye corners).',
    ]);
    const schema = built(setNormaliser(draft, [5, 6]));
    expect(schema.points).toHaveLength(11);
    // Indices after the removed point shift down by one; pairs follow their points.
    expect(schema.mirror).toEqual([
      [0, 3],
      [1, 2],
      [5, 6],
      [8, 9],
    ]);
    expect(schema.normaliser).toEqual([5, 6]);
  });

  it('pairing a point again undoes both points’ earlier pairs: never two pairs for one point', () => {
    let draft = lab12Draft();
    draft = setMirror(draft, 0, 2);
    expect(partnerOf(draft, 0)).toBe(2);
    expect(partnerOf(draft, 3)).toBeNull();
    expect(partnerOf(draft, 1)).toBeNull();
    draft = setMirror(draft, 2, null);
    expect(partnerOf(draft, 0)).toBeNull();
    draft = setMirror(draft, 5, 5);
    expect(partnerOf(draft, 5)).toBeNull();
    expect(partnerOf(draft, 6)).toBeNull();
    expect(parseLandmarkSchema(built(draft), 'editor').mirror).toEqual([
      [4, 7],
      [9, 10],
    ]);
  });

  it('a line toggles, in either direction, and never joins a point to itself', () => {
    let draft = toggleEdge(lab12Draft(), 1, 0);
    expect(draft.edges).not.toContainEqual([0, 1]);
    draft = toggleEdge(draft, 1, 0);
    expect(draft.edges).toContainEqual([1, 0]);
    expect(toggleEdge(draft, 3, 3)).toBe(draft);
  });

  it('places within the face and offers the next point still to place', () => {
    let draft = addPoint(addPoint(addPoint(emptyDraft('Three'), 'a'), 'b'), 'c');
    expect(nextUnplaced(draft, null)).toBe(0);
    draft = placePoint(draft, 0, [-0.2, 1.4]);
    expect(draft.points[0]!.at).toEqual([0, 1]);
    expect(nextUnplaced(draft, 0)).toBe(1);
    draft = placePoint(draft, 2, [0.5, 0.5]);
    expect(nextUnplaced(draft, 1)).toBe(1);
    expect(nextUnplaced(draft, 2)).toBe(1);
    draft = placePoint(draft, 1, [0.9, 0.1]);
    expect(nextUnplaced(draft, 1)).toBeNull();
    expect(indexOfKey(draft, 2)).toBe(2);
  });
});

describe('a draft that is not a schema yet', () => {
  it('is refused with every reason', () => {
    let draft = addPoint(addPoint(addPoint(emptyDraft(' '), 'nose'), ''), 'chin');
    draft = placePoint(draft, 0, [0.5, 0.5]);
    const result = draftToSchema(draft);
    expect(result).toEqual({
      ok: false,
      problems: [
        'Give the schema a name.',
        'Point 2 has no name.',
        'Place point 3 "chin" on the face.',
        'Choose the two points that normalise NME (e.g. the outer eye corners).',
      ],
    });
  });

  it('needs two points, a name with a letter or digit, and points spread over the face', () => {
    expect(draftProblems(addPoint(emptyDraft('—'), 'nose'))).toEqual([
      'The schema name needs a letter or digit (its id is made from them).',
      'Add at least two points.',
      'Place point 1 "nose" on the face.',
    ]);
    let line = addPoint(addPoint(emptyDraft('Line'), 'a'), 'b');
    line = setNormaliser(placePoint(placePoint(line, 0, [0.2, 0.5]), 1, [0.8, 0.5]), [0, 1]);
    expect(draftToSchema(line)).toEqual({
      ok: false,
      problems: ['The points lie on one line: spread them over the face as they are on it.'],
    });
  });

  it('makes ids the core accepts from names', () => {
    expect(schemaIdOf('Lab 12 points')).toBe('lab-12-points');
    expect(schemaIdOf('  Équipe  visage: 14 pts!  ')).toBe('equipe-visage-14-pts');
    expect(schemaIdOf('x'.repeat(70))).toHaveLength(64);
  });
});
