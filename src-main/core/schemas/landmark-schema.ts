/**
 * Landmark schemas: validation of a schema (built-in or the user's own JSON) and the derived
 * tables the rest of the studio needs (flip index, NME normaliser). A custom schema is checked as
 * a whole and every problem is named: duplicate point names, indices out of range, a mirror list
 * that is not an involution (a point in two pairs), a template of the wrong length.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { PlacedPoint } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import { LandmarkSchema } from '../../shared/schemas';
import { ProblemList } from '../problems';

/** `points[3].name`-style location of a zod issue. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc === '' ? String(key) : `${acc}.${String(key)}`;
  }, '');
}

export function addZodIssues(problems: ProblemList, file: string, error: z.ZodError): void {
  for (const issue of error.issues) {
    const where = issuePath(issue.path);
    problems.add(file, undefined, where === '' ? issue.message : `${where}: ${issue.message}`);
  }
}

function checkIndices(
  problems: ProblemList,
  file: string,
  what: string,
  pairs: readonly (readonly number[])[],
  count: number,
): void {
  pairs.forEach((pair, i) => {
    for (const index of pair) {
      if (index >= count) {
        problems.add(
          file,
          undefined,
          `${what}[${i}]: point ${index} is out of range 0..${count - 1}`,
        );
      }
    }
  });
}

/** The checks zod cannot express: names unique, indices in range, the mirror an involution. */
function checkSemantics(schema: LandmarkSchema, file: string, problems: ProblemList): void {
  const count = schema.points.length;
  const seen = new Map<string, number>();
  schema.points.forEach((name, i) => {
    const first = seen.get(name);
    if (first !== undefined) {
      problems.add(
        file,
        undefined,
        `points[${i}]: duplicate name "${name}" (also points[${first}])`,
      );
    } else seen.set(name, i);
  });
  checkIndices(problems, file, 'edges', schema.edges, count);
  checkIndices(problems, file, 'mirror', schema.mirror, count);
  checkIndices(problems, file, 'normaliser', singly(schema.normaliser), count);
  schema.groups.forEach((group, g) => {
    checkIndices(problems, file, `groups[${g}].points`, singly(group.points), count);
  });
  if (schema.normaliser[0] === schema.normaliser[1]) {
    problems.add(file, undefined, 'normaliser: the two points must differ');
  }
  schema.edges.forEach(([a, b], i) => {
    if (a === b) problems.add(file, undefined, `edges[${i}]: joins point ${a} to itself`);
  });
  const partner = new Map<number, number>();
  schema.mirror.forEach(([a, b], i) => {
    for (const [p, q] of [
      [a, b],
      [b, a],
    ] as const) {
      const earlier = partner.get(p);
      if (earlier !== undefined && earlier !== q) {
        problems.add(
          file,
          undefined,
          `mirror[${i}]: not an involution — point ${p} is paired with ${earlier} and with ${q}`,
        );
      }
      partner.set(p, q);
    }
  });
  if (schema.template.length !== count) {
    problems.add(file, undefined, `template has ${schema.template.length} points, not ${count}`);
  }
}

/** A schema from parsed JSON, or a StudioError listing every problem, each under `file`. */
export function parseLandmarkSchema(raw: unknown, file: string): LandmarkSchema {
  const problems = new ProblemList();
  const parsed = LandmarkSchema.safeParse(raw);
  if (!parsed.success) addZodIssues(problems, file, parsed.error);
  else checkSemantics(parsed.data, file, problems);
  problems.throwIfAny(`Invalid landmark schema ${file}`);
  return parsed.data!;
}

/** A custom schema from a JSON file. */
export async function loadLandmarkSchemaFile(path: string): Promise<LandmarkSchema> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new StudioError('io', `Cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseLandmarkSchemaText(text, path);
}

/**
 * A custom schema from the text of a JSON file (read here, or by a window that sent it): a
 * StudioError naming `file` when it is not JSON or not a valid schema.
 */
export function parseLandmarkSchemaText(text: string, file: string): LandmarkSchema {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new StudioError('invalid-payload', `${file}: not JSON: ${(error as Error).message}`);
  }
  return parseLandmarkSchema(raw, file);
}

/** `flip[i]` is the point that `i` becomes under a horizontal flip (YOLO's `flip_idx`). */
export function flipIndex(schema: LandmarkSchema): number[] {
  const flip = schema.points.map((_, i) => i);
  for (const [a, b] of schema.mirror) {
    flip[a] = b;
    flip[b] = a;
  }
  return flip;
}

/**
 * The points of a face in an image flipped left to right: positions mirrored about the image's
 * centre (pixel i goes to width-1-i) and reordered so "left eye" is still the image-left eye.
 */
export function mirrorLandmarks<P extends PlacedPoint>(
  points: readonly P[],
  schema: LandmarkSchema,
  imageWidth: number,
): P[] {
  const flip = flipIndex(schema);
  return flip.map((source) => {
    const p = points[source]!;
    return { ...p, x: imageWidth - 1 - p.x };
  });
}

/** Distance between the schema's normaliser points (the NME denominator) for one face. */
export function normaliserDistance(points: readonly PlacedPoint[], schema: LandmarkSchema): number {
  const a = points[schema.normaliser[0]]!;
  const b = points[schema.normaliser[1]]!;
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** Each index as a list of its own, so checkIndices names a bad one by its own place in a list. */
function singly(indices: readonly number[]): number[][] {
  return indices.map((index) => [index]);
}
