import type { LabelsJournal } from './labels-journal';

/** How a journal is folded into the file it extends (labels.json, project.json). */
export interface JournalFold<S> {
  /** The file's content with every durable journal line in it, taken under the append queue. */
  snapshot: () => S;
  /** Writes that content atomically. */
  write: (snapshot: S) => Promise<void>;
  /** Edits in the journal that start a background compaction (≥ 1). */
  compactAfterEdits: number;
  /** Journal bytes that start a background compaction (≥ 1). */
  compactAfterBytes: number;
  /** True once the store is closed: no new background compaction starts. */
  isClosed: () => boolean;
}

/**
 * One journal beside the file it extends (docs/ARCHITECTURE.md, "Files on disk"): its appends and
 * rotations run one at a time, and a compaction folds it into the file — in the background once
 * it passes a threshold, or when asked. The store keeps two, labels.json's and project.json's.
 */
export class JournalCompaction<S> {
  /** Edits in the journal, for the threshold; the caller counts them inside `inQueue`. */
  edits: number;
  private appends: Promise<void> = Promise.resolve();
  private compactions: Promise<void> = Promise.resolve();
  private queued = false;
  /** After a failed background compaction, the next waits until the journal holds this many. */
  private retryAt = 0;

  constructor(
    readonly journal: LabelsJournal,
    private readonly fold: JournalFold<S>,
    edits: number,
  ) {
    this.edits = edits;
  }

  /** Runs `task` (an append, a rotation) after every one queued before it. */
  inQueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.appends.then(task);
    this.appends = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Resolves once every append and compaction queued so far has ended, failed or not. */
  async settled(): Promise<void> {
    await this.appends;
    await this.compactions;
  }

  /** Starts a background compaction once the journal passes a threshold. */
  compactIfDue(): void {
    const due =
      (this.journal.compacting ||
        this.edits >= this.fold.compactAfterEdits ||
        this.journal.bytes >= this.fold.compactAfterBytes) &&
      this.edits >= this.retryAt;
    if (!due || this.queued || this.fold.isClosed()) return;
    this.queued = true;
    this.compact()
      .then(
        () => {
          this.retryAt = 0;
        },
        () => {
          // Nothing is lost (the journal keeps every edit); try again after as many more.
          this.retryAt = this.edits + this.fold.compactAfterEdits;
        },
      )
      .finally(() => {
        this.queued = false;
      });
  }

  /** Folds the journal into the file, after any compaction already queued. */
  compact(): Promise<void> {
    const run = this.compactions.then(() => this.compactNow());
    this.compactions = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs `task` after every compaction queued so far and before any queued later (a write that
   * must not interleave with a rewrite of the file); its failure is only dropped.
   */
  betweenCompactions(task: () => Promise<void>): Promise<void> {
    this.compactions = this.compactions.then(task).catch(() => undefined);
    return this.compactions;
  }

  /** Drops the journal once the file holds it by other means (a migration's rewrite). */
  async discard(): Promise<void> {
    await this.journal.removeCompacting();
    await this.journal.removeJournal();
    this.edits = 0;
  }

  /**
   * Rotate under the queue and take the snapshot then (memory holds exactly what is durable),
   * write the file from it while appends go on into a fresh journal, then drop the rotated one.
   */
  private async compactNow(): Promise<void> {
    if (this.journal.compacting) {
      // A compaction was cut short: the compacting file cannot be rotated into again, so fold it
      // and the journal together, with appends held back until the file holds both.
      await this.inQueue(async () => {
        await this.fold.write(this.fold.snapshot());
        await this.discard();
      });
      return;
    }
    const snapshot = await this.inQueue(async (): Promise<{ content: S } | null> => {
      if (this.journal.bytes === 0) return null;
      await this.journal.rotate();
      this.edits = 0;
      return { content: this.fold.snapshot() };
    });
    if (snapshot === null) return;
    await this.fold.write(snapshot.content);
    await this.journal.removeCompacting();
  }
}
