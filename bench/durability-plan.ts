/**
 * What the kill bench's processes agree on (bench/durability.bench.ts): which images each of the
 * child's edit loops owns, how a record or a face is fingerprinted, and the lines the child
 * reports. Each loop owns its own images, so an image has at most one edit in flight: after a kill
 * it holds its last acknowledged value or, when an edit was under way, that edit's value.
 */
import { createHash } from 'node:crypto';

/** The project's base images are numbered 0…images-1 (bench-project.ts); the loops own slices. */
export interface Plan {
  /** Images in the base project. */
  images: number;
  /** Labelled faces in the base project, on every (images / faces)-th image. */
  faces: number;
}

/**
 * The checker's files in the work folder: the base's records in index order, 16 bytes each (the
 * id's first 8 bytes, the fingerprint's); the base's meta and faces' fingerprints; the model's
 * expected state, written by the parent before each check; the check's result.
 */
export const BASE_RECORDS = 'base-records.bin';
export const BASE_FACES = 'base-faces.json';
export const EXPECTED = 'expected.json';
export const RESULT = 'result.json';

/** A child's settings (its argv[3], JSON). */
export interface ChildSettings extends Plan {
  points: number;
  seed: number;
  labelDebounceMs: number;
  compactAfterFaces: number;
  compactAfterImageEdits: number;
}

/** Image numbers a loop owns: `stride * (from + i) + offset` for i < count. */
export interface Slice {
  offset: number;
  from: number;
  count: number;
}

/** The spacing of the base's faces: image `stride * i` holds face i. */
export function stride(plan: Plan): number {
  return Math.max(1, Math.floor(plan.images / plan.faces));
}

/** The loops that edit the project, one per kind of edit; each owns a slice. */
export type Loop = 'faces' | 'otherFaces' | 'newFaces' | 'splits' | 'flags' | 'removals';

/**
 * The loops' images. Faces sit on offset 0 (bench-project.ts's facedImage) and two loops edit
 * them, one half each; the other loops take offsets 1–4 beside them, so no two loops share an
 * image (the plan needs a stride of at least 5).
 */
export function slices(plan: Plan): Record<Loop, Slice> {
  if (stride(plan) < 5) throw new Error('the kill bench needs 5 images or more per face');
  const count = plan.faces;
  const half = Math.floor(count / 2);
  return {
    faces: { offset: 0, from: 0, count: half },
    otherFaces: { offset: 0, from: half, count: count - half },
    newFaces: { offset: 1, from: 0, count },
    splits: { offset: 2, from: 0, count },
    flags: { offset: 3, from: 0, count },
    removals: { offset: 4, from: 0, count },
  };
}

/** The image number of a slice's i-th image. */
export function sliceImage(plan: Plan, slice: Slice, i: number): number {
  return stride(plan) * (slice.from + i) + slice.offset;
}

/** The number of the k-th image the import loop adds (after the base's). */
export function addedImage(plan: Plan, k: number): number {
  return plan.images + k;
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
}

/** A value's fingerprint (16 hex digits of its canonical JSON's SHA-1); '-' for none. */
export function fingerprint(value: unknown): string {
  if (value === null || value === undefined) return ABSENT;
  return createHash('sha1').update(canonical(value)).digest('hex').slice(0, 16);
}

/** The fingerprint of an image not in the index, or of an image without a face. */
export const ABSENT = '-';
/** In an Expected list: the value the base project had (the checker looks it up). */
export const BASE = '=';

/**
 * The child's report lines (one per write to its stdout, each written before the next step):
 * - `OPEN <ms>`: the store is open;
 * - `T <seq> <img|add|face> <image id> <fingerprint>`: edit `seq` is about to change that image's
 *   record (ABSENT: remove it), add the image, or change its face; one line per image it changes;
 * - `A <seq>`: edit `seq`'s promise resolved (it is durable);
 * - `ERR <message>`: an edit failed, which is a finding.
 */
/** What an edit changes: a base image's record, a new image's, or a face. */
export type Target = 'img' | 'add' | 'face';

export type ReportLine =
  | { kind: 'open'; ms: number }
  | { kind: 'try'; seq: number; target: Target; id: string; value: string }
  | { kind: 'ack'; seq: number }
  | { kind: 'error'; message: string };

export function parseReport(line: string): ReportLine | null {
  const [kind, a, b, c, d] = line.split(' ');
  if (kind === 'OPEN') return { kind: 'open', ms: Number(a) };
  if (
    kind === 'T' &&
    (b === 'img' || b === 'face' || b === 'add') &&
    c !== undefined &&
    d !== undefined
  ) {
    return { kind: 'try', seq: Number(a), target: b, id: c, value: d };
  }
  if (kind === 'A') return { kind: 'ack', seq: Number(a) };
  if (kind === 'ERR') return { kind: 'error', message: line.slice(4) };
  return null;
}

/**
 * What the checker must find: for each image an edit touched, the fingerprints its record and
 * its face may have (several when an edit was in flight at the kill; BASE for the base's); every
 * other image as the base had it; the added images, in the order they were tried, the
 * acknowledged ones present.
 */
export interface Expected {
  images: Record<string, string[]>;
  faces: Record<string, string[]>;
  /** Added image ids in the order the import loop tried them. */
  added: string[];
}

/** What the checker found for the touched images, to become the model's new state. */
export interface Observed {
  images: Record<string, string>;
  faces: Record<string, string>;
  /** The added images present, in index order. */
  added: string[];
}

export interface CheckResult {
  problems: string[];
  observed: Observed;
  /** Image records and faces compared with the base or the model. */
  recordsChecked: number;
  facesChecked: number;
  /** Touched images whose record or face was checked against the model. */
  editsChecked: number;
  openMs: number;
  openCpuMs: number;
  checkMs: number;
}
