/**
 * project.json as the store holds it (docs/ARCHITECTURE.md, "Files on disk"): meta, runs and
 * models as parsed, and the image records as an ImageTable (image-table.ts), mostly lines of the
 * file's bytes. The lowdb adapter that writes it: the layout of json-layout.ts, a record kept as
 * a line copied rather than parsed and encoded again, atomically; then, when every record passes
 * the fast checks, project.checked.json (project-check.ts) and project.records.bin (the sidecar
 * that lets the next open skip parsing the records), each with project.json's identity stat'd
 * after the rename. Last the table is told where its records now sit in the file written.
 */
import path from 'node:path';
import { stat } from 'node:fs/promises';
import type { Adapter } from 'lowdb';
import type { ProjectFile } from '../shared/domain';
import { writeFileAtomic } from './atomic-write';
import { IMAGE_LINES_FILE, encodeImageLines, joinProject } from './image-table';
import type { ImageTable, LineBase } from './image-table';
import { serialiseByLine } from './json-layout';
import { identityOf } from './stable-read';
import { writeNote } from './project-check';
import { FAST_CHECKS } from './record-fast-check';

/** project.json's content with the image records as a table. */
export type ProjectDocument = Omit<ProjectFile, 'images'> & { images: ImageTable };

/** `written` holds the records of `table` (the one written), line by line, in order. */
export type LinesWritten = (table: ImageTable, written: LineBase) => void;

export class ProjectJsonFile implements Adapter<ProjectDocument> {
  readonly file: string;
  private readonly onLines: LinesWritten;

  constructor(file: string, onLines: LinesWritten) {
    this.file = file;
    this.onLines = onLines;
  }

  /** Never used: the store reads project.json itself at open (see ProjectStore.load). */
  read(): Promise<ProjectDocument | null> {
    return Promise.reject(new Error(`${this.file} is read by ProjectStore.open, not lowdb`));
  }

  async write(document: ProjectDocument): Promise<void> {
    const { meta, images, ...rest } = document;
    const encoded = images.encodeImages();
    // `{\n"meta":…` without its closing `\n}\n`, and `"runs":…\n}\n` without the opening `{\n`.
    const head = serialiseByLine({ meta });
    const tail = serialiseByLine(rest);
    const written = joinProject(head.subarray(0, head.length - 3), encoded, tail.subarray(2));
    await writeFileAtomic(this.file, written.bytes);
    // The records in memory are the ones just serialised; undefined fields and finite numbers
    // read back the same, so records that pass here pass when read.
    if (!FAST_CHECKS || !encoded.exact) return;
    const identity = identityOf(await stat(this.file, { bigint: true }));
    await writeNote(this.file, identity);
    if (encoded.columns === null) return;
    const { sidecar, base } = encodeImageLines(
      meta.schemaVersion,
      written,
      encoded.columns,
      identity,
    );
    await writeFileAtomic(path.join(path.dirname(this.file), IMAGE_LINES_FILE), sidecar);
    this.onLines(images, base);
  }
}
