/**
 * One open project on disk (docs/ARCHITECTURE.md, "Files on disk"): project.json (meta, image
 * index, runs, models; a lowdb database over a ProjectJsonFile, project-file.ts) and labels.json
 * (annotations keyed by image id), with labels.summary.json beside it: when the summary vouches
 * for labels.json's bytes, open keeps the faces as their lines and parses each when read
 * (labels-table.ts). Likewise project.records.bin lets open keep the image records as lines of
 * project.json and parse each when read (image-table.ts).
 *
 * Beside them: labels.journal.jsonl (and, for a moment during
 * compaction, labels.journal.compacting.jsonl), see labels-journal.ts. The project's labels are
 * labels.json with the journal's lines applied in order (each line: whole faces, upserted by image
 * id). Rewriting 20+ MB of labels.json per edit took 200–1,500 ms; an append takes one small write
 * and one fsync.
 *
 * - Label edits are debounced: the first unsaved edit starts a timer (200 ms by default) and every
 *   face changed before it fires goes into one journal line. saveFace's promise resolves once that
 *   line is fsync'd.
 * - Compaction folds the journal into labels.json when it passes a threshold (2,000 faces or 8 MB,
 *   in the background) and on close: under the journal's lock it renames the journal to the
 *   compacting file and takes the faces the renamed lines hold, exactly; appends then go on into a
 *   fresh journal while labels.json is rewritten atomically from that snapshot; last the compacting
 *   file is removed. A crash at any step leaves labels.json either without those lines or with
 *   exactly them, and applying lines again over a labels.json that already holds them changes
 *   nothing, so no edit is lost or rolled back. A compacting file found on open (a compaction cut
 *   short) is folded, together with the journal, under the lock by the next compaction.
 * - Image index edits (putImages, removeImages) go to their own journal, images.journal.jsonl (see
 *   images-journal.ts): one line per call, fsync'd before the call resolves, and only then applied
 *   in memory, so the index in memory is always exactly what is durable. It is folded into
 *   project.json the same way as the label journal, after 5,000 edited records or 8 MB (in the
 *   background) and on close.
 * - A corrupt, invalid or too-new file stops the open with a StudioError naming it and is never
 *   written; an older project is migrated after a backup (see migrations.ts) and the journal is
 *   folded into the migrated labels.json.
 * - One writer per project across processes: open and create take the folder's lock
 *   (project.lock, see project-lock.ts) before reading anything, and close releases it; a second
 *   process gets a StudioError naming the holder. ProjectSession's switch may hold two stores of
 *   one folder in one process for a moment (the lock counts them), and then only the last one to
 *   close compacts.
 * - A project whose landmark schema is not built in keeps it whole in landmark-schema.json, written
 *   before project.json on create and checked on open (schemas/project-landmarks.ts).
 * - A read-only store (`readOnly`) takes no lock, reads a consistent snapshot even while another
 *   process writes (stable-read.ts), migrates an old project in memory only, and refuses writes:
 *   for commands that only read (`project info`, `export`).
 */
import { isAscii } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readFile, stat, unlink } from 'node:fs/promises';
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
import type { LandmarkSchema } from '../shared/schemas';
import { AtomicJsonFile, describeIssues, parseJsonText } from './atomic-json-file';
import { coordinateProblems } from './coordinate-bounds';
import { describeWriteError, removeAbandonedTempFiles, writeFileAtomic } from './atomic-write';
import {
  COMPACTING_FILE,
  JOURNAL_FILE,
  LabelsJournal,
  encodeJournalLine,
  readJournal,
} from './labels-journal';
import type { JournalContents } from './labels-journal';
import { JournalCompaction } from './journal-compaction';
import { migrateProject, migrations as knownMigrations } from './migrations';
import type { Migration, RawJson } from './migrations';
import { LibraryIndex } from './library/library-index';
import { acquireProjectLock } from './project-lock';
import type { ProjectLock } from './project-lock';
import {
  applyImageEdits,
  IMAGE_JOURNAL_FILES,
  IMAGES_COMPACTING_FILE,
  IMAGES_JOURNAL_FILE,
  type ImageEdit,
} from './images-journal';
import { FaceTable, LABELS_SUMMARY_FILE, summarise } from './labels-table';
import type { FaceSummary, StaleSummaryFallback, Summary } from './labels-table';
import {
  allExactImageRecords,
  fastLabelsFile,
  fastProjectFile,
  isExactFaceAnnotation,
} from './record-fast-check';
import {
  CUSTOM_LANDMARKS_FILE,
  newProjectLandmarks,
  readProjectLandmarks,
  writeCustomLandmarks,
  type LandmarkSchemaChoice,
} from './schemas/project-landmarks';
import { identityOf, readWhileUnchanged } from './stable-read';
import { recordsVouched, vouchForRecords } from './project-check';
import {
  columnsOf,
  decodeImageLines,
  encodeImageLines,
  freezeImage,
  IMAGE_LINES_FILE,
  ImageTable,
  linesOfProject,
} from './image-table';
import type { ImageLines, LineBase } from './image-table';
import { ProjectJsonFile } from './project-file';
import type { ProjectDocument } from './project-file';

export const PROJECT_FILE = 'project.json';
export const LABELS_FILE = 'labels.json';
/** The project's training runs, one folder each (engine/jobs/run-folder.ts owns what is inside). */
export const RUNS_FOLDER = 'runs';
/** The project's exported models, one folder each with its card.json. */
export const MODELS_FOLDER = 'models';
/** Folders every project has; created empty by create(). */
export const PROJECT_FOLDERS = [RUNS_FOLDER, MODELS_FOLDER, path.join('cache', 'thumbs')] as const;

export const DEFAULT_LABEL_DEBOUNCE_MS = 200;
/** Faces appended to the journal before a background compaction: ~1 s of JSON to replay. */
export const DEFAULT_COMPACT_AFTER_FACES = 2_000;
/** Journal size before a background compaction, whatever the face count (98-point faces). */
export const DEFAULT_COMPACT_AFTER_BYTES = 8 * 1024 * 1024;
/** Image records edited in the journal before a background compaction of project.json. */
export const DEFAULT_COMPACT_AFTER_IMAGE_EDITS = 5_000;

export interface NewProject {
  name: string;
  /** A built-in schema's id, or a custom schema (kept in the project's landmark-schema.json). */
  landmarkSchema: LandmarkSchemaChoice;
  attributeSchema: string | null;
}

