/**
 * Writes a labelled set's faces into a project without clobbering the user's work. A face the
 * project does not have yet (or has with nothing labelled) is added. For a face it has, only the
 * labels the file carries are compared (its points if it has any, its attributes, classes and
 * expression if it names them): equal means unchanged; different means someone edited it since,
 * and the stored face is kept unless the caller asks to overwrite. Faces are compared by these
 * labels, never as whole objects, so fields the import knows nothing about (notes, revisions,
 * who placed a point) neither count as a difference nor get lost when a face is overwritten.
 */
import type { z } from 'zod';
import type { FaceAnnotation, Landmark } from '../../shared/domain';
import type { ImportFaceCounts } from '../../shared/library';
import { humanPoint, isConfirmedPoint } from '../../shared/point-provenance';
import { toLandmark, type LabelledFace } from '../formats/model';
import type { ProjectStore } from '../project-store';

export interface IncomingFace {
  imageId: string;
  face: LabelledFace;
}

export interface MergeFacesOptions {
  pointCount: number;
  /** Replace faces that differ from the file (the user's edits) with the file's labels. */
  overwrite: boolean;
  updatedAt: string;
}

/** Points closer than this (pixels) are the same point: a float written and read back. */
const SAME_POINT = 1e-6;

export async function mergeFaces(
  store: ProjectStore,
  incoming: readonly IncomingFace[],
  options: MergeFacesOptions,
): Promise<ImportFaceCounts> {
  const counts: ImportFaceCounts = { added: 0, unchanged: 0, kept: 0, overwritten: 0 };
  const saves: Promise<number>[] = [];
  for (const { imageId, face } of incoming) {
    const stored = store.getFace(imageId);
    const carried = carriedLabels(face, options.pointCount);
    if (stored === null || !holdsPersonsWork(stored)) {
      counts.added += 1;
      saves.push(store.saveFace(withLabels(stored, imageId, face, carried, options)));
    } else if (sameLabels(stored, carried)) {
      counts.unchanged += 1;
    } else if (options.overwrite) {
      counts.overwritten += 1;
      saves.push(store.saveFace(withLabels(stored, imageId, face, carried, options)));
    } else {
      counts.kept += 1;
    }
  }
  await Promise.all(saves);
  return counts;
}

/**
 * Whether a person has put anything into the face: a confirmed point, an attribute or an
 * expression. A face holding only a model's or template's unconfirmed guesses is not the user's
 * work, so a file's labels (a person's) replace it as a new face.
 */
function holdsPersonsWork(face: FaceAnnotation): boolean {
  return (
    face.points.some(isConfirmedPoint) ||
    face.expression !== null ||
    Object.keys(face.attributes).length > 0
  );
}

/** The labels a file states for a face; a field the format does not have is left out. */
interface CarriedLabels {
  points?: Landmark[];
  attributes?: Record<string, boolean>;
  classes?: Record<string, string>;
  expression?: string;
}

function carriedLabels(face: LabelledFace, pointCount: number): CarriedLabels {
  return {
    ...(face.points.length === pointCount ? { points: face.points.map(toLandmark) } : {}),
    ...(face.attributes && Object.keys(face.attributes).length > 0
      ? { attributes: face.attributes }
      : {}),
    ...(face.classes && Object.keys(face.classes).length > 0 ? { classes: face.classes } : {}),
    ...(face.expression !== undefined ? { expression: face.expression } : {}),
  };
}

function sameLabels(stored: FaceAnnotation, carried: CarriedLabels): boolean {
  if (carried.points && !samePoints(stored.points, carried.points)) return false;
  if (carried.attributes && !sameRecord(stored.attributes, carried.attributes)) return false;
  if (carried.classes && !sameRecord(stored.classes ?? {}, carried.classes)) return false;
  if (carried.expression !== undefined && stored.expression !== carried.expression) return false;
  return true;
}

function samePoints(a: readonly Landmark[], b: readonly Landmark[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => {
      const q = b[i]!;
      return p.v === q.v && Math.abs(p.x - q.x) <= SAME_POINT && Math.abs(p.y - q.y) <= SAME_POINT;
    })
  );
}

function sameRecord<T>(a: Readonly<Record<string, T>>, b: Readonly<Record<string, T>>): boolean {
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((key) => a[key] === b[key]);
}

/**
 * The stored face (or a blank one) with the file's labels put in. A set without points (class
 * folders, CelebA) still gives a new face the schema's points, none placed yet.
 */
function withLabels(
  stored: FaceAnnotation | null,
  imageId: string,
  face: LabelledFace,
  carried: CarriedLabels,
  options: MergeFacesOptions,
): z.input<typeof FaceAnnotation> {
  const blankPoints = (): Landmark[] =>
    Array.from({ length: options.pointCount }, () => humanPoint(0, 0, 0));
  return {
    ...(stored ?? {}),
    imageId,
    points: carried.points ?? stored?.points ?? blankPoints(),
    ...(face.box ? { box: face.box } : stored?.box ? { box: stored.box } : {}),
    attributes: carried.attributes ?? stored?.attributes ?? {},
    ...(carried.classes
      ? { classes: carried.classes }
      : stored?.classes
        ? { classes: stored.classes }
        : {}),
    expression: carried.expression ?? stored?.expression ?? null,
    updatedAt: options.updatedAt,
  };
}
