/**
 * The label journal: labels.journal.jsonl beside labels.json. Each debounced flush of label edits
 * appends ONE line holding every face it saves, then fsyncs — a few KB instead of rewriting the
 * whole labels.json (20+ MB for 10k faces). labels.json plus the journal's lines, applied in order,
 * is the project's labels; see project-store.ts for when the journal is folded back (compacted).
 *
 * A line is `{"crc":"<crc32 hex>","v":<labels schema version>,"faces":[<FaceAnnotation>...]}`,
 * valid JSON on its own. The crc covers every byte after `"crc":"xxxxxxxx",` up to the closing
 * brace, so a line that a crash cut short (or left as zeros after a power cut) fails its check.
 * One line per flush makes a flush all-or-nothing: it is acknowledged only after its fsync.
 *
 * Reading: bad lines at the end of a file are the torn tail of a write that was never acknowledged
 * and are ignored; the next append cuts them off first. A bad line with a good line after it
 * cannot come from a crash (appends are sequential and each waits for the previous one's fsync),
 * so it is reported as corruption and nothing is written.
 *
 * Compaction first renames the journal to labels.journal.compacting.jsonl, so appends can go on
 * into a fresh journal while labels.json is rewritten; the compacting file is removed once the
 * new labels.json is durable. Readers apply the compacting file's lines, then the journal's.
 *
 * The image index's journal (images-journal.ts) is the same file format under other names, its
 * lines holding `"edits"` instead of `"faces"`: this module is its reader and appender too.
 */
import { crc32 } from 'node:zlib';
import { constants } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../shared/errors';
import { describeWriteError, syncFolder } from './atomic-write';

export const JOURNAL_FILE = 'labels.journal.jsonl';
export const COMPACTING_FILE = 'labels.journal.compacting.jsonl';

/** What a journal's lines hold: faces (labels) or image index edits (images-journal.ts). */
export type JournalKey = 'faces' | 'edits';

/** A journal's file and the name its compaction renames it to. */
export interface JournalFiles {
  journal: string;
  compacting: string;
}

const LABEL_JOURNAL_FILES: JournalFiles = { journal: JOURNAL_FILE, compacting: COMPACTING_FILE };

const LINE_START = '{"crc":"';
/** `{"crc":"` + 8 hex digits + `",`: the checksummed text starts right after. */
const CHECKED_FROM = LINE_START.length + 8 + 2;
const NEWLINE = 0x0a;

export interface JournalLine {
  /** Schema version of labels.json when the line was written. */
  version: number;
  /** The faces (or image edits) as parsed, not yet validated. */
  entries: unknown[];
  /** 1-based line number, for error messages. */
  line: number;
}

export interface JournalContents {
  file: string;
  lines: JournalLine[];
  /** Bytes up to the end of the last good line; anything after is a torn tail. */
  validBytes: number;
  /** Total size of the file as read. */
  size: number;
}

/** One journal line for `entries` (already validated), with its newline. */
export function encodeJournalLine(
  version: number,
  entries: readonly unknown[],
  key: JournalKey = 'faces',
): Buffer {
  const checked = `"v":${version},"${key}":${JSON.stringify(entries)}}`;
  const sum = crc32(checked).toString(16).padStart(8, '0');
  return Buffer.from(`${LINE_START}${sum}",${checked}\n`);
}

/** The line's content when its checksum holds, else null. */
function decodeLine(text: string, key: JournalKey): { version: number; entries: unknown[] } | null {
  if (!text.startsWith(LINE_START) || text.slice(CHECKED_FROM - 2, CHECKED_FROM) !== '",') {
    return null;
  }
  const sum = text.slice(LINE_START.length, CHECKED_FROM - 2);
  if (!/^[0-9a-f]{8}$/.test(sum) || crc32(text.slice(CHECKED_FROM)) !== parseInt(sum, 16)) {
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const { v, [key]: entries } = (parsed ?? {}) as { v?: unknown } & Record<string, unknown>;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || !Array.isArray(entries)) {
    return null;
  }
  return { version: v, entries: entries as unknown[] };
}

/**
 * Reads a journal file. Undefined when it does not exist; a StudioError naming the file and line
 * when a bad line sits before a good one.
 */
