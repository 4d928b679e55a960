/**
 * An `images` import that met files it cannot read or decode, refused before anything was
 * written. It lists every bad file (as InputProblemsError does) and says how many new images the
 * import would add without them, so the user can choose to skip the bad ones (`skipBad`, the
 * CLI's `--skip-bad`, or the import dialog's question).
 */
import { InputProblemsError } from '../problems';

export interface FailedFile {
  file: string;
  reason: string;
}

export class UndecodableImagesError extends InputProblemsError {
  constructor(
    dir: string,
    readonly failures: readonly FailedFile[],
    /** New images that decoded and would be added if the bad ones were skipped. */
    readonly goodImages: number,
  ) {
    super(
      `Cannot import ${dir}: ${failures.length} of its image files cannot be read or decoded, ` +
        'so nothing was imported; ' +
        (goodImages > 0
          ? `skip them to import the other ${goodImages} new images`
          : 'there are no other new images to import'),
      failures.map((failure) => ({ file: failure.file, message: withoutPath(failure) })),
    );
    this.name = 'UndecodableImagesError';
  }
}

/** Failure messages start with the path; a problem list puts the path in front already. */
export function withoutPath(failure: FailedFile): string {
  return failure.reason.startsWith(failure.file)
    ? failure.reason.slice(failure.file.length).replace(/^[:\s]+/, '')
    : failure.reason;
}
