/**
 * One open project on disk (DESIGN §6): project.json (meta, image index, runs, models) and
 * labels.json (annotations keyed by image id), each a lowdb database over an AtomicJsonFile.
 *
 * - Label edits only ever rewrite labels.json, debounced: the first unsaved edit starts a timer
 *   (200 ms by default) and every edit made before it fires goes into one write. saveFace's
 *   promise resolves once a write that holds the edit is fsync'd.
 * - Image index edits rewrite project.json at once; callers batch them (an import adds thousands
 *   of records in one putImages call).
 * - A corrupt, invalid or too-new file stops the open with a StudioError naming it and is never
 *   written; an older project is migrated after a backup (see migrations.ts).
 */
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { z } from 'zod';
import {
  FaceAnnotation,
  ImageRecord,
  LabelsFile,
  PROJECT_SCHEMA_VERSION,
  ProjectFile,
  ProjectMeta,
} from '../shared/domain';
import type { ProjectSummary } from '../shared/domain';
import { StudioError } from '../shared/errors';
import { AtomicJsonFile, describeIssues, readJsonFile } from './atomic-json-file';
import { describeWriteError, removeAbandonedTempFiles } from './atomic-write';
import { serialiseByLine } from './json-layout';
import type { LineCache } from './json-layout';
import { migrateProject, migrations as knownMigrations } from './migrations';
import type { Migration, RawJson } from './migrations';

export const PROJECT_FILE = 'project.json';
export const LABELS_FILE = 'labels.json';
/** Folders every project has; created empty by create(). */
export const PROJECT_FOLDERS = ['runs', 'models', path.join('cache', 'thumbs')] as const;

export const DEFAULT_LABEL_DEBOUNCE_MS = 200;

export interface NewProject {
  name: string;
  landmarkSchema: string;
  attributeSchema: string | null;
}

export interface ProjectStoreOptions {
  /** Wait between the first unsaved label edit and the write of labels.json, in ms (≥ 0). */
  labelDebounceMs?: number;
  /** Migrations run by open(); defaults to the app's list. Tests pass their own. */
  migrations?: readonly Migration[];
  /** Called after each labels.json write with the number of saveFace calls it made durable. */
  onLabelsFlushed?: (count: number) => void;
}

/** labels.json, plus the rule that each face sits under its own image id. */
const LabelsFileOnDisk = LabelsFile.superRefine((labels, context) => {
  for (const [key, face] of Object.entries(labels.faces)) {
    if (key !== face.imageId) {
      context.addIssue({
        code: 'custom',
        path: ['faces', key, 'imageId'],
        message: `the face is stored under ${key} but names image ${face.imageId}`,
      });
    }
  }
});

