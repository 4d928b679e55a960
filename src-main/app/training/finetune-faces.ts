/**
 * Which of a project's faces fine-tuning learns from and pre-labelling predicts on, from a
 * read-only snapshot of the project (project-snapshot.ts: the store's own reader, without the
 * project's lock, writing nothing), so training sees exactly what the studio sees.
 *
 * Which faces count (docs/ARCHITECTURE.md, "Training recipe"):
 * - A point a model or template placed that no person confirmed (`Landmark.confirmed` false) is
 *   not a label: it reads as not labelled (v 0), so training on it cannot teach the model its own
 *   mistakes — unless the run's config sets `includeUnconfirmed`.
 * - landmarks: faces with every point of the schema labelled (v > 0). A partly labelled face
 *   (unconfirmed points included) is left out rather than trained on with guessed points: the
 *   loss has no mask, and NME needs every point.
 * - attributes: the binary attributes of the project's attribute set, 1 / 0 / NaN (not labelled),
 *   then its one-of-N attributes (`kind: 'class'`, MTFL pose: the face's `classes` value) as a
 *   class index or NaN; a face with none of them labelled is left out.
 * - expression: faces whose expression is one of the set's classes.
 * Images in the pool split (no split assigned) are left out; train, val and test are kept.
 */
import path from 'node:path';
import type {
  FaceSetOptions,
  LabelledFace,
  LabelledFaceSet,
} from '../../engine/data/labelled-faces';
import type { ImageToPrelabel } from '../../engine/predict/prelabel';
import type { ImageRecord, Landmark } from '../../shared/domain';
import type { CardClassGroup } from '../../shared/model-card';
import { StudioError } from '../../shared/errors';
import { confirmedPointsOnly, isUnconfirmedPoint } from '../../shared/point-provenance';
import { PROJECT_FILE } from '../../core/project-store';
import { builtinAttributeSchema } from '../../core/schemas/builtin';
import { readProjectSnapshot, type ProjectSnapshot } from './project-snapshot';

export type FinetuneTask = 'landmarks' | 'attributes' | 'expression';

function count(skipped: Record<string, number>, reason: string): void {
  skipped[reason] = (skipped[reason] ?? 0) + 1;
}

function faceOf(snapshot: ProjectSnapshot, image: ImageRecord, points: readonly Landmark[]) {
  return {
    imageId: image.id,
    file: path.resolve(snapshot.dir, image.path),
    width: image.width,
    height: image.height,
    detection: image.face ?? null,
    points: points.map(({ x, y, v }) => ({ x, y, v })),
    ...(image.subject !== undefined ? { subject: image.subject } : {}),
  };
}

/** Reads every face (unconfirmed points included) unless a run's config says otherwise. */
const CONFIRMED_ONLY: FaceSetOptions = { includeUnconfirmed: false };

/**
 * The project's faces labelled for `task`, with the names of the model's outputs. Unconfirmed
 * points read as not labelled unless `options.includeUnconfirmed`.
 */
