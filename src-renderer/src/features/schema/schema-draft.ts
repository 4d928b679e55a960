/**
 * The schema editor's model: a custom landmark schema while it is being made. Points carry a
 * stable key, so mirror pairs, the NME pair and the diagram's lines survive renaming and
 * reordering; indices exist only in the `LandmarkSchema` that `draftToSchema` builds. Each point's
 * place on a face (0..1 of the editor's face surface) becomes the schema's template, the layout
 * the labeller's mini diagram draws. Pure functions: every change returns a new draft.
 *
 * What only a draft can lack (a name, a point not yet placed, no NME pair chosen) is refused here;
 * the schema built is then checked whole by the core validator in main (`schema:checkLandmarks`)
 * and again when a project is created with it (docs/ARCHITECTURE.md, "Files on disk").
 */
import type { LandmarkGroup, LandmarkSchema } from '$shared/schemas';

/** A 0..1 position on the editor's face surface, x to the right, y down. */
export type Spot = readonly [number, number];
export type KeyPair = readonly [number, number];

export interface DraftPoint {
  key: number;
  name: string;
  at: Spot | null;
}

export interface SchemaDraft {
  name: string;
  points: readonly DraftPoint[];
  /** Pairs of point keys a horizontal flip swaps; a point is in at most one. */
  mirror: readonly KeyPair[];
  /** The two points whose distance normalises NME, or null until chosen. */
  normaliser: KeyPair | null;
  /** The diagram's lines, as pairs of point keys. */
  edges: readonly KeyPair[];
  /** Where the placements were made, for the schema's `templateSource`. */
  face: string;
  nextKey: number;
}

export const DEFAULT_FACE = 'the default face';

export function emptyDraft(name = ''): SchemaDraft {
  return {
    name,
    points: [],
    mirror: [],
    normaliser: null,
    edges: [],
    face: DEFAULT_FACE,
    nextKey: 0,
  };
}

export function indexOfKey(draft: SchemaDraft, key: number): number {
  return draft.points.findIndex((p) => p.key === key);
}

export function addPoint(draft: SchemaDraft, name: string): SchemaDraft {
  const point: DraftPoint = { key: draft.nextKey, name: name.trim(), at: null };
  return { ...draft, points: [...draft.points, point], nextKey: draft.nextKey + 1 };
}

export function renamePoint(draft: SchemaDraft, key: number, name: string): SchemaDraft {
  return { ...draft, points: draft.points.map((p) => (p.key === key ? { ...p, name } : p)) };
}

const hasKey = (pair: KeyPair, key: number) => pair[0] === key || pair[1] === key;

/** Removes a point with its mirror pair, its lines, and the NME pair when it was in it. */
export function removePoint(draft: SchemaDraft, key: number): SchemaDraft {
  return {
    ...draft,
    points: draft.points.filter((p) => p.key !== key),
    mirror: draft.mirror.filter((pair) => !hasKey(pair, key)),
    edges: draft.edges.filter((pair) => !hasKey(pair, key)),
    normaliser: draft.normaliser && hasKey(draft.normaliser, key) ? null : draft.normaliser,
  };
}

/** Moves a point one place up (-1) or down (+1) in the schema order; at an end, nothing moves. */
export function movePoint(draft: SchemaDraft, key: number, by: -1 | 1): SchemaDraft {
  const from = indexOfKey(draft, key);
  const to = from + by;
  if (from < 0 || to < 0 || to >= draft.points.length) return draft;
  const points = [...draft.points];
  [points[from], points[to]] = [points[to]!, points[from]!];
  return { ...draft, points };
}

/** The point a flip swaps `key` with, or null when it is on the midline. */
export function partnerOf(draft: SchemaDraft, key: number): number | null {
  for (const [a, b] of draft.mirror) {
    if (a === key) return b;
    if (b === key) return a;
  }
  return null;
}

/**
 * Pairs `key` with `partner` (null: no partner). Either point's earlier pair is undone first, so
 * every point stays in at most one pair; pairing a point with itself leaves it unpaired.
 */
export function setMirror(draft: SchemaDraft, key: number, partner: number | null): SchemaDraft {
  const mirror = draft.mirror.filter(
    (pair) => !hasKey(pair, key) && (partner === null || !hasKey(pair, partner)),
  );
  if (partner !== null && partner !== key) mirror.push([key, partner]);
  return { ...draft, mirror };
}

export function setNormaliser(draft: SchemaDraft, pair: KeyPair | null): SchemaDraft {
  return { ...draft, normaliser: pair };
}