const ImageRecords = z.array(ImageRecord);

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class ProjectStore {
  readonly dir: string;
  private readonly project: Low<ProjectFile>;
  private readonly labels: Low<LabelsFile>;
  private readonly imagePositions = new Map<string, number>();
  private readonly debounceMs: number;
  private readonly onLabelsFlushed: ((count: number) => void) | undefined;

  private labelsDirty = false;
  private waiters: Waiter[] = [];
  private labelTimer: NodeJS.Timeout | null = null;
  private labelWrite: Promise<void> | null = null;
  private projectWrite: Promise<void> = Promise.resolve();
  /** Bumped on every index change; a write records the revision it holds once durable. */
  private projectRevision = 0;
  private projectSavedRevision = 0;
  private isClosed = false;

  private constructor(
    dir: string,
    project: ProjectFile,
    labels: LabelsFile,
    options: ProjectStoreOptions,
  ) {
    this.dir = dir;
    // Image records are frozen and faces are only replaced (getFace hands out copies), so each
    // one's encoded line can be cached: a write re-encodes only what changed.
    project.images.forEach(freezeImage);
    const imageLines: LineCache = new WeakMap();
    const faceLines: LineCache = new WeakMap();
    this.project = new Low(
      new AtomicJsonFile(path.join(dir, PROJECT_FILE), ProjectFile, {
        serialise: (data) => serialiseByLine(data, { images: imageLines }),
      }),
      project,
    );
    this.labels = new Low(
      new AtomicJsonFile(path.join(dir, LABELS_FILE), LabelsFileOnDisk, {
        serialise: (data) => serialiseByLine(data, { faces: faceLines }),
      }),
      labels,
    );
    const debounceMs = options.labelDebounceMs ?? DEFAULT_LABEL_DEBOUNCE_MS;
    if (!Number.isFinite(debounceMs) || debounceMs < 0) {
      throw new StudioError('invalid-payload', `labelDebounceMs must be ≥ 0, got ${debounceMs}`);
    }
    this.debounceMs = debounceMs;
    this.onLabelsFlushed = options.onLabelsFlushed;
    this.indexImages();
  }

  /**
   * Makes a new project in `dir`, which may exist (it must not hold project files yet) or not.
   * Writes labels.json, then project.json: project.json's presence marks a complete project.
   */
  static async create(
    dir: string,
    init: NewProject,
    options: ProjectStoreOptions = {},
  ): Promise<ProjectStore> {
    const root = path.resolve(dir);
    const meta = ProjectMeta.safeParse({
      schemaVersion: PROJECT_SCHEMA_VERSION,
      id: randomUUID(),
      name: init.name,
      createdAt: new Date().toISOString(),
      landmarkSchema: init.landmarkSchema,
      attributeSchema: init.attributeSchema,
    });
    if (!meta.success) {
      throw new StudioError(
        'invalid-payload',
        `Cannot create a project in ${root}: ${describeIssues(meta.error)}`,
      );
    }

    await makeFolder(root);
    for (const name of [PROJECT_FILE, LABELS_FILE]) {
      if (await exists(path.join(root, name))) {
        throw new StudioError(
          'conflict',
          `${root} already holds a Face Studio project (${name} exists); open it instead`,
        );
      }
    }
    for (const folder of PROJECT_FOLDERS) await makeFolder(path.join(root, folder));

    const store = new ProjectStore(
      root,
      { meta: meta.data, images: [], runs: [], models: [] },
      { schemaVersion: PROJECT_SCHEMA_VERSION, faces: {} },
      options,
    );
    await store.labels.write();
    try {
      await store.project.write();
    } catch (error) {
      // Without project.json the folder is not a project; drop labels.json so a retry can work.
      await unlink(path.join(root, LABELS_FILE)).catch(() => undefined);
      throw error;
    }
    return store;
  }

  /** Opens the project in `dir`, migrating it first when it comes from an older version. */
  static async open(dir: string, options: ProjectStoreOptions = {}): Promise<ProjectStore> {
    const root = path.resolve(dir);
    const projectFile = path.join(root, PROJECT_FILE);
    const labelsFile = path.join(root, LABELS_FILE);
    await requireFolder(root);

    const projectRaw = await readJsonFile(projectFile);
    if (projectRaw === undefined) {
      throw new StudioError(
        'not-found',
        `${root} is not a Face Studio project: ${PROJECT_FILE} is missing`,
      );
    }
    const projectVersion = versionOf(projectRaw, projectFile, ['meta', 'schemaVersion']);
    const labelsRaw = await readJsonFile(labelsFile);
    const labelsVersion =
      labelsRaw === undefined ? undefined : versionOf(labelsRaw, labelsFile, ['schemaVersion']);

    for (const [file, version] of [
      [projectFile, projectVersion],
      [labelsFile, labelsVersion],
    ] as const) {
      if (version !== undefined && version > PROJECT_SCHEMA_VERSION) {
        throw new StudioError(
          'conflict',
          `${file} was written by a newer Face Studio (schema version ${version}; this version ` +
            `reads up to ${PROJECT_SCHEMA_VERSION}). Update Face Studio to open it; nothing was changed.`,
        );
      }
    }

    let project = projectRaw as RawJson;
    let labels = labelsRaw as RawJson | undefined;
    const needsMigration =
      projectVersion < PROJECT_SCHEMA_VERSION ||
      (labelsVersion !== undefined && labelsVersion < PROJECT_SCHEMA_VERSION);
    if (needsMigration) {
      const result = await migrateProject(
        {
          dir: root,
          projectFile,
          labelsFile,
          project,
          labels,
          projectVersion,
          labelsVersion,
          target: PROJECT_SCHEMA_VERSION,
        },
        options.migrations ?? knownMigrations,
      );
      project = result.project;
      labels = result.labels;
    }
    if (labels === undefined) {
      throw new StudioError(
        'io',
        `${labelsFile} is missing, so the project's labels cannot be read; restore it from a ` +
          `backup (an empty file is not made, to avoid hiding lost labels)`,
      );
    }

    const store = new ProjectStore(
      root,
      new AtomicJsonFile(projectFile, ProjectFile).validate(project),
      new AtomicJsonFile(labelsFile, LabelsFileOnDisk).validate(labels),
      options,
    );
    if (needsMigration) {
      // labels.json first: if the app dies between the two writes, project.json still says the
      // old version and the next open migrates it again, skipping the already-upgraded labels.
      await store.labels.write();
      await store.project.write();
    }
    await removeAbandonedTempFiles(root);
    return store;
  }

  get meta(): ProjectMeta {
    return this.project.data.meta;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  summary(): ProjectSummary {
    let labelledCount = 0;
    for (const imageId of Object.keys(this.labels.data.faces)) {
      if (this.imagePositions.has(imageId)) labelledCount += 1;
    }
    return {
      dir: this.dir,
      meta: this.meta,
      imageCount: this.project.data.images.length,
      labelledCount,
    };
  }

  /** The image index in import order, frozen: change it through putImages/removeImages. */
  listImages(): readonly ImageRecord[] {
    return this.project.data.images;
  }

  getImage(imageId: string): ImageRecord | null {
    const position = this.imagePositions.get(imageId);
    return position === undefined ? null : (this.project.data.images[position] ?? null);
  }

  /**
   * Adds or replaces image records (matched by id) and writes project.json. Resolves once the
   * index is durable. Every record is validated first; one bad record rejects the whole batch.
   */
  async putImages(records: readonly z.input<typeof ImageRecord>[]): Promise<void> {
    this.requireOpen();
    const parsed = ImageRecords.safeParse(records);
    if (!parsed.success) {
      throw new StudioError(
        'invalid-payload',
        `Cannot add images to ${this.dir}: ${describeIssues(parsed.error)}`,
      );
    }
    const images = this.project.data.images;
    for (const record of parsed.data) {
      freezeImage(record);
      const position = this.imagePositions.get(record.id);
      if (position === undefined) {
        this.imagePositions.set(record.id, images.length);
        images.push(record);
      } else {
        images[position] = record;
      }
    }
    this.projectRevision += 1;
    await this.writeProject();
  }

  /**
   * Removes image records and writes project.json; returns how many were removed. Their labels
   * stay in labels.json (no annotation is ever dropped silently) but no longer count as labelled.
   */
  async removeImages(imageIds: readonly string[]): Promise<number> {
    this.requireOpen();
    const drop = new Set(imageIds);
    const before = this.project.data.images.length;
    this.project.data.images = this.project.data.images.filter((image) => !drop.has(image.id));
    this.indexImages();
    const removed = before - this.project.data.images.length;
    if (removed > 0) {
      this.projectRevision += 1;
      await this.writeProject();
    }
    return removed;
  }

  /** A copy of the face stored for an image, or null. */
  getFace(imageId: string): FaceAnnotation | null {
    const face = this.labels.data.faces[imageId];
    return face === undefined ? null : structuredClone(face);
  }

  /**
   * Stores a face annotation. Validates it, updates memory at once and resolves once a write of
   * labels.json that holds this edit is fsync'd (debounced with other edits).
   */
  saveFace(face: z.input<typeof FaceAnnotation>): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError());
    const parsed = FaceAnnotation.safeParse(face);
    if (!parsed.success) {
      const id = (face as { imageId?: unknown } | null)?.imageId;
      return Promise.reject(
        new StudioError(
          'invalid-payload',
          `Cannot save the face for image ${String(id)}: ${describeIssues(parsed.error)}`,
        ),
      );
    }
    if (!this.imagePositions.has(parsed.data.imageId)) {
      return Promise.reject(
        new StudioError('not-found', `Image ${parsed.data.imageId} is not in project ${this.dir}`),
      );
    }
    this.labels.data.faces[parsed.data.imageId] = parsed.data;
    this.labelsDirty = true;
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.labelTimer ??= setTimeout(() => {
      // Each saveFace caller gets the error through its own promise.
      this.flushLabels().catch(() => undefined);
    }, this.debounceMs);
    return durable;
  }

  /** Writes pending label edits now; resolves once everything saved so far is durable. */
  async flush(): Promise<void> {
    await this.flushLabels();
    await this.projectWrite;
    // An index write that failed earlier (the caller saw its error) is tried again here.
    if (this.projectSavedRevision < this.projectRevision) await this.writeProject();
  }

  /**
   * Flushes and closes. If the flush fails the store stays open, so the edits in memory are not
   * lost and the caller can retry.
   */
  async close(): Promise<void> {
    if (this.isClosed) return;
    await this.flush();
    this.isClosed = true;
  }

  private flushLabels(): Promise<void> {
    if (this.labelTimer !== null) {
      clearTimeout(this.labelTimer);
      this.labelTimer = null;
    }
    // One labels.json write at a time: edits made meanwhile go into the next one.
    if (this.labelWrite !== null) return this.labelWrite.then(() => this.flushLabels());
    if (!this.labelsDirty) return Promise.resolve();

    const waiters = this.waiters;
    this.waiters = [];
    this.labelsDirty = false;
    this.labelWrite = this.labels
      .write()
      .then(
        () => {
          for (const waiter of waiters) waiter.resolve();
          this.onLabelsFlushed?.(waiters.length);
        },
        (error: unknown) => {
          // The edits stay in memory and dirty: the next save or flush writes them again.
          this.labelsDirty = true;
          for (const waiter of waiters) waiter.reject(error);
          throw error;
        },
      )
      .finally(() => {
        this.labelWrite = null;
      });
    return this.labelWrite;
  }

  private writeProject(): Promise<void> {
    const revision = this.projectRevision;
    // The adapter serialises the data before its first await, so this write holds `revision`.
    const write = this.project.write().then(() => {
      this.projectSavedRevision = Math.max(this.projectSavedRevision, revision);
    });
    // flush() waits for the last index write; its error already went to the caller that made it.
    this.projectWrite = write.catch(() => undefined);
    return write;
  }

  private indexImages(): void {
    this.imagePositions.clear();
    this.project.data.images.forEach((image, position) => {
      this.imagePositions.set(image.id, position);
    });
  }

  private requireOpen(): void {
    if (this.isClosed) throw this.closedError();
  }

  private closedError(): StudioError {
    return new StudioError('not-found', `The project ${this.dir} is closed`);
  }
}

