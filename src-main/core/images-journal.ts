/**
 * The image index's journal: images.journal.jsonl beside project.json (docs/ARCHITECTURE.md,
 * "Files on disk"). Rewriting a 100,000-image project.json (28 MB) for a split change or a
 * curation flag took ~700 ms; an append of the changed records takes one small write and one
 * fsync. project.json plus the journal's lines, applied in order, is the project's image index.
 *
 * Same line format, torn-tail rule and compaction as the label journal (labels-journal.ts), with
 * `"edits"` in place of `"faces"`. An edit is `{"put": <ImageRecord>}` (add, or replace the record
 * with that id in place) or `{"remove": "<image id>"}`. Replaying a line over a project.json that
 * already holds it gives the same records; an image removed and added again within one journal
 * may come back at another place in the import order, nothing else.
 */
import type { ImageRecord } from '../shared/domain';
import { StudioError } from '../shared/errors';
import type { JournalContents, JournalFiles } from './labels-journal';

export const IMAGES_JOURNAL_FILE = 'images.journal.jsonl';
export const IMAGES_COMPACTING_FILE = 'images.journal.compacting.jsonl';
export const IMAGE_JOURNAL_FILES: JournalFiles = {
  journal: IMAGES_JOURNAL_FILE,
  compacting: IMAGES_COMPACTING_FILE,
};

/** One change of the image index, as a journal line holds it. */
export type ImageEdit = { put: ImageRecord } | { remove: string };

type RawRecord = Record<string, unknown> & { id: string };

/**
 * Applies the journals' lines, in order, to project.json's raw `images` (before migration and
 * validation, which then checks every record as it checks project.json's own) and returns the
 * new list. Lines older than project.json were folded into it by a migration cut short before it
 * removed the journal, and are skipped; a line's edit without a record or an id is named by file
 * and line. The lines, when there are none, leave `images` as it is (no copy at 100,000).
 */
export function applyImageEdits(
  images: unknown,
  projectVersion: number,
  journals: readonly JournalContents[],
): unknown {
  const lines = journals.flatMap((journal) =>
    journal.lines
      .filter((line) => line.version >= projectVersion)
      .map((line) => ({ ...line, file: journal.file })),
  );
  if (lines.length === 0 || !Array.isArray(images)) return images;
  // A Map keeps insertion order: replacing keeps a record's place, a new one goes last, as the
  // store's own putImages does.
  const byId = new Map<unknown, unknown>();
  for (const record of images as unknown[])
    byId.set((record as { id?: unknown } | null)?.id, record);
  for (const line of lines) {
    for (const edit of line.entries) {
      const where = `${line.file} is invalid: line ${line.line}`;
      if (typeof edit !== 'object' || edit === null) {
        throw new StudioError('io', `${where}: an edit is not an object`);
      }
      if ('put' in edit) {
        const record = (edit as { put: unknown }).put as RawRecord | null;
        if (typeof record !== 'object' || record === null || typeof record.id !== 'string') {
          throw new StudioError('io', `${where}: a record without an image id`);
        }
        byId.set(record.id, record);
      } else if ('remove' in edit && typeof (edit as { remove: unknown }).remove === 'string') {
        byId.delete((edit as { remove: string }).remove);
      } else {
        throw new StudioError('io', `${where}: an edit is neither a put nor a remove`);
      }
    }
  }
  return [...byId.values()];
}