export function labelledFaceSet(
  snapshot: ProjectSnapshot,
  task: FinetuneTask,
  options: FaceSetOptions = CONFIRMED_ONLY,
): LabelledFaceSet {
  const meta = snapshot.meta;
  const schema = snapshot.landmarks;
  const attributeSet = meta.attributeSchema ? builtinAttributeSchema(meta.attributeSchema) : null;
  let attributes: string[] = [];
  let groups: CardClassGroup[] = [];
  let classes: string[] = [];
  if (task === 'attributes') {
    attributes = (attributeSet?.attributes ?? []).flatMap((a) =>
      a.kind === 'binary' ? [a.name] : [],
    );
    groups = (attributeSet?.attributes ?? []).flatMap((a) =>
      a.kind === 'class' ? [{ name: a.name, classes: [...a.classes] }] : [],
    );
    if (attributes.length === 0)
      throw new StudioError(
        'invalid-payload',
        `Project "${meta.name}" has no binary attributes to train on` +
          (attributeSet ? ` (attribute set ${attributeSet.id})` : ' (no attribute set)'),
      );
  }
  if (task === 'expression') {
    classes = attributeSet?.expressions ?? [];
    if (classes.length === 0)
      throw new StudioError(
        'invalid-payload',
        `Project "${meta.name}" has no expression classes` +
          (attributeSet ? ` (attribute set ${attributeSet.id} has none)` : ' (no attribute set)'),
      );
  }
  const k = schema.points.length;
  const faces: LabelledFace[] = [];
  const skipped: Record<string, number> = {};
  for (const image of snapshot.images) {
    const face = snapshot.faces.get(image.id);
    if (!face) continue;
    const points = options.includeUnconfirmed ? face.points : confirmedPointsOnly(face.points);
    let label: number[];
    if (task === 'landmarks') {
      if (points.every((p) => p.v === 0)) {
        if (face.points.some(isUnconfirmedPoint)) count(skipped, 'points not confirmed');
        continue;
      }
      if (points.length !== k) {
        count(skipped, `not ${k} points`);
        continue;
      }
      if (points.some((p) => p.v === 0)) {
        count(
          skipped,
          face.points.some(isUnconfirmedPoint) ? 'points not confirmed' : 'partly labelled',
        );
        continue;
      }
      label = [];
    } else if (task === 'attributes') {
      label = attributes.map((name) => {
        const value = face.attributes[name];
        return value === undefined ? NaN : value ? 1 : 0;
      });
      for (const group of groups) {
        const value = face.classes?.[group.name];
        const index = value === undefined ? -1 : group.classes.indexOf(value);
        label.push(index < 0 ? NaN : index);
      }
      if (label.every(Number.isNaN)) continue;
    } else {
      if (face.expression === null) continue;
      const index = classes.indexOf(face.expression);
      if (index < 0) {
        count(skipped, 'expression not in the set');
        continue;
      }
      label = [index];
    }
    if (image.split === 'pool') {
      count(skipped, 'in the pool (no split)');
      continue;
    }
    faces.push({ ...faceOf(snapshot, image, points), split: image.split, label });
  }
  const names =
    task === 'landmarks'
      ? { task, schema }
      : task === 'attributes'
        ? { task, attributes, ...(groups.length > 0 ? { groups } : {}) }
        : { task, classes };
  return { ...names, project: meta.name, faces, skipped };
}

export async function readLabelledFaces(
  projectDir: string,
  task: FinetuneTask,
  options: FaceSetOptions = CONFIRMED_ONLY,
): Promise<LabelledFaceSet> {
  return labelledFaceSet(await readProjectSnapshot(projectDir), task, options);
}

/** The images to pre-label, in the order given; an id the project lacks is an error. */
export function prelabelImagesOf(
  snapshot: ProjectSnapshot,
  imageIds: readonly string[],
): ImageToPrelabel[] {
  const byId = new Map(snapshot.images.map((image) => [image.id, image]));
  const missing = imageIds.filter((id) => !byId.has(id));
  if (missing.length > 0)
    throw new StudioError(
      'not-found',
      `${missing.length} image(s) to pre-label are not in ${path.join(snapshot.dir, PROJECT_FILE)}: ` +
        missing.slice(0, 3).join(', ') +
        (missing.length > 3 ? ', …' : ''),
    );
  return imageIds.map((id) => {
    const image = byId.get(id)!;
    return {
      imageId: id,
      file: path.resolve(snapshot.dir, image.path),
      width: image.width,
      height: image.height,
      face: image.face ?? null,
    };
  });
}

export async function readPrelabelImages(
  projectDir: string,
  imageIds: readonly string[],
): Promise<ImageToPrelabel[]> {
  return prelabelImagesOf(await readProjectSnapshot(projectDir), imageIds);
}