export interface ProjectStoreOptions {
  /** Wait between the first unsaved label edit and the write of labels.json, in ms (≥ 0). */
  labelDebounceMs?: number;
  /** Migrations run by open(); defaults to the app's list. Tests pass their own. */
  migrations?: readonly Migration[];
  /** Called after each journal append with the number of saveFace calls it made durable. */
  onLabelsFlushed?: (count: number) => void;
  /** Called after each journal append with the faces it made durable, at their new revisions. */
  onFacesChanged?: (faces: readonly FaceRevision[]) => void;
  /** Faces in the journal that start a background compaction (≥ 1). */
  compactAfterFaces?: number;
  /** Journal bytes that start a background compaction (≥ 1), for each of the two journals. */
  compactAfterBytes?: number;
  /** Image edits in the image index's journal that start a background compaction (≥ 1). */
  compactAfterImageEdits?: number;
  /**
   * Open without the project's lock, for reading only: every write is refused and close writes
   * nothing. Another process may hold the project meanwhile; this store is a snapshot of it.
   */
  readOnly?: boolean;
  /**
   * Awaited before the background read of labels.json a moment after open (a deferred face
   * table): the app waits for a spell without image requests, so the first screen's thumbnails
   * are served before that read (~0.4 s of the main thread at 100k faces' 63 MB).
   */
  beforeLabelsPreload?: () => Promise<void>;
}

/** A face's image and the revision a save gave it. */
export interface FaceRevision {
  imageId: string;
  revision: number;
}

export interface SaveFaceOptions {
  /**
   * The revision of the face the caller read and edited, or null when it read no face for the
   * image. The save is refused with a 'conflict' error, and nothing changes, when the stored face
   * is at another revision (or exists when null was given): someone saved it since. Left out, the
   * face replaces whatever is stored (imports, pre-labelling: writers that decide for themselves).
   */
  baseRevision?: number | null;
}

/** Folders held open by a store of this process, with how many stores hold each. */
const openFolders = new Map<string, number>();

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

/**
 * How long after open a store whose summary let it skip labels.json reads the file in the
 * background (labels-table.ts): long enough for the grid's first page to be answered first.
 */
const PRELOAD_LABELS_AFTER_MS = 250;

