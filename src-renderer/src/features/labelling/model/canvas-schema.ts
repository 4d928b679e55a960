/**
 * The part of a landmark schema the canvas needs: point names and groups (for the side panel and
 * group selection) and mirror pairs (for mirror assist). Defined here, not imported, so the canvas
 * model depends on no schema store; `canvasSchemaOf` derives it from the shared `LandmarkSchema`.
 */
import type { LandmarkSchema } from '$shared/schemas';
import type { Point } from './transform';

export interface SchemaPoint {
  /** Shown beside the point, e.g. `left eye outer corner`. */
  name: string;
  /** Points that move together, e.g. `jaw`, `left eye`, `mouth`. */
  group: string;
}

export interface CanvasSchema {
  id: string;
  /** In schema order: a face's `points[i]` is `points[i]` here. */
  points: readonly SchemaPoint[];
  /** 0-based index pairs that swap under a horizontal flip; points on the midline are in none. */
  mirrorPairs: readonly (readonly [number, number])[];
}

/** Throws a `RangeError` naming the schema and the problem; returns the schema for chaining. */
export function checkCanvasSchema(schema: CanvasSchema): CanvasSchema {
  const n = schema.points.length;
  if (n === 0) throw new RangeError(`Landmark schema "${schema.id}" has no points`);
  const paired = new Set<number>();
  for (const [a, b] of schema.mirrorPairs) {
    for (const i of [a, b]) {
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new RangeError(
          `Landmark schema "${schema.id}": mirror pair [${a}, ${b}] is outside 0..${n - 1}`,
        );
      }
      if (paired.has(i)) {
        throw new RangeError(
          `Landmark schema "${schema.id}": point ${i} is in more than one mirror pair`,
        );
      }
    }
    if (a === b) {
      throw new RangeError(`Landmark schema "${schema.id}": point ${a} is paired with itself`);
    }
    paired.add(a);
    paired.add(b);
  }
  return schema;
}

/** Indices of the points in `group`, in schema order. */
export function groupIndices(schema: CanvasSchema, group: string): number[] {
  const out: number[] = [];
  schema.points.forEach((p, i) => {
    if (p.group === group) out.push(i);
  });
  return out;
}

/** Group names in order of first appearance. */
export function groupNames(schema: CanvasSchema): string[] {
  return [...new Set(schema.points.map((p) => p.group))];
}

/** Group given to points that no group of a `LandmarkSchema` lists. */
export const UNGROUPED = 'other';

/**
 * The canvas's view of a stored landmark schema. A point listed by several groups moves with the
 * first (group moves need one owner per point); a point listed by none goes to `UNGROUPED`.
 */
export function canvasSchemaOf(schema: LandmarkSchema): CanvasSchema {
  const groupOf = new Map<number, string>();
  for (const group of schema.groups) {
    for (const i of group.points) if (!groupOf.has(i)) groupOf.set(i, group.name);
  }
  return checkCanvasSchema({
    id: schema.id,
    points: schema.points.map((name, i) => ({ name, group: groupOf.get(i) ?? UNGROUPED })),
    mirrorPairs: schema.mirror,
  });
}

/**
 * The schema's mean shape as points normalised to the landmarks' bounding box (0..1), ready for
 * `CanvasModel.dropTemplate` with the box the face's landmarks should fill.
 */
export function templateOf(schema: LandmarkSchema): Point[] {
  return schema.template.map(([x, y]) => ({ x, y }));
}