/** Adds the line between two points, or takes it away when it is there; a point to itself: none. */
export function toggleEdge(draft: SchemaDraft, a: number, b: number): SchemaDraft {
  if (a === b) return draft;
  const there = draft.edges.some((e) => hasKey(e, a) && hasKey(e, b));
  const edges = there
    ? draft.edges.filter((e) => !(hasKey(e, a) && hasKey(e, b)))
    : [...draft.edges, [a, b] as const];
  return { ...draft, edges };
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

export function placePoint(draft: SchemaDraft, key: number, at: Spot): SchemaDraft {
  const spot: Spot = [clamp01(at[0]), clamp01(at[1])];
  return { ...draft, points: draft.points.map((p) => (p.key === key ? { ...p, at: spot } : p)) };
}

/** The first point after `key` in schema order (wrapping round) not yet placed, else null. */
export function nextUnplaced(draft: SchemaDraft, key: number | null): number | null {
  const n = draft.points.length;
  const start = key === null ? 0 : indexOfKey(draft, key) + 1;
  for (let k = 0; k < n; k++) {
    const p = draft.points[(start + k) % n]!;
    if (p.at === null) return p.key;
  }
  return null;
}

/** The id a schema of this name gets: lower case, accents dropped, other runs to one `-`. */
export function schemaIdOf(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}

export type DraftResult = { ok: true; schema: LandmarkSchema } | { ok: false; problems: string[] };

/** Group colours: points left of their mirror partner, right of it, and on the midline. */
const SIDE_GROUPS = [
  { name: 'left', colour: '#4e79a7' },
  { name: 'right', colour: '#e15759' },
  { name: 'midline', colour: '#59a14f' },
] as const;

/** What still stops the draft from being a schema, each in words a person can act on. */
export function draftProblems(draft: SchemaDraft): string[] {
  const problems: string[] = [];
  if (draft.name.trim() === '') problems.push('Give the schema a name.');
  else if (schemaIdOf(draft.name) === '') {
    problems.push('The schema name needs a letter or digit (its id is made from them).');
  }
  if (draft.points.length < 2) problems.push('Add at least two points.');
  draft.points.forEach((p, i) => {
    if (p.name.trim() === '') problems.push(`Point ${i + 1} has no name.`);
    else if (p.at === null) problems.push(`Place point ${i + 1} "${p.name.trim()}" on the face.`);
  });
  if (draft.points.length >= 2 && draft.normaliser === null) {
    problems.push('Choose the two points that normalise NME (e.g. the outer eye corners).');
  }
  const placed = draft.points.flatMap((p) => (p.at ? [p.at] : []));
  if (placed.length === draft.points.length && placed.length >= 2) {
    const span = (axis: 0 | 1) =>
      Math.max(...placed.map((s) => s[axis])) - Math.min(...placed.map((s) => s[axis]));
    if (span(0) === 0 || span(1) === 0) {
      problems.push('The points lie on one line: spread them over the face as they are on it.');
    }
  }
  return problems;
}

/**
 * The schema the draft describes, or what is still missing. The template is the placements
 * stretched to their bounding box (0..1 each way, as every schema's template is); each mirror
 * pair's image-left point goes in the `left` group, its partner in `right`, the rest `midline`.
 */
export function draftToSchema(draft: SchemaDraft): DraftResult {
  const problems = draftProblems(draft);
  if (problems.length > 0) return { ok: false, problems };
  const index = new Map(draft.points.map((p, i) => [p.key, i]));
  const at = draft.points.map((p) => p.at!);
  const toIndices = (pair: KeyPair): [number, number] => [index.get(pair[0])!, index.get(pair[1])!];
  const xs = at.map((s) => s[0]);
  const ys = at.map((s) => s[1]);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  const [w, h] = [Math.max(...xs) - x0, Math.max(...ys) - y0];
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  const template = at.map(([x, y]): [number, number] => [round((x - x0) / w), round((y - y0) / h)]);

  const side = draft.points.map(() => 2);
  const mirror = draft.mirror.map(toIndices);
  for (const [a, b] of mirror) {
    const aLeft = at[a]![0] <= at[b]![0];
    side[a] = aLeft ? 0 : 1;
    side[b] = aLeft ? 1 : 0;
  }
  const groups: LandmarkGroup[] = SIDE_GROUPS.flatMap((group, s) => {
    const points = side.flatMap((g, i) => (g === s ? [i] : []));
    return points.length > 0 ? [{ ...group, points }] : [];
  });
  return {
    ok: true,
    schema: {
      id: schemaIdOf(draft.name),
      name: draft.name.trim(),
      points: draft.points.map((p) => p.name.trim()),
      groups,
      edges: draft.edges.map(toIndices),
      mirror,
      normaliser: toIndices(draft.normaliser!),
      template,
      templateSource: `placed on ${draft.face} in the schema editor`,
    },
  };
}

/** A draft of an existing schema (one loaded from a file), to change it in the editor. */
export function draftFromSchema(schema: LandmarkSchema): SchemaDraft {
  const at = (i: number): Spot | null => {
    const t = schema.template[i];
    // The template spans 0..1; the editor keeps a margin round it on the face.
    return t ? [0.15 + 0.7 * t[0], 0.15 + 0.7 * t[1]] : null;
  };
  return {
    name: schema.name,
    points: schema.points.map((name, key) => ({ key, name, at: at(key) })),
    mirror: schema.mirror.map(([a, b]) => [a, b] as const),
    normaliser: [schema.normaliser[0], schema.normaliser[1]],
    edges: schema.edges.map(([a, b]) => [a, b] as const),
    face: DEFAULT_FACE,
    nextKey: schema.points.length,
  };
}