/** What a compaction writes to labels.json: its faces with the journal's upserted. */
interface LabelsSnapshot {
  version: number;
  overlay: ReadonlyMap<string, FaceAnnotation>;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class ProjectStore {
  readonly dir: string;
  private readonly project: Low<ProjectDocument>;
  private readonly labelsFile: string;
  /** labels.json's schema version (the current one once open). */
  private readonly labelsVersion: number;
  /**
   * labels.json's faces as read (labels-table.ts: kept as bytes and parsed when read, when the
   * summary vouches for them). Never changed: edits live in the two maps below.
   */
  private readonly baseFaces: FaceTable;
  /** Faces saved since open (or replayed from the journal), over baseFaces: the project's labels. */
  private readonly savedFaces: Map<string, FaceAnnotation>;
  /** labels.json's journal (labels-journal.ts): appends, rotations and compactions. */
  private readonly labelLog: JournalCompaction<LabelsSnapshot>;
  /** Positions, filter codes and counts of the image index (library/library-index.ts). */
  private readonly index: LibraryIndex;
  private readonly debounceMs: number;
  private readonly onLabelsFlushed: ((count: number) => void) | undefined;
  private readonly onFacesChanged: ((faces: readonly FaceRevision[]) => void) | undefined;
  private readonly beforeLabelsPreload: (() => Promise<void>) | undefined;
  /** The project's landmark schema, built in or its own (schemas/project-landmarks.ts). */
  readonly landmarkSchema: LandmarkSchema;

  /**
   * The faces of the journal over baseFaces (on disk: labels.json plus the journal), as opposed to
   * `savedFaces`, which also holds edits not yet appended. A compaction writes exactly these.
   */
  private readonly durableFaces: Map<string, FaceAnnotation>;
  /** Image ids whose face changed since the last append started. */
  private readonly dirty = new Set<string>();
  private waiters: Waiter[] = [];
  private labelTimer: NodeJS.Timeout | null = null;
  private labelWrite: Promise<void> | null = null;
  /** The image index's journal (images-journal.ts), folded into project.json. */
  private readonly imageLog: JournalCompaction<ProjectDocument>;
  private isClosed = false;
  /** Edits applied in memory since open (faces and image records): see `editCount`. */
  private edits = 0;
  /** The background read of labels.json a deferred face table waits for (see `load`). */
  private preloadTimer: NodeJS.Timeout | null = null;
  /** The folder's lock, held from open to close; null for a read-only store. */
  private lock: ProjectLock | null = null;
  private readonly isReadOnly: boolean;

  private constructor(
    dir: string,
    project: ProjectDocument,
    labels: { table: FaceTable; version: number; replayed: ReadonlyMap<string, FaceAnnotation> },
    journal: LabelsJournal,
    journalFaces: number,
    landmarks: LandmarkSchema,
    options: ProjectStoreOptions,
    imagesJournal: LabelsJournal = new LabelsJournal(
      dir,
      undefined,
      undefined,
      IMAGE_JOURNAL_FILES,
    ),
    imageEdits = 0,
  ) {
    this.dir = dir;
    this.landmarkSchema = landmarks;
    // Image records are frozen: a write copies the lines of those it read as lines, encodes the
    // others, and then reads them all as lines of the file it wrote (image-table.ts).
    this.project = new Low(
      new ProjectJsonFile(path.join(dir, PROJECT_FILE), (table, written) =>
        this.linesWritten(table, written),
      ),
      project,
    );
    this.labelsFile = path.join(dir, LABELS_FILE);
    this.labelsVersion = labels.version;
    this.baseFaces = labels.table;
    this.savedFaces = new Map(labels.replayed);
    this.durableFaces = new Map(labels.replayed);
    const compactAfterBytes = positiveOption(
      options.compactAfterBytes,
      DEFAULT_COMPACT_AFTER_BYTES,
      1,
      'compactAfterBytes',
    );
    const isClosed = () => this.isClosed;
    this.labelLog = new JournalCompaction(
      journal,
      {
        snapshot: () => this.durableSnapshot(),
        write: (snapshot) => this.writeLabels(snapshot),
        compactAfterEdits: positiveOption(
          options.compactAfterFaces,
          DEFAULT_COMPACT_AFTER_FACES,
          1,
          'compactAfterFaces',
        ),
        compactAfterBytes,
        isClosed,
      },
      journalFaces,
    );
    this.imageLog = new JournalCompaction(
      imagesJournal,
      {
        // The records are frozen, so a copy of the list is enough.
        snapshot: () => ({ ...this.project.data, images: this.project.data.images.snapshot() }),
        write: (snapshot) => this.project.adapter.write(snapshot),
        compactAfterEdits: positiveOption(
          options.compactAfterImageEdits,
          DEFAULT_COMPACT_AFTER_IMAGE_EDITS,
          1,
          'compactAfterImageEdits',
        ),
        compactAfterBytes,
        isClosed,
      },
      imageEdits,
    );
    this.debounceMs = positiveOption(
      options.labelDebounceMs,
      DEFAULT_LABEL_DEBOUNCE_MS,
      0,
      'labelDebounceMs',
    );
    this.onLabelsFlushed = options.onLabelsFlushed;
    this.isReadOnly = options.readOnly === true;
    this.onFacesChanged = options.onFacesChanged;
    this.beforeLabelsPreload = options.beforeLabelsPreload;
    this.index = new LibraryIndex(project.images, {
      get: (imageId) => this.savedFaces.get(imageId) ?? this.baseFaces.summary(imageId),
      all: () => this.faceSummaries(),
    });
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
    const landmarks = newProjectLandmarks(init.landmarkSchema);
    const meta = ProjectMeta.safeParse({
      schemaVersion: PROJECT_SCHEMA_VERSION,
      id: randomUUID(),
      name: init.name,
      createdAt: new Date().toISOString(),
      landmarkSchema: landmarks.schema.id,
      attributeSchema: init.attributeSchema,
    });
    if (!meta.success) {
      throw new StudioError(
        'invalid-payload',
        `Cannot create a project in ${root}: ${describeIssues(meta.error)}`,
      );
    }

    if (options.readOnly) {
      throw new StudioError('invalid-payload', `Cannot create a project read-only (${root})`);
    }

    await makeFolder(root);
    for (const folder of PROJECT_FOLDERS) await makeFolder(path.join(root, folder));
    // Before looking for project files: of two processes creating a project here at once, the
    // second finds the first's lock instead of both writing a project.
    const lock = await acquireProjectLock(root);
    try {
      const store = await ProjectStore.writeNew(root, meta.data, landmarks, options);
      store.lock = lock;
      return store;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** Writes a new project into `root`, which must not hold project files yet. */
  private static async writeNew(
    root: string,
    meta: ProjectMeta,
    landmarks: { schema: LandmarkSchema; custom: boolean },
    options: ProjectStoreOptions,
  ): Promise<ProjectStore> {
    // A stray journal would be replayed over the new project's labels on its next open.
    for (const name of [
      PROJECT_FILE,
      LABELS_FILE,
      JOURNAL_FILE,
      COMPACTING_FILE,
      IMAGES_JOURNAL_FILE,
      IMAGES_COMPACTING_FILE,
    ]) {
      if (await exists(path.join(root, name))) {
        throw new StudioError(
          'conflict',
          `${root} already holds a Face Studio project (${name} exists); open it instead`,
        );
      }
    }

    const store = new ProjectStore(
      root,
      { meta, images: ImageTable.fromRecords([]), runs: [], models: [] },
      {
        table: FaceTable.fromFaces(path.join(root, LABELS_FILE), {}),
        version: PROJECT_SCHEMA_VERSION,
        replayed: new Map(),
      },
      new LabelsJournal(root, undefined, undefined),
      0,
      landmarks.schema,
      options,
    );
    // The custom schema before project.json, which names it: a project never lacks its schema.
    if (landmarks.custom) await writeCustomLandmarks(root, landmarks.schema);
    await store.writeLabels(store.durableSnapshot());
    try {
      await store.project.write();
    } catch (error) {
      // Without project.json the folder is not a project; drop what went before so a retry works.
      await unlink(path.join(root, LABELS_FILE)).catch(() => undefined);
      await unlink(path.join(root, LABELS_SUMMARY_FILE)).catch(() => undefined);
      if (landmarks.custom) {
        await unlink(path.join(root, CUSTOM_LANDMARKS_FILE)).catch(() => undefined);
      }
      throw error;
    }
    store.register();
    return store;
  }

  /**
   * Opens the project in `dir` for writing, holding its lock until close, and migrates it first
   * when it comes from an older version; with `readOnly`, see ProjectStoreOptions.
   */
  static async open(dir: string, options: ProjectStoreOptions = {}): Promise<ProjectStore> {
    const root = path.resolve(dir);
    await requireFolder(root);
    // Taken before anything is read: no other process changes the files between this read and
    // the writes of this store.
    const lock = options.readOnly ? null : await acquireProjectLock(root);
    try {
      const store = await ProjectStore.load(root, options);
      store.lock = lock;
      if (lock !== null) {
        await removeAbandonedTempFiles(root);
        store.register();
      }
      return store;
    } catch (error) {
      lock?.release();
      throw error;
    }
  }

  private static async load(root: string, options: ProjectStoreOptions): Promise<ProjectStore> {
    const projectFile = path.join(root, PROJECT_FILE);
    const labelsFile = path.join(root, LABELS_FILE);

    // Under the lock, project.checked.json may vouch for project.json's records as they are now
    // (project-check.ts), sparing their checks.
    const projectIdentity = options.readOnly ? undefined : await identityNow(projectFile);
    const checked = projectIdentity !== undefined && (await recordsVouched(root, projectIdentity));
    // And project.records.bin may describe its record lines, sparing their parse (image-table.ts);
    // read and checked while project.json is read.
    const [imageLines, { projectBytes, imagesActive, imagesCompacting }] = await Promise.all([
      projectIdentity === undefined ? null : vouchingLines(root, projectIdentity),
      // Journals before project.json, and again if a compaction replaced it meanwhile (see the
      // labels' read below): a rotation between the reads shows lines twice, never not at all.
      readWhileUnchanged(projectFile, async () => ({
        imagesActive: await readJournal(path.join(root, IMAGES_JOURNAL_FILE), 'edits'),
        imagesCompacting: await readJournal(path.join(root, IMAGES_COMPACTING_FILE), 'edits'),
        projectBytes: await readOptional(projectFile),
      })),
    ]);
    if (projectBytes === undefined) {
      throw new StudioError(
        'not-found',
        `${root} is not a Face Studio project: ${PROJECT_FILE} is missing`,
      );
    }
    const imageEdits = [imagesActive, imagesCompacting].some(
      (journal) => journal !== undefined && journal.lines.length > 0,
    );
    let lined =
      imageLines === null || imageEdits ? null : readLines(projectFile, projectBytes, imageLines);
    const projectRaw = lined?.raw ?? parseJsonText(projectFile, decodeText(projectBytes));
    const projectVersion = versionOf(projectRaw, projectFile, ['meta', 'schemaVersion']);
    // Under the lock, a summary that records labels.json's identity as it is now spares reading
    // labels.json at all until a face is needed (labels-table.ts).
    const labelsIdentity = options.readOnly ? undefined : await identityNow(labelsFile);
    const vouched =
      labelsIdentity === undefined || projectVersion !== PROJECT_SCHEMA_VERSION
        ? null
        : await vouchingSummary(root, labelsIdentity);
    // Under the lock nothing changes these files; a read-only store may read them while the
    // holder compacts, and then reads them again.
    const { labelsBytes, summaryText, active, compacting } = await readWhileUnchanged(
      labelsFile,
      async () => ({
        labelsBytes: vouched === null ? await readOptional(labelsFile) : undefined,
        summaryText:
          vouched === null
            ? (await readOptional(path.join(root, LABELS_SUMMARY_FILE)))?.toString('utf8')
            : undefined,
        // The journal before the compacting file: a rotation between the two reads then shows the
        // same lines twice, which replays to the same faces, rather than not at all.
        active: await readJournal(path.join(root, JOURNAL_FILE)),
        compacting: await readJournal(path.join(root, COMPACTING_FILE)),
      }),
    );
    // labels.json's version is on its second line; the summary, when it vouches for the bytes,
    // spares parsing the rest (labels-table.ts).
    const headVersion = labelsBytes === undefined ? undefined : leadingVersion(labelsBytes);
    // The store, once made: a deferred table that finds its summary stale tells it.
    const made: { store?: ProjectStore } = {};
    const fallback: StaleSummaryFallback = {
      parse: (bytes) => parseLabelsWhole(labelsFile, bytes),
      replaced: (bytes, identity) => made.store?.facesReplaced(bytes, identity),
    };
    const table = vouched
      ? FaceTable.deferred(labelsFile, vouched, fallback)
      : labelsBytes === undefined ||
          headVersion !== PROJECT_SCHEMA_VERSION ||
          projectVersion !== PROJECT_SCHEMA_VERSION
        ? null
        : FaceTable.fromSummary(labelsFile, labelsBytes, summaryText, PROJECT_SCHEMA_VERSION);
    const labelsRaw =
      labelsBytes === undefined || table !== null
        ? undefined
        : parseJsonText(labelsFile, labelsBytes.toString('utf8'));
    const labelsVersion =
      table !== null
        ? PROJECT_SCHEMA_VERSION
        : labelsRaw === undefined
          ? undefined
          : versionOf(labelsRaw, labelsFile, ['schemaVersion']);
    const journals = [compacting, active].filter((journal) => journal !== undefined);
    const imageJournals = [imagesCompacting, imagesActive].filter(
      (journal) => journal !== undefined,
    );

    const versions: [string, number | undefined][] = [
      [projectFile, projectVersion],
      [labelsFile, labelsVersion],
      ...[...journals, ...imageJournals].flatMap((journal) =>
        journal.lines.map((line): [string, number] => [
          `${journal.file} (line ${line.line})`,
          line.version,
        ]),
      ),
    ];
    for (const [file, version] of versions) {
      if (version !== undefined && version > PROJECT_SCHEMA_VERSION) {
        throw new StudioError(
          'conflict',
          `${file} was written by a newer Face Studio (schema version ${version}; this version ` +
            `reads up to ${PROJECT_SCHEMA_VERSION}). Update Face Studio to open it; nothing was changed.`,
        );
      }
    }

    let project = projectRaw as RawJson;
    if (imageJournals.length > 0) {
      project = {
        ...project,
        images: applyImageEdits(project.images, projectVersion, imageJournals),
      };
    }
    let labels = labelsRaw as RawJson | undefined;
    const replayed = new Map<string, FaceAnnotation>();
    if (table !== null) {
      const faces: RawJson = {};
      applyJournals({ faces }, PROJECT_SCHEMA_VERSION, labelsFile, journals);
      for (const face of Object.values(faces)) {
        replayed.set((face as FaceAnnotation).imageId, face as FaceAnnotation);
      }
    } else if (labels !== undefined && labelsVersion !== undefined) {
      applyJournals(labels, labelsVersion, labelsFile, journals);
    }
    const needsMigration =
      projectVersion < PROJECT_SCHEMA_VERSION ||
      (labelsVersion !== undefined && labelsVersion < PROJECT_SCHEMA_VERSION);
    if (needsMigration && lined !== null) {
      // An old labels.json beside a current project.json: the migration takes the records whole.
      lined = null;
      project = parseJsonText(projectFile, decodeText(projectBytes)) as RawJson;
    }
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
          backUp: !options.readOnly,
        },
        options.migrations ?? knownMigrations,
      );
      project = result.project;
      labels = result.labels;
    }
    if (labels === undefined && table === null) {
      throw new StudioError(
        'io',
        `${labelsFile} is missing, so the project's labels cannot be read; restore it from a ` +
          `backup (an empty file is not made, to avoid hiding lost labels)`,
      );
    }

    const journalFaces = (active?.lines ?? []).reduce((sum, line) => sum + line.entries.length, 0);
    const asRead = imageJournals.length === 0 && !needsMigration;
    const fastData = fastProjectFile(project, checked && asRead);
    const projectFileData =
      fastData ?? new AtomicJsonFile(projectFile, ProjectFile).validate(project);
    const records = lined === null ? projectFileData.images.map(freezeImage) : [];
    const projectData: ProjectDocument = {
      ...projectFileData,
      images: lined?.table ?? ImageTable.fromRecords(records),
    };
    const faces =
      table ??
      FaceTable.fromFaces(
        labelsFile,
        (
          fastLabelsFile(labels) ??
          new AtomicJsonFile(labelsFile, LabelsFileOnDisk).validate(labels)
        ).faces,
      );
    const store = new ProjectStore(
      root,
      projectData,
      { table: faces, version: PROJECT_SCHEMA_VERSION, replayed },
      new LabelsJournal(root, active, compacting),
      journalFaces,
      await readProjectLandmarks(root, projectData.meta.landmarkSchema),
      options,
      new LabelsJournal(root, imagesActive, imagesCompacting, IMAGE_JOURNAL_FILES),
      (imagesActive?.lines ?? []).reduce((sum, line) => sum + line.entries.length, 0),
    );
    made.store = store;
    if (fastData !== null && asRead && !checked && projectIdentity !== undefined) {
      // project.json's records passed the checks as read, but no note vouched for them (written
      // before notes, or copied): write one, between image compactions, so the next open skips them.
      store.imageLog.betweenCompactions(() => vouchForRecords(projectFile, projectIdentity));
    }
    if (lined === null && asRead && projectIdentity !== undefined) {
      // The records were parsed whole (no sidecar vouched for them): write the sidecar of the bytes
      // read, between image compactions, so the next open parses none of them.
      store.writeLinesLater(projectBytes, records, projectIdentity);
    }
    if (faces.isDeferred) store.preloadLabels();
    if (needsMigration && !options.readOnly) {
      // labels.json first: if the app dies between the two writes, project.json still says the
      // old version and the next open migrates it again, skipping the already-upgraded labels.
      // The journal goes last, once labels.json holds it; lines left by a crash before that are
      // older than labels.json's version and skipped by applyJournals.
      await store.writeLabels(store.durableSnapshot());
      await store.project.write();
      await store.labelLog.discard();
      await store.imageLog.discard();
    } else if (
      table === null &&
      labelsBytes !== undefined &&
      !options.readOnly &&
      journals.every((journal) => journal.lines.length === 0)
    ) {
      // No summary vouched for labels.json (an older studio wrote it, or a crash came between
      // the two writes): write one for the bytes just read, so the next open skips the parse.
      // In the background, between compactions; the faces are those bytes' exactly, as no
      // journal line was applied. (No labels.json at all: nothing to vouch for.)
      store.writeSummaryOf(labelsBytes, labelsIdentity);
    } else if (
      table !== null &&
      !faces.isDeferred &&
      !options.readOnly &&
      labelsIdentity !== undefined &&
      table.summaryIdentity !== labelsIdentity
    ) {
      // The summary vouched for labels.json by its CRC but does not record the file's identity
      // (written before it did, or the project was copied): record it, so the next open skips
      // reading labels.json. The table is labels.json's faces alone, journal or not.
      store.writeSummaryOf(labelsBytes!, labelsIdentity);
    }
    return store;
  }