export async function readJournal(
  file: string,
  key: JournalKey = 'faces',
): Promise<JournalContents | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new StudioError('io', `Cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const lines: JournalLine[] = [];
  let validBytes = 0;
  let firstBad: number | null = null;
  let start = 0;
  for (let number = 1; start < bytes.length; number += 1) {
    const end = bytes.indexOf(NEWLINE, start);
    // A line without its newline was cut short: it can only be the torn tail.
    const decoded = end === -1 ? null : decodeLine(bytes.toString('utf8', start, end), key);
    if (decoded === null) {
      firstBad ??= number;
    } else {
      if (firstBad !== null) {
        throw new StudioError(
          'io',
          `${file} is corrupt: line ${firstBad} fails its checksum but line ${number} after it ` +
            `is intact, so this is not a write cut short by a crash. Nothing was changed; restore ` +
            `the file from a backup or remove line ${firstBad} to open the project.`,
        );
      }
      lines.push({ ...decoded, line: number });
      validBytes = end + 1;
    }
    if (end === -1) break;
    start = end + 1;
  }
  return { file, lines, validBytes, size: bytes.length };
}

/**
 * Appends to and rotates the journal of one project folder. Not re-entrant: the store runs its
 * calls one at a time.
 */
export class LabelsJournal {
  readonly file: string;
  readonly compactingFile: string;
  private readonly folder: string;
  /** Where the good lines of the journal end; a torn tail beyond it is cut before appending. */
  private validBytes: number;
  private size: number;
  private fileExists: boolean;
  /** True while a compacting file exists (a compaction ran, or was cut short by a crash). */
  compacting: boolean;

  constructor(
    folder: string,
    active: JournalContents | undefined,
    compacting: JournalContents | undefined,
    files: JournalFiles = LABEL_JOURNAL_FILES,
  ) {
    this.folder = folder;
    this.file = path.join(folder, files.journal);
    this.compactingFile = path.join(folder, files.compacting);
    this.validBytes = active?.validBytes ?? 0;
    this.size = active?.size ?? 0;
    this.fileExists = active !== undefined;
    this.compacting = compacting !== undefined;
  }

  /** Bytes of good lines in the journal, for the compaction threshold. */
  get bytes(): number {
    return this.validBytes;
  }

  /** Appends one line and fsyncs it; resolves once it is durable. */
  async append(line: Buffer): Promise<void> {
    const created = !this.fileExists;
    try {
      // O_APPEND: each write lands at the end even if the file was replaced under us.
      const handle = await open(
        this.file,
        constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND,
        0o644,
      );
      this.fileExists = true;
      try {
        if (this.size !== this.validBytes) {
          // A torn tail (crash) or a failed append: cut it so the new line is not after a bad one.
          await handle.truncate(this.validBytes);
          this.size = this.validBytes;
        }
        this.size += line.length; // counted before the write: a failed write leaves a tail
        await handle.writeFile(line);
        await handle.sync();
      } finally {
        await handle.close();
      }
      // A new file's name must be durable too, or a power cut could drop the whole journal.
      if (created) await syncFolder(this.folder);
    } catch (error) {
      throw describeWriteError(this.file, error);
    }
    this.validBytes += line.length;
  }

  /** Renames the journal to the compacting file (which must not exist) and starts a fresh one. */
  async rotate(): Promise<void> {
    if (this.compacting) throw new Error('rotate() while a compacting file exists');
    if (this.fileExists) {
      try {
        await rename(this.file, this.compactingFile);
        await syncFolder(this.folder);
      } catch (error) {
        throw describeWriteError(this.compactingFile, error);
      }
      this.compacting = true;
    }
    this.fileExists = false;
    this.validBytes = 0;
    this.size = 0;
  }

  /** Removes the compacting file, once labels.json holds its lines. */
  async removeCompacting(): Promise<void> {
    if (!this.compacting) return;
    await this.remove(this.compactingFile);
    this.compacting = false;
  }

  /** Removes the journal itself, once labels.json holds its lines. */
  async removeJournal(): Promise<void> {
    if (!this.fileExists) return;
    await this.remove(this.file);
    this.fileExists = false;
    this.validBytes = 0;
    this.size = 0;
  }

  private async remove(file: string): Promise<void> {
    try {
      await unlink(file).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      });
      await syncFolder(this.folder);
    } catch (error) {
      throw describeWriteError(file, error);
    }
  }
}
