/**
 * Which of a project's faces fine-tuning learns from and pre-labelling predicts on, read straight
 * from the project's files without opening a store: the training process must not hold the
 * project open (the app's main process does, and writes it), and a store's close would compact.
 *
 * Labels are labels.json plus the label journal's lines applied in order (labels-journal.ts),
 * as ProjectStore.open reads them. A project that needs a migration is refused: the studio (or
 * any command that opens it) migrates it first.
 *
 * Which faces count (DESIGN §5):
 * - A point a model or template placed that no person confirmed (`Landmark.confirmed` false) is
 *   not a label: it reads as not labelled (v 0), so training on it cannot teach the model its own
 *   mistakes — unless the run's config sets `includeUnconfirmed`.
 * - landmarks: faces with every point of the schema labelled (v > 0). A partly labelled face
 *   (unconfirmed points included) is left out rather than trained on with guessed points: the
 *   loss has no mask, and NME needs every point.
 * - attributes: the binary attributes of the project's attribute set, 1 / 0 / NaN (not labelled);
 *   a face with none of them labelled is left out.
 * - expression: faces whose expression is one of the set's classes.
 * Images in the pool split (no split assigned) are left out; train, val and test are kept.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  FaceSetOptions,
  LabelledFace,
  LabelledFaceSet,
} from '../../engine/data/labelled-faces';
import type { ImageToPrelabel } from '../../engine/predict/prelabel';
import {
  FaceAnnotation,
  LabelsFile,
  PROJECT_SCHEMA_VERSION,
  ProjectFile,
  type ImageRecord,
  type Landmark,
} from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import { confirmedPointsOnly, isUnconfirmedPoint } from '../../shared/point-provenance';
import { describeIssues } from '../../core/atomic-json-file';
import { COMPACTING_FILE, JOURNAL_FILE, readJournal } from '../../core/labels-journal';
import { LABELS_FILE, PROJECT_FILE } from '../../core/project-store';
import { builtinAttributeSchema, builtinLandmarkSchema } from '../../core/schemas/builtin';
import { readWhileUnchanged } from '../../core/stable-read';

export type FinetuneTask = 'landmarks' | 'attributes' | 'expression';

/** A project's index and labels as they are on disk now. */
export interface ProjectSnapshot {
  dir: string;
  project: ProjectFile;
  faces: ReadonlyMap<string, FaceAnnotation>;
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new StudioError('not-found', `${file} cannot be read: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StudioError('io', `${file} is not valid JSON: ${(error as Error).message}`);
  }
}

function requireCurrent(file: string, version: unknown): void {
  if (version === PROJECT_SCHEMA_VERSION) return;
  throw new StudioError(
    'conflict',
    `${file} is at schema version ${String(version)}, not ${PROJECT_SCHEMA_VERSION}: open the ` +
      'project in Face Studio once (it migrates it), then train',
  );
}

/** Reads project.json, labels.json and the label journal, read-only. */
export async function readProjectSnapshot(projectDir: string): Promise<ProjectSnapshot> {
  const dir = path.resolve(projectDir);
  const projectFile = path.join(dir, PROJECT_FILE);
  const labelsFile = path.join(dir, LABELS_FILE);
  const projectRaw = await readJson(projectFile);
  requireCurrent(
    projectFile,
    (projectRaw as { meta?: { schemaVersion?: unknown } })?.meta?.schemaVersion,
  );
  const project = ProjectFile.safeParse(projectRaw);
  if (!project.success)
    throw new StudioError('io', `${projectFile} is invalid: ${describeIssues(project.error)}`);
  // Read again if the studio finished a compaction meanwhile (it moves journal lines into a new
  // labels.json): the old labels.json without those lines would lose them.
  const { labelsRaw, active, compacting } = await readWhileUnchanged(labelsFile, async () => ({
    labelsRaw: await readJson(labelsFile),
    // The journal before the compacting file, as the store reads them: a rotation between the
    // two reads then shows the same lines twice, which replays to the same faces.
    active: await readJournal(path.join(dir, JOURNAL_FILE)),
    compacting: await readJournal(path.join(dir, COMPACTING_FILE)),
  }));
  requireCurrent(labelsFile, (labelsRaw as { schemaVersion?: unknown })?.schemaVersion);
  const labels = LabelsFile.safeParse(labelsRaw);
  if (!labels.success)
    throw new StudioError('io', `${labelsFile} is invalid: ${describeIssues(labels.error)}`);
  const faces = new Map(Object.entries(labels.data.faces));
  for (const journal of [compacting, active]) {
    for (const line of journal?.lines ?? []) {
      // Older lines were folded into labels.json by a migration that stopped before removing them.
      if (line.version < PROJECT_SCHEMA_VERSION) continue;
      if (line.version > PROJECT_SCHEMA_VERSION)
        requireCurrent(`${journal!.file} line ${line.line}`, line.version);
      for (const raw of line.faces) {
        const face = FaceAnnotation.safeParse(raw);
        if (!face.success)
          throw new StudioError(
            'io',
            `${journal!.file} is invalid: line ${line.line}: ${describeIssues(face.error)}`,
          );
        faces.set(face.data.imageId, face.data);
      }
    }
  }
  return { dir, project: project.data, faces };
}

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
  const meta = snapshot.project.meta;
  const schema = builtinLandmarkSchema(meta.landmarkSchema);
  const attributeSet = meta.attributeSchema ? builtinAttributeSchema(meta.attributeSchema) : null;
  let attributes: string[] = [];
  let classes: string[] = [];
  if (task === 'attributes') {
    attributes = (attributeSet?.attributes ?? []).flatMap((a) =>
      a.kind === 'binary' ? [a.name] : [],
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
  for (const image of snapshot.project.images) {
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
        ? { task, attributes }
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
  const byId = new Map(snapshot.project.images.map((image) => [image.id, image]));
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
