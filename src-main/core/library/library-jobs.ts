/**
 * The library's background jobs (imports, curation): one at a time per project session, each with
 * an id the renderer uses to follow its progress events and to cancel it. A job's failure becomes
 * its outcome's `error` (an InputProblemsError lists every problem, one per line), never an
 * unhandled rejection.
 */
import { randomUUID } from 'node:crypto';
import { StudioError, toIpcError } from '../../shared/errors';
import { noFaces } from './library-service';
import type { LibraryJobControl, LibraryJobProgress, LibraryJobOutcome } from './library-service';
import { UndecodableImagesError } from './undecodable-images';

export interface JobOutcome extends LibraryJobOutcome {
  jobId: string;
  error?: string;
  /** See the `library:importDone` event. */
  goodImages?: number;
}

export interface JobListener {
  progress(jobId: string, progress: LibraryJobProgress): void;
  done(outcome: JobOutcome): void;
}

export type JobWork = (control: Required<LibraryJobControl>) => Promise<LibraryJobOutcome>;

export class LibraryJobs {
  private current: { id: string; abort: AbortController; finished: Promise<void> } | null = null;

  constructor(private readonly listener: JobListener) {}

  /** Starts `work` in the background; refuses while another job runs. */
  start(work: JobWork): string {
    if (this.current) {
      throw new StudioError(
        'conflict',
        'Another import or curation is running; wait for it or cancel it first',
      );
    }
    const id = randomUUID();
    const abort = new AbortController();
    const finished = work({
      signal: abort.signal,
      onProgress: (progress) => this.listener.progress(id, progress),
    }).then(
      (outcome) => this.listener.done({ jobId: id, ...outcome }),
      (error: unknown) =>
        this.listener.done({
          jobId: id,
          added: 0,
          duplicates: 0,
          labelled: 0,
          faces: noFaces(),
          flagged: 0,
          // Undecodable images are listed, with how many good ones there are, so the user can
          // choose to import those and skip the rest.
          failed: error instanceof UndecodableImagesError ? [...error.failures] : [],
          cancelled: abort.signal.aborted,
          error: toIpcError(error).message,
          ...(error instanceof UndecodableImagesError ? { goodImages: error.goodImages } : {}),
        }),
    );
    this.current = {
      id,
      abort,
      finished: finished.finally(() => {
        if (this.current?.id === id) this.current = null;
      }),
    };
    return id;
  }

  /** Asks the job to stop; it reports `cancelled: true` (an import then has written nothing). */
  cancel(jobId: string): boolean {
    if (this.current?.id !== jobId) return false;
    this.current.abort.abort();
    return true;
  }

  /** Resolves once no job runs (tests, and closing a project). */
  async idle(): Promise<void> {
    await this.current?.finished;
  }
}