  get meta(): ProjectMeta {
    return this.project.data.meta;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * How many face and image-record edits this store has applied since it opened: it changes
   * whenever what `listImages`/`getFace` return may have, so data derived from them (the
   * labelling template) can be cached under it.
   */
  get editCount(): number {
    return this.edits;
  }

  /** Opened without the lock: writes are refused. */
  get readOnly(): boolean {
    return this.isReadOnly;
  }

  summary(): ProjectSummary {
    const counts = this.index.faceCounts();
    return {
      dir: this.dir,
      meta: this.meta,
      imageCount: this.project.data.images.length,
      labelledCount: counts.labelled,
      needsReviewCount: counts.needsReview,
    };
  }

  /**
   * The image index in import order, frozen: change it through putImages/removeImages. Records
   * kept as lines of project.json are parsed now, each call (about 5 µs each, 5 s of CPU at
   * 1,000,000 images): callers that need ids alone use `imageIds`, one record `getImage`.
   */
  listImages(): readonly ImageRecord[] {
    return this.project.data.images.all();
  }

  /**
   * The images' ids in import order, without parsing a record; read as it goes, so a caller that
   * awaits between ids copies them first (`[...store.imageIds()]`).
   */
  imageIds(): IterableIterator<string> {
    return this.project.data.images.ids();
  }

  /**
   * The ids of the images that have a face, in index order: a walk over the faces, not over every
   * image (the labelling template looks at the first faces).
   */
  imageIdsWithFaces(): IterableIterator<string> {
    return this.index.imageIdsWithFaces();
  }

  /**
   * Whether the image records are read from project.json's lines, as project.records.bin
   * vouched for them, rather than parsed whole at open (image-table.ts); for tests and benches.
   */
  get recordsAsLines(): boolean {
    return this.project.data.images.hasLines;
  }

  /**
   * The library's queries and counts over the index, kept up to date by every write of this
   * store: `library:list` and `library:stats` read them instead of every record and face.
   */
  get library(): Pick<
    LibraryIndex,
    'query' | 'stats' | 'size' | 'facesInSplit' | 'countFlagged' | 'splitSizes'
  > {
    return this.index;
  }

  getImage(imageId: string): ImageRecord | null {
    const position = this.index.positionOf(imageId);
    return position === undefined ? null : (this.project.data.images.at(position) ?? null);
  }

  /**
   * Adds or replaces image records (matched by id): one line in the image journal. Resolves once
   * it is durable, and only then does the index in memory show the records. Every record is
   * validated first; one bad record rejects the whole batch.
   */
  async putImages(records: readonly z.input<typeof ImageRecord>[]): Promise<void> {
    this.requireWritable();
    const parsed = ImageRecords.safeParse(records);
    if (!parsed.success) {
      throw new StudioError(
        'invalid-payload',
        `Cannot add images to ${this.dir}: ${describeIssues(parsed.error)}`,
      );
    }
    if (parsed.data.length === 0) return;
    const edits: ImageEdit[] = parsed.data.map((record) => ({ put: record }));
    await this.appendImageEdits(edits, () => {
      const images = this.project.data.images;
      for (const record of parsed.data) {
        this.index.putImage(images, images.put(freezeImage(record)), record);
      }
    });
  }

  /**
   * Removes image records (one line in the image journal) and returns how many were removed.
   * Their labels stay in labels.json (no annotation is ever dropped silently) but no longer count
   * as labelled.
   */
  async removeImages(imageIds: readonly string[]): Promise<number> {
    this.requireWritable();
    let removed = 0;
    await this.imageLog.inQueue(async () => {
      const drop = new Set(imageIds.filter((id) => this.index.positionOf(id) !== undefined));
      if (drop.size === 0) return;
      await this.imageLog.journal.append(
        encodeJournalLine(
          this.meta.schemaVersion,
          [...drop].map((id): ImageEdit => ({ remove: id })),
          'edits',
        ),
      );
      const images = this.project.data.images;
      removed = images.remove(drop);
      this.index.rebuild(images);
      this.edits += 1;
      this.imageLog.edits += drop.size;
    });
    this.imageLog.compactIfDue();
    return removed;
  }

  /** Appends `edits` as one durable line, then `apply`s them in memory, in the images' queue. */
  private async appendImageEdits(edits: readonly ImageEdit[], apply: () => void): Promise<void> {
    const line = encodeJournalLine(this.meta.schemaVersion, edits, 'edits');
    await this.imageLog.inQueue(async () => {
      await this.imageLog.journal.append(line);
      // In the same turn as the append: a rotation queued behind it sees memory = disk.
      apply();
      this.edits += 1;
      this.imageLog.edits += edits.length;
    });
    this.imageLog.compactIfDue();
  }

  /**
   * Resolves once labels.json's faces are read, at once when they are. A store opened from the
   * summary alone reads them now (as the background read after open does: the file off the event
   * loop, its CRC a slice at a time), so a request about to read faces (the labeller's template)
   * does not hold up every other request for the read, as a first `getFace` would.
   */
  async whenFacesRead(): Promise<void> {
    if (!this.baseFaces.isDeferred) return;
    await this.labelLog.betweenCompactions(() => this.baseFaces.preload());
  }

  /**
   * `getFace`, for a caller that can wait: a face of labels.json not read yet is read after the
   * file is, off the event loop (`whenFacesRead`), instead of by a synchronous read of the whole
   * file that would hold up every other request.
   */
  async readFace(imageId: string): Promise<FaceAnnotation | null> {
    if (!this.savedFaces.has(imageId) && this.baseFaces.has(imageId)) await this.whenFacesRead();
    return this.getFace(imageId);
  }

  /** A copy of the face stored for an image, or null. */
  getFace(imageId: string): FaceAnnotation | null {
    const saved = this.savedFaces.get(imageId);
    if (saved !== undefined) return structuredClone(saved);
    // A fresh object from labels.json's bytes, or a copy.
    return this.baseFaces.get(imageId) ?? null;
  }

  /**
   * Stores a face annotation at the next revision and returns that revision. Validates it (its
   * points must number what the project's landmark schema has) and, when `baseRevision` is given,
   * that the stored face is the one the caller edited. Updates memory at once and resolves once a
   * journal line that holds this edit is fsync'd (debounced with other edits).
   */
  saveFace(face: z.input<typeof FaceAnnotation>, options: SaveFaceOptions = {}): Promise<number> {
    if (this.isClosed) return Promise.reject(this.closedError());
    if (this.isReadOnly) return Promise.reject(this.readOnlyError());
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
    const { imageId, points } = parsed.data;
    if (points.length !== this.landmarkSchema.points.length) {
      return Promise.reject(
        new StudioError(
          'invalid-payload',
          `Cannot save the face for image ${imageId}: it has ${points.length} points but the ` +
            `project's landmark schema ${this.meta.landmarkSchema} has ${this.landmarkSchema.points.length}`,
        ),
      );
    }
    const image = this.getImage(imageId);
    if (!image) {
      return Promise.reject(
        new StudioError('not-found', `Image ${imageId} is not in project ${this.dir}`),
      );
    }
    const outOfBounds = coordinateProblems(parsed.data, image);
    if (outOfBounds.length > 0) {
      return Promise.reject(
        new StudioError(
          'invalid-payload',
          `Cannot save the face for image ${imageId} (${image.path}): ${outOfBounds.join('; ')}`,
        ),
      );
    }
    const stored = this.savedFaces.get(imageId) ?? this.baseFaces.get(imageId);
    const { baseRevision } = options;
    if (baseRevision !== undefined && baseRevision !== (stored?.revision ?? null)) {
      const edited = baseRevision === null ? 'no face' : `revision ${baseRevision}`;
      const now = stored === undefined ? 'no face' : `revision ${stored.revision}`;
      return Promise.reject(
        new StudioError(
          'conflict',
          `Cannot save the face for image ${imageId}: it was changed elsewhere since it was ` +
            `read (the edit was made to ${edited}, the project holds ${now}). Nothing was saved`,
        ),
      );
    }
    const revision = (stored?.revision ?? 0) + 1;
    const saved = { ...parsed.data, revision };
    this.savedFaces.set(imageId, saved);
    this.index.setFace(imageId, saved);
    this.edits += 1;
    this.dirty.add(imageId);
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.labelTimer ??= setTimeout(() => {
      // Each saveFace caller gets the error through its own promise.
      this.flushLabels().catch(() => undefined);
    }, this.debounceMs);
    return durable.then(() => revision);
  }

  /**
   * Writes pending label edits now; resolves once everything saved so far is durable and no
   * compaction is under way (so another store may then read the folder).
   */
  async flush(): Promise<void> {
    await this.flushLabels();
    await this.labelLog.settled();
    await this.imageLog.settled();
  }

  /**
   * Folds the journal into labels.json now (after writing pending edits). Resolves once
   * labels.json holds every edit saved so far and the journal is gone.
   */
  async compact(): Promise<void> {
    this.requireWritable();
    await this.flushLabels();
    await this.labelLog.compact();
    await this.imageLog.compact();
  }

  /**
   * Flushes, folds the journal into labels.json and closes. If the flush fails the store stays
   * open, so the edits in memory are not lost and the caller can retry. A failed compaction does
   * not stop the close: every edit is in the journal, which the next open replays.
   */
  async close(): Promise<void> {
    if (this.isClosed) return;
    if (this.isReadOnly) {
      this.isClosed = true;
      return;
    }
    if (this.preloadTimer !== null) clearTimeout(this.preloadTimer);
    this.preloadTimer = null;
    await this.flush();
    if (openFolders.get(this.dir) === 1) {
      // Another store of this process holds the folder (a session switch): it compacts later.
      await this.labelLog.compact().catch(() => undefined);
      await this.imageLog.compact().catch(() => undefined);
    }
    this.isClosed = true;
    const holders = (openFolders.get(this.dir) ?? 1) - 1;
    if (holders > 0) openFolders.set(this.dir, holders);
    else openFolders.delete(this.dir);
    this.lock?.release();
    this.lock = null;
  }

  private register(): void {
    openFolders.set(this.dir, (openFolders.get(this.dir) ?? 0) + 1);
  }

  private flushLabels(): Promise<void> {
    if (this.labelTimer !== null) {
      clearTimeout(this.labelTimer);
      this.labelTimer = null;
    }
    // One append at a time: edits made meanwhile go into the next one.
    if (this.labelWrite !== null) return this.labelWrite.then(() => this.flushLabels());
    if (this.dirty.size === 0) return Promise.resolve();

    const waiters = this.waiters;
    this.waiters = [];
    const faces = [...this.dirty].map((imageId) => this.savedFaces.get(imageId)!);
    this.dirty.clear();
    const line = encodeJournalLine(this.labelsVersion, faces);
    this.labelWrite = this.labelLog
      .inQueue(async () => {
        await this.labelLog.journal.append(line);
        // In the same turn as the append: a rotation queued behind it sees exactly these faces.
        for (const face of faces) this.durableFaces.set(face.imageId, face);
        this.labelLog.edits += faces.length;
      })
      .then(
        () => {
          for (const waiter of waiters) waiter.resolve();
          this.onLabelsFlushed?.(waiters.length);
          this.onFacesChanged?.(faces.map(({ imageId, revision }) => ({ imageId, revision })));
          this.labelLog.compactIfDue();
        },
        (error: unknown) => {
          // The edits stay in memory and dirty: the next save or flush appends them again.
          for (const face of faces) this.dirty.add(face.imageId);
          for (const waiter of waiters) waiter.reject(error);
          throw error;
        },
      )
      .finally(() => {
        this.labelWrite = null;
      });
    return this.labelWrite;
  }

  private durableSnapshot(): LabelsSnapshot {
    return { version: this.labelsVersion, overlay: new Map(this.durableFaces) };
  }

  /**
   * Writes labels.json from a snapshot, then its summary (labels-table.ts) with the identity of
   * the file just written, each atomically.
   */
  private async writeLabels(snapshot: LabelsSnapshot): Promise<void> {
    const { labels, summaryFor } = this.baseFaces.encode(snapshot.version, snapshot.overlay);
    await writeFileAtomic(this.labelsFile, labels);
    const identity = identityOf(await stat(this.labelsFile, { bigint: true }));
    await writeFileAtomic(path.join(this.dir, LABELS_SUMMARY_FILE), summaryFor(identity));
  }

  /** Reads labels.json in the background a moment after open (a deferred face table). */
  private preloadLabels(): void {
    this.preloadTimer = setTimeout(() => {
      this.preloadTimer = null;
      if (this.isClosed) return;
      const ready = this.beforeLabelsPreload?.() ?? Promise.resolve();
      void ready.then(() => {
        if (this.isClosed) return;
        // Between compactions, so the file read is the one the summary describes or a stranger's;
        // a failure is kept by the table and thrown by the next face read.
        void this.labelLog.betweenCompactions(() => this.baseFaces.preload());
      });
    }, PRELOAD_LABELS_AFTER_MS);
    this.preloadTimer.unref();
  }

  /**
   * A deferred face table found labels.json's bytes not the summary's and parsed them whole:
   * index its faces afresh and write the summary of those bytes.
   */
  private facesReplaced(bytes: Buffer, identity: string): void {
    this.index.rebuild(this.project.data.images);
    // The faces read may differ from the summary's: what was derived from them is stale.
    this.edits += 1;
    if (!this.isReadOnly) this.writeSummaryOf(bytes, identity);
  }

  /**
   * Writes, in the background between compactions, the summary of labels.json's `bytes`, which
   * the base faces were read from, when the file is still the one read (`identity`); a
   * compaction meanwhile wrote its own.
   */
  private writeSummaryOf(bytes: Buffer, identity: string | undefined): void {
    this.labelLog.betweenCompactions(async () => {
      const now = await identityNow(this.labelsFile);
      if (identity !== undefined && now !== identity) return;
      await writeFileAtomic(
        path.join(this.dir, LABELS_SUMMARY_FILE),
        this.baseFaces.summaryOf(
          PROJECT_SCHEMA_VERSION,
          bytes,
          identity === undefined ? undefined : now,
        ),
      );
    });
  }

  /**
   * project.json was just written from `table` (the store's table or a snapshot of it): read the
   * records it held from the file's lines from now on (image-table.ts).
   */
  private linesWritten(table: ImageTable, written: LineBase): void {
    this.project.data.images.rebase(table, written);
  }

  /**
   * `writeLinesOf` in the background, between image compactions. (A method, so the task holds
   * these values alone: a closure made in `load` would keep all of load's scope, the parsed
   * project among it, for as long as the store lives.)
   */
  private writeLinesLater(bytes: Buffer, records: readonly ImageRecord[], identity: string): void {
    this.imageLog.betweenCompactions(() => this.writeLinesOf(bytes, records, identity));
  }

  /**
   * Writes project.records.bin for project.json's `bytes` as read at open (`identity`), which
   * were parsed whole into `records`: when the file is still the one read, its layout is one
   * record a line, and every record can be vouched for. The store then reads those records from
   * the lines, and their parsed objects go.
   */
  private async writeLinesOf(
    bytes: Buffer,
    records: readonly ImageRecord[],
    identity: string,
  ): Promise<void> {
    const file = path.join(this.dir, PROJECT_FILE);
    if ((await identityNow(file)) !== identity || !allExactImageRecords(records)) return;
    const written = linesOfProject(bytes, records);
    const columns = written === null ? null : columnsOf(records);
    if (written === null || columns === null) return;
    const { sidecar, base } = encodeImageLines(this.meta.schemaVersion, written, columns, identity);
    await writeFileAtomic(path.join(this.dir, IMAGE_LINES_FILE), sidecar);
    this.project.data.images.rebase(ImageTable.fromRecords(records), base);
  }

  /** What the library index needs of every face the project holds. */
  private *faceSummaries(): Iterable<FaceSummary> {
    for (const face of this.savedFaces.values()) yield summarise(face);
    for (const imageId of this.baseFaces.ids()) {
      if (!this.savedFaces.has(imageId)) yield this.baseFaces.summary(imageId)!;
    }
  }

  private requireOpen(): void {
    if (this.isClosed) throw this.closedError();
  }

  private requireWritable(): void {
    this.requireOpen();
    if (this.isReadOnly) throw this.readOnlyError();
  }

  private readOnlyError(): StudioError {
    return new StudioError(
      'forbidden',
      `The project ${this.dir} was opened read-only (without its lock), so it cannot be changed here`,
    );
  }

  private closedError(): StudioError {
    return new StudioError('not-found', `The project ${this.dir} is closed`);
  }
}

/** labels.json's identity (labels-table.ts), or undefined when it is missing. */
async function identityNow(file: string): Promise<string | undefined> {
  try {
    return identityOf(await stat(file, { bigint: true }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StudioError('io', `Cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** project.records.bin when it records project.json's identity as `identity`, intact. */
async function vouchingLines(root: string, identity: string): Promise<ImageLines | null> {
  const lines = decodeImageLines(await readOptional(path.join(root, IMAGE_LINES_FILE)));
  return lines !== null &&
    lines.schemaVersion === PROJECT_SCHEMA_VERSION &&
    lines.projectIdentity === identity
    ? lines
    : null;
}

/**
 * project.json's meta, runs and models parsed (images left empty) and its records as lines, when
 * the sidecar describes `bytes` exactly; null when it does not (the file is then parsed whole).
 */
function readLines(
  file: string,
  bytes: Buffer,
  lines: ImageLines,
): { raw: RawJson; table: ImageTable } | null {
  const table = ImageTable.fromLines(bytes, lines);
  if (table === null) return null;
  if (bytes[lines.imagesStart] !== 0x5b || bytes[lines.imagesEnd - 1] !== 0x5d) return null;
  const text =
    decodeText(bytes.subarray(0, lines.imagesStart)) +
    '[]' +
    decodeText(bytes.subarray(lines.imagesEnd));
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const images = (raw as { images?: unknown } | null)?.images;
  if (!Array.isArray(images) || images.length !== 0) return null;
  const version = (raw as { meta?: { schemaVersion?: unknown } }).meta?.schemaVersion;
  return version === PROJECT_SCHEMA_VERSION ? { raw: raw as RawJson, table } : null;
}

/** A JSON file's text: ASCII (the usual index) decodes as latin1, a third faster than UTF-8. */
function decodeText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** The summary when it records labels.json's identity as `identity` and the current version. */
async function vouchingSummary(root: string, identity: string): Promise<Summary | null> {
  const text = await readOptional(path.join(root, LABELS_SUMMARY_FILE));
  const summary = FaceTable.readSummary(text?.toString('utf8'));
  return summary !== null &&
    summary.schemaVersion === PROJECT_SCHEMA_VERSION &&
    summary.labelsIdentity === identity
    ? summary
    : null;
}

/**
 * labels.json's faces parsed and checked whole: a deferred table's summary was stale
 * (labels-table.ts). Only a current-version file can replace faces while the project is open.
 */
function parseLabelsWhole(file: string, bytes: Buffer): Record<string, FaceAnnotation> {
  const raw = parseJsonText(file, bytes.toString('utf8'));
  const version = versionOf(raw, file, ['schemaVersion']);
  if (version !== PROJECT_SCHEMA_VERSION) {
    throw new StudioError(
      'conflict',
      `${file} was replaced by one of schema version ${version} while the project was open; ` +
        `close and open the project again`,
    );
  }
  return (fastLabelsFile(raw) ?? new AtomicJsonFile(file, LabelsFileOnDisk).validate(raw)).faces;
}

/** An option that must be a number ≥ `min`, or its default when not given. */
function positiveOption(
  value: number | undefined,
  fallback: number,
  min: number,
  name: string,
): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen < min) {
    throw new StudioError('invalid-payload', `${name} must be ≥ ${min}, got ${chosen}`);
  }
  return chosen;
}

/**
 * Applies the journals' lines, in order, to labels.json's raw content (before migration and
 * validation). Lines at an older schema version than labels.json were already folded into it by
 * a migration that stopped before removing the journal, and are skipped. Faces of current-version
 * lines are validated here, so an error names the journal and its line.
 */
function applyJournals(
  labels: RawJson,
  labelsVersion: number,
  labelsFile: string,
  journals: readonly JournalContents[],
): void {
  const faces = labels.faces;
  if (typeof faces !== 'object' || faces === null || Array.isArray(faces)) return; // named later
  for (const journal of journals) {
    for (const line of journal.lines) {
      if (line.version < labelsVersion) continue;
      if (line.version > labelsVersion) {
        throw new StudioError(
          'io',
          `${journal.file} line ${line.line} holds labels of schema version ${line.version} but ` +
            `${labelsFile} is at version ${labelsVersion}; was labels.json replaced? Nothing was changed.`,
        );
      }
      for (const face of line.entries) {
        const valid = validJournalFace(face, labelsVersion, journal.file, line.line);
        (faces as Record<string, unknown>)[valid.imageId as string] = valid;
      }
    }
  }
}

function validJournalFace(face: unknown, version: number, file: string, line: number): RawJson {
  if (version === PROJECT_SCHEMA_VERSION) {
    if (isExactFaceAnnotation(face)) return face;
    const parsed = FaceAnnotation.safeParse(face);
    if (parsed.success) return parsed.data;
    throw new StudioError(
      'io',
      `${file} is invalid: line ${line}: ${describeIssues(parsed.error)}`,
    );
  }
  // An older format, checked after migration; only the key is needed now.
  const imageId = (face as { imageId?: unknown } | null)?.imageId;
  if (typeof imageId !== 'string') {
    throw new StudioError('io', `${file} is invalid: line ${line}: a face without an image id`);
  }
  return face as RawJson;
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

/** A file's bytes, or undefined when it does not exist; other errors name the file. */
async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const reason = code === 'EISDIR' ? 'it is a folder, not a file' : (error as Error).message;
    throw new StudioError('io', `Cannot read ${file}: ${reason}`, { cause: error });
  }
}

/**
 * The schema version on labels.json's second line (`"schemaVersion":n,`) in the layout of
 * json-layout.ts; undefined when the file starts otherwise (then it is parsed whole).
 */
function leadingVersion(bytes: Buffer): number | undefined {
  const match = /^\{\n"schemaVersion":(\d+),\n/.exec(bytes.toString('latin1', 0, 64));
  return match === null ? undefined : Number(match[1]);
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
