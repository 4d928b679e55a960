/**
 * Hand-written checks of the project's two big collections, image records and face annotations,
 * used by open() before zod. Zod builds a fresh copy of every object it validates; for 100k image
 * records and 10k 68-point faces that doubled the time of opening a project (as long as parsing
 * the JSON itself). These checks only look, so the parsed JSON is kept as it is.
 *
 * They answer "is this value exactly what zod would return for it?": true only when zod would
 * accept the value AND return an equal object (every key known, every defaulted field present).
 * Anything else — a bad value, an unknown key zod would strip, a missing default — answers false
 * and the caller runs zod, which gives the named error or the normalised copy. So a false answer
 * costs time, never correctness.
 *
 * If the domain schemas gain or lose a field, these checks would no longer match them: FAST_CHECKS
 * compares the field lists with the zod shapes at load time and turns the fast path off (zod
 * only) when they differ; record-fast-check.test.ts fails so the checks get updated.
 */
import {
  Box,
  FaceAnnotation,
  FaceDetection,
  ImageRecord,
  LabelsFile,
  Landmark,
  PointSource,
  ProjectFile,
} from '../shared/domain';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SPLITS: ReadonlySet<unknown> = new Set(['pool', 'train', 'val', 'test']);
const FLAGS: ReadonlySet<unknown> = new Set(['no-face', 'tiny-face', 'near-duplicate']);
const POINT_SOURCES: ReadonlySet<unknown> = new Set(PointSource.options);

/** The fields each check knows, per zod object; compared with the shapes below. */
export const CHECKED_FIELDS = {
  Box: ['x', 'y', 'width', 'height'],
  FaceDetection: ['box', 'crop', 'score'],
  ImageRecord: ['id', 'path', 'source', 'width', 'height', 'split', 'subject', 'face', 'flags'],
  Landmark: ['x', 'y', 'v', 'source', 'confirmed', 'uncertainty'],
  FaceAnnotation: [
    'imageId',
    'points',
    'box',
    'attributes',
    'classes',
    'expression',
    'note',
    'updatedAt',
    'revision',
  ],
  ProjectFile: ['meta', 'images', 'runs', 'models'],
  LabelsFile: ['schemaVersion', 'faces'],
} as const;

const SHAPES: Record<keyof typeof CHECKED_FIELDS, object> = {
  Box: Box.shape,
  FaceDetection: FaceDetection.shape,
  ImageRecord: ImageRecord.shape,
  Landmark: Landmark.shape,
  FaceAnnotation: FaceAnnotation.shape,
  ProjectFile: ProjectFile.shape,
  LabelsFile: LabelsFile.shape,
};

/** The schemas whose fields differ from what the checks know (empty when all match). */
export function driftedSchemas(): string[] {
  return Object.entries(CHECKED_FIELDS)
    .filter(([name, fields]) => {
      const shape = Object.keys(SHAPES[name as keyof typeof CHECKED_FIELDS]).sort();
      return shape.join(',') !== [...fields].sort().join(',');
    })
    .map(([name]) => name);
}

/** Whether the fast path is on: the checks know exactly the schemas' fields. */
export const FAST_CHECKS = driftedSchemas().length === 0;

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when every own key of `value` is one of `allowed` (zod would strip any other). */
function onlyKeys(value: Plain, allowed: ReadonlySet<string>): boolean {
  for (const key in value) {
    if (Object.hasOwn(value, key) && !allowed.has(key)) return false;
  }
  return true;
}

/** Like Array.every, but a hole (which `every` skips) fails, as it does in zod. */
function allOf(items: unknown[], check: (item: unknown) => boolean): boolean {
  for (let index = 0; index < items.length; index += 1) {
    if (!check(items[index])) return false;
  }
  return true;
}

const finite = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);
const positiveInt = (value: unknown): boolean =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
const nonNegativeInt = (value: unknown): boolean =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

const BOX_KEYS = new Set<string>(CHECKED_FIELDS.Box);
const DETECTION_KEYS = new Set<string>(CHECKED_FIELDS.FaceDetection);
const IMAGE_KEYS = new Set<string>(CHECKED_FIELDS.ImageRecord);
const LANDMARK_KEYS = new Set<string>(CHECKED_FIELDS.Landmark);
const FACE_KEYS = new Set<string>(CHECKED_FIELDS.FaceAnnotation);

function isBox(value: unknown): boolean {
  return (
    isPlain(value) &&
    onlyKeys(value, BOX_KEYS) &&
    finite(value.x) &&
    finite(value.y) &&
    finite(value.width) &&
    (value.width as number) >= 0 &&
    finite(value.height) &&
    (value.height as number) >= 0
  );
}

function isDetection(value: unknown): boolean {
  return (
    isPlain(value) &&
    onlyKeys(value, DETECTION_KEYS) &&
    isBox(value.box) &&
    isBox(value.crop) &&
    finite(value.score) &&
    (value.score as number) >= 0 &&
    (value.score as number) <= 1
  );
}

