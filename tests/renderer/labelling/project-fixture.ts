/**
 * A small project as the studio answers it, for the labeller's store tests: a 5-point schema
 * (eyes, nose, mouth corners), three 200×200 images in library order, the first two labelled,
 * and a `FakeStudio` wired to answer `schema:get`, `library:list`, `labels:get`, `labels:save`
 * (with revisions, as the store keeps them) and `models:list` from that state.
 */
import type { FaceAnnotation, Landmark } from '$shared/domain';
import type { ParsedRequestOf, ResponseOf } from '$shared/ipc-contract';
import type { LibraryItem } from '$shared/library';
import { Refusal, type FakeStudio } from '../support/fake-studio';

export const IMAGE_IDS = ['a', 'b', 'c'].map((c) => c.repeat(64));
const [A, B] = IMAGE_IDS as [string, string, string];

/** The schema's template, which is also the project's. */
const TEMPLATE: [number, number][] = [
  [0.2, 0.3],
  [0.8, 0.3],
  [0.5, 0.55],
  [0.3, 0.8],
  [0.7, 0.8],
];

export const SCHEMAS: ResponseOf<'schema:get'> = {
  landmarks: {
    id: 'five',
    name: 'Five points',
    points: ['left eye', 'right eye', 'nose', 'left mouth corner', 'right mouth corner'],
    groups: [
      { name: 'eyes', colour: '#3366ff', points: [0, 1] },
      { name: 'nose', colour: '#33cc66', points: [2] },
      { name: 'mouth', colour: '#ff3366', points: [3, 4] },
    ],
    edges: [[3, 4]],
    mirror: [
      [0, 1],
      [3, 4],
    ],
    normaliser: [0, 1],
    template: TEMPLATE,
  },
  attributes: {
    id: 'smile',
    name: 'Smile',
    attributes: [
      { kind: 'binary', name: 'Smiling' },
      { kind: 'class', name: 'pose', classes: ['left', 'frontal', 'right'] },
    ],
    expressions: ['neutral', 'happy'],
  },
};

/** The project's template (`schema:template`): the schema's own, as in a project under three faces. */
export const PROJECT_TEMPLATE: ResponseOf<'schema:template'> = {
  template: TEMPLATE,
  templateSource: 'schema',
};

function human(x: number, y: number): Landmark {
  return { x, y, v: 2, source: 'human', confirmed: true };
}

export const FACE_POINTS: Landmark[] = [
  human(60, 60),
  human(140, 60),
  human(100, 100),
  human(70, 150),
  human(130, 150),
];

export function face(imageId: string, revision: number, points = FACE_POINTS): FaceAnnotation {
  return {
    imageId,
    points: points.map((p) => ({ ...p })),
    attributes: {},
    expression: null,
    note: '',
    updatedAt: '2026-12-01T10:00:00.000Z',
    revision,
  };
}

/** A library item; `serveProject`'s list gives each the position of its place in `items`. */
export function item(imageId: string, labelled: boolean): LibraryItem {
  return {
    id: imageId,
    path: `images/${imageId.slice(0, 8)}.jpg`,
    width: 200,
    height: 200,
    split: 'pool',
    position: 0,
    labelled,
    needsReview: false,
    expression: null,
  };
}

/** What the fake studio holds; tests change it to play another window's saves. */
export interface ProjectState {
  items: LibraryItem[];
  faces: Map<string, FaceAnnotation>;
}

/**
 * Answers the labeller's channels from `state`. The first image unlabelled is the third one, so
 * the labeller opens on it unless `items` says otherwise.
 */
export function serveProject(studio: FakeStudio): ProjectState {
  const state: ProjectState = {
    items: [item(A, true), item(B, true), item(IMAGE_IDS[2]!, false)],
    faces: new Map([
      [A, face(A, 3)],
      [B, face(B, 1)],
    ]),
  };
  studio.handle('schema:get', () => SCHEMAS);
  studio.handle('schema:template', () => PROJECT_TEMPLATE);
  studio.handle('models:list', () => []);
  studio.handle('library:list', ({ offset, limit, filter }) => {
    const matching = state.items
      .map((i, position) => ({ ...i, position }))
      .filter((i) => filter.labelled === undefined || i.labelled === filter.labelled);
    return { total: matching.length, items: matching.slice(offset, offset + limit) };
  });
  studio.handle('labels:get', ({ imageId }) => structuredClone(state.faces.get(imageId) ?? null));
  studio.handle('labels:save', (request) => storeFace(state, request));
  return state;
}

/** What the store does with `labels:save`: refuse a stale base revision, else bump it. */
export function storeFace(
  state: ProjectState,
  { face: saved, baseRevision }: ParsedRequestOf<'labels:save'>,
): ResponseOf<'labels:save'> {
  const stored = state.faces.get(saved.imageId);
  if ((stored?.revision ?? null) !== baseRevision) {
    throw new Refusal('conflict', `Face ${saved.imageId} was changed elsewhere`);
  }
  const revision = (stored?.revision ?? 0) + 1;
  state.faces.set(saved.imageId, { ...saved, revision });
  return { saved: true, revision };
}