/** Deep-freezes an image record, so no caller can change it behind the line cache's back. */
function freezeImage(record: ImageRecord): void {
  if (record.face) {
    Object.freeze(record.face.box);
    Object.freeze(record.face.crop);
    Object.freeze(record.face);
  }
  if (record.flags) Object.freeze(record.flags);
  Object.freeze(record);
}

/** Reads a schema version at `at`; a missing or non-integer version means the file is invalid. */
function versionOf(raw: unknown, file: string, at: readonly string[]): number {
  let value: unknown = raw;
  for (const key of at) {
    value =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as RawJson)[key]
        : undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new StudioError(
      'io',
      `${file} is invalid: ${at.join('.')} is missing or not a whole number`,
    );
  }
  return value;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

async function requireFolder(dir: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(dir)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new StudioError('not-found', `${dir} does not exist`, { cause: error });
    }
    throw new StudioError('io', `Cannot read ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!isFolder) {
    throw new StudioError('not-found', `${dir} is not a Face Studio project: it is not a folder`);
  }
}

async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new StudioError('conflict', `Cannot create the folder ${dir}: a file is in the way`, {
        cause: error,
      });
    }
    const described = describeWriteError(dir, error);
    throw new StudioError('io', described.message.replace(/^Cannot write/, 'Cannot create'), {
      cause: error,
    });
  }
}