/** True when `value` is an ImageRecord that zod would return unchanged. */
/** Whether every record passes `isExactImageRecord` (and the fast checks are on). */
export function allExactImageRecords(images: readonly unknown[]): boolean {
  return FAST_CHECKS && allOf(images as unknown[], isExactImageRecord);
}

export function isExactImageRecord(value: unknown): value is ImageRecord {
  if (!isPlain(value) || !onlyKeys(value, IMAGE_KEYS)) return false;
  const { id, path, source, subject, face, flags } = value;
  return (
    typeof id === 'string' &&
    SHA256_HEX.test(id) &&
    typeof path === 'string' &&
    path.length > 0 &&
    (source === undefined || (typeof source === 'string' && source.length > 0)) &&
    positiveInt(value.width) &&
    positiveInt(value.height) &&
    SPLITS.has(value.split) &&
    (subject === undefined || typeof subject === 'string') &&
    (face === undefined || face === null || isDetection(face)) &&
    (flags === undefined || (Array.isArray(flags) && allOf(flags, (flag) => FLAGS.has(flag))))
  );
}

function isLandmark(value: unknown): boolean {
  if (!isPlain(value) || !onlyKeys(value, LANDMARK_KEYS)) return false;
  const { v, uncertainty } = value;
  return (
    finite(value.x) &&
    finite(value.y) &&
    (v === 0 || v === 1 || v === 2) &&
    POINT_SOURCES.has(value.source) &&
    typeof value.confirmed === 'boolean' &&
    (uncertainty === undefined || (finite(uncertainty) && (uncertainty as number) >= 0))
  );
}

function isRecordOf(value: unknown, type: 'boolean' | 'string'): boolean {
  if (!isPlain(value)) return false;
  for (const key in value) {
    if (Object.hasOwn(value, key) && typeof value[key] !== type) return false;
  }
  return true;
}

/** True when `value` is a FaceAnnotation that zod would return unchanged. */
export function isExactFaceAnnotation(value: unknown): value is FaceAnnotation {
  if (!isPlain(value) || !onlyKeys(value, FACE_KEYS)) return false;
  const { imageId, points, box, classes, expression, note } = value;
  return (
    typeof imageId === 'string' &&
    SHA256_HEX.test(imageId) &&
    Array.isArray(points) &&
    allOf(points, isLandmark) &&
    (box === undefined || isBox(box)) &&
    isRecordOf(value.attributes, 'boolean') &&
    (classes === undefined || isRecordOf(classes, 'string')) &&
    (expression === null || typeof expression === 'string') &&
    typeof note === 'string' &&
    note.length <= 10_000 &&
    typeof value.updatedAt === 'string' &&
    nonNegativeInt(value.revision)
  );
}

/** project.json's small parts; zod checks them (a handful of objects) while images take the fast path. */
const ProjectFileWithoutImages = ProjectFile.omit({ images: true });
const PROJECT_KEYS = new Set<string>(CHECKED_FIELDS.ProjectFile);
const LABELS_KEYS = new Set<string>(CHECKED_FIELDS.LabelsFile);

/**
 * project.json's content when the fast checks accept it, keeping the parsed image records as they
 * are; null when zod must check it (bad content, or content zod would change).
 */
export function fastProjectFile(raw: unknown, recordsVouched = false): ProjectFile | null {
  if (!FAST_CHECKS || !isPlain(raw) || !onlyKeys(raw, PROJECT_KEYS)) return null;
  const { images } = raw;
  if (!Array.isArray(images)) return null;
  // Records vouched for by project.checked.json (project-check.ts) passed this check when written.
  if (!recordsVouched && !allOf(images, isExactImageRecord)) return null;
  const rest = ProjectFileWithoutImages.safeParse({
    meta: raw.meta,
    runs: raw.runs,
    models: raw.models,
  });
  if (!rest.success) return null;
  return {
    meta: rest.data.meta,
    images: images as ImageRecord[],
    runs: rest.data.runs,
    models: rest.data.models,
  };
}

/**
 * labels.json's content (each face under its own image id) when the fast checks accept it, as
 * parsed; null when zod must check it. Faces written before revisions existed get zod's default
 * (0) filled in place, so a project from then keeps the fast path.
 */
export function fastLabelsFile(raw: unknown): LabelsFile | null {
  if (!FAST_CHECKS || !isPlain(raw) || !onlyKeys(raw, LABELS_KEYS)) return null;
  const { schemaVersion, faces } = raw;
  if (!positiveInt(schemaVersion) || !isPlain(faces)) return null;
  for (const key in faces) {
    if (!Object.hasOwn(faces, key)) continue;
    const face = faces[key];
    if (isPlain(face) && face.revision === undefined) face.revision = 0;
    if (!isExactFaceAnnotation(face) || face.imageId !== key) return null;
  }
  return raw as LabelsFile;
}
