/**
 * project.json's image records without parsing them all on open (docs/ARCHITECTURE.md, "Files on
 * disk", project.records.bin). Parsing the records of a 1,000,000-image project.json (287 MB)
 * took most of its open (JSON.parse alone 5 s of CPU), yet the grid's first page needs 200
 * records, and the library index only each record's id, split and curation bits.
 *
 * So every write of project.json by the store also writes project.records.bin after it: each
 * record line's byte offset in project.json, its split and curation bits (`recordCode`), and the
 * lower-cased path and source the text filter searches, with project.json's size and identity
 * (device, inode, size, modification time: stable-read.ts's `identityOf`) and a CRC-32 of the
 * sidecar itself. An open under the lock that finds project.json with that identity keeps the
 * records as their lines' bytes (`ImageTable.fromLines`): ids are read from the lines, and a
 * record is parsed and checked when asked for (`at`). Anything else (no sidecar, a torn or
 * corrupt one, project.json written by an older studio or by hand, a kill between the two writes,
 * a read-only open) parses project.json whole, as before, and a writable open then writes the
 * sidecar for the bytes it read in the background. The sidecar is derived data like the
 * thumbnails: it never decides what a record holds, needs no migration, and an older studio
 * ignores it.
 *
 * In memory a position holds either a line of the base bytes (a number) or a record parsed or put
 * since (a frozen object); positions are found by id through an open-addressing table over the
 * ids, not a Map of 1,000,000 strings (1.7 s of CPU to build at 1M).
 */
import { crc32 } from 'node:zlib';
import type { ImageRecord } from '../shared/domain';
import { ImageRecord as ImageRecordSchema } from '../shared/domain';
import { StudioError } from '../shared/errors';
import { describeIssues } from './atomic-json-file';
import { recordCode, recordHasText } from './library/library-index';
import type { IndexedImages } from './library/library-index';
import { isExactImageRecord } from './record-fast-check';

export const IMAGE_LINES_FILE = 'project.records.bin';
/** The sidecar's own format; another number is not read (project.json is parsed whole). */
const LINES_FORMAT = 2;
const MAGIC = Buffer.from('FSRECS\n\0', 'latin1');
/** `{"id":"` starts every record line this studio writes. */
const ID_PREFIX = Buffer.from('{"id":"', 'latin1');
const ID_LENGTH = 64;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/** project.json's bytes and what the sidecar says of each record line in them. */
export interface LineBase {
  bytes: Buffer;
  /** Line i spans [starts[i], starts[i + 1] - 2) (each line but the last is followed by `,\n`). */
  starts: Float64Array;
  /** `recordCode` of each line's record. */
  codes: Uint8Array;
  /** Each line's id's first 8 hex digits (`slotOf`), so the id table is built without the bytes. */
  hashes: Uint32Array;
  /** Line i's text is text[textStarts[i], textStarts[i + 1]): `path\0source\0`, lower-cased. */
  textStarts: Uint32Array;
  text: Buffer;
}

/** The sidecar as read: its base less the bytes, and what it vouches for. */
export interface ImageLines {
  schemaVersion: number;
  projectBytes: number;
  projectIdentity: string;
  /** Where project.json's `[` of the images starts its line's content (`"images":[`). */
  imagesStart: number;
  imagesEnd: number;
  starts: Float64Array;
  codes: Uint8Array;
  hashes: Uint32Array;
  textStarts: Uint32Array;
  text: Buffer;
}

type Entry = number | ImageRecord;

/** What the sidecar holds per record besides its line's place: codes and searchable text. */
export interface Columns {
  codes: Uint8Array;
  hashes: Uint32Array;
  /** Record i's text is text[textStarts[i], textStarts[i + 1]): `path\0source\0`, lower-cased. */
  textStarts: Uint32Array;
  text: Buffer;
}

/** The records' lines joined by `,\n`, each one's start in them (and the length + 2 last). */
export interface EncodedImages {
  pieces: Buffer[];
  size: number;
  starts: Float64Array;
  columns: Columns | null;
  exact: boolean;
}

/** project.json's bytes as written, with where its images and each record line start. */
export interface WrittenProject {
  bytes: Buffer;
  starts: Float64Array;
  imagesStart: number;
  imagesEnd: number;
}

const COMMA_LINE = Buffer.from(',\n');
/** Lines of a large index whose place open checks before trusting the sidecar. */
const CHECKED_LINES = 4096;

/** The image index in order, as lines of project.json's bytes and records put since. */
export class ImageTable implements IndexedImages {
  private base: LineBase | null;
  private entries: Entry[];
  /** position + 1 per slot (0: empty), at the slot of the id's first 8 hex digits. */
  private slots = new Int32Array(0);
  private mask = 0;
  /** The last `all()`, until a change. */
  private allKept: WeakRef<readonly ImageRecord[]> | null = null;

  private constructor(base: LineBase | null, entries: Entry[]) {
    this.base = base;
    this.entries = entries;
    this.reindex();
  }

  /** A table over records already parsed, checked and frozen. */
  static fromRecords(records: readonly ImageRecord[]): ImageTable {
    return new ImageTable(null, [...records]);
  }

  /**
   * A table over project.json's `bytes` when the sidecar describes exactly them (the caller
   * checked the identity); null when the lines are not where the sidecar says.
   */
  static fromLines(bytes: Buffer, lines: ImageLines): ImageTable | null {
    if (lines.projectBytes !== bytes.length) return null;
    const { starts } = lines;
    const count = starts.length - 1;
    // A sample of the lines (all of a small index) must sit where the sidecar says; each line is
    // checked again when parsed (its JSON, its id), so the identity and the CRC do the rest.
    const stride = Math.max(1, Math.floor(count / CHECKED_LINES));
    const fits = (line: number): boolean => {
      const start = starts[line]!;
      const end = starts[line + 1]! - 2;
      return (
        bytes[start - 1] === NEWLINE &&
        hasIdPrefix(bytes, start) &&
        bytes[end - 1] === CLOSE_BRACE &&
        (line < count - 1
          ? bytes[end] === COMMA && bytes[end + 1] === NEWLINE
          : bytes[end] === NEWLINE && bytes[end + 1] === CLOSE_BRACKET)
      );
    };
    for (let line = 0; line < count; line += stride) if (!fits(line)) return null;
    if (count > 0 && !fits(count - 1)) return null;
    const entries = new Array<Entry>(count);
    for (let line = 0; line < count; line += 1) entries[line] = line;
    return new ImageTable(
      {
        bytes,
        starts,
        codes: lines.codes,
        hashes: lines.hashes,
        textStarts: lines.textStarts,
        text: lines.text,
      },
      entries,
    );
  }

  get length(): number {
    return this.entries.length;
  }

  /** Whether any record is still kept as its line's bytes. */
  get hasLines(): boolean {
    return this.base !== null;
  }

  /** The record at `position`, frozen (a line is parsed and checked now, each call). */
  at(position: number): ImageRecord | undefined {
    const entry = this.entries[position];
    return typeof entry === 'number' ? this.parseLine(entry) : entry;
  }

  idAt(position: number): string {
    const entry = this.entries[position]!;
    if (typeof entry !== 'number') return entry.id;
    const start = this.base!.starts[entry]! + ID_PREFIX.length;
    return this.base!.bytes.toString('latin1', start, start + ID_LENGTH);
  }

  codeAt(position: number): number {
    const entry = this.entries[position]!;
    return typeof entry === 'number' ? this.base!.codes[entry]! : recordCode(entry);
  }

  positionOf(imageId: string): number | undefined {
    if (imageId.length !== ID_LENGTH || this.mask === 0) return undefined;
    let slot = slotOf(imageId) & this.mask;
    for (;;) {
      const held = this.slots[slot]!;
      if (held === 0) return undefined;
      if (this.idAt(held - 1) === imageId) return held - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  textMatcher(text: string): (position: number) => boolean {
    const base = this.base;
    const needle = Buffer.from(text);
    // Byte search holds for well-formed text without NUL (no path holds either, see `linesOf`).
    if (base === null || needle.length === 0 || !wellFormed(text) || needle.includes(0)) {
      return (position) => recordHasText(this.at(position)!, text);
    }
    const found = new Uint8Array(base.starts.length - 1);
    const { textStarts } = base;
    for (let at = base.text.indexOf(needle); at >= 0;) {
      const line = upperBound(textStarts, at) - 1;
      found[line] = 1;
      at = base.text.indexOf(needle, textStarts[line + 1]!);
    }
    return (position) => {
      const entry = this.entries[position]!;
      if (typeof entry !== 'number') return recordHasText(entry, text);
      // Lines of another base (project.json written since): parsed instead.
      return this.base === base ? found[entry] === 1 : recordHasText(this.at(position)!, text);
    };
  }

  /**
   * Every record in order, parsed now: the whole index's cost, for callers that need it all. The
   * list is kept, weakly, until the next change: callers in a row (the Train view's counts and
   * sources) parse once, and it goes with the next garbage collection once no caller holds it.
   */
  all(): readonly ImageRecord[] {
    const kept = this.allKept?.deref();
    if (kept !== undefined) return kept;
    const records = new Array<ImageRecord>(this.entries.length);
    for (let position = 0; position < this.entries.length; position += 1) {
      records[position] = this.at(position)!;
    }
    Object.freeze(records);
    this.allKept = new WeakRef(records);
    return records;
  }

  /** Every id in order, without parsing a record; read as it goes (copy it to hold it). */
  *ids(): IterableIterator<string> {
    for (let position = 0; position < this.entries.length; position += 1) {
      yield this.idAt(position);
    }
  }

  /** Adds a record (frozen), or replaces the one with its id in place; returns its position. */
  put(record: ImageRecord): number {
    this.allKept = null;
    const known = this.positionOf(record.id);
    if (known !== undefined) {
      this.entries[known] = record;
      return known;
    }
    this.entries.push(record);
    if (this.entries.length * 2 > this.slots.length) this.reindex();
    else this.place(record.id, this.entries.length - 1);
    return this.entries.length - 1;
  }

  /** Drops the records with these ids; returns how many were dropped. */
  remove(imageIds: ReadonlySet<string>): number {
    this.allKept = null;
    const before = this.entries.length;
    this.entries = this.entries.filter((_, position) => !imageIds.has(this.idAt(position)));
    this.reindex();
    return before - this.entries.length;
  }

  /** The table as it is now, for a write (shares the base; later puts and removes stay out). */
  snapshot(): ImageTable {
    const copy = Object.create(ImageTable.prototype) as ImageTable;
    copy.base = this.base;
    copy.entries = [...this.entries];
    copy.slots = this.slots;
    copy.mask = this.mask;
    copy.allKept = null;
    return copy;
  }

  /**
   * The records' lines for project.json, in order, joined by `,\n` (runs of consecutive lines of
   * the base copied whole, not parsed; the others encoded), each line's start in them, and the
   * sidecar's columns; null columns when a record's path or source cannot be searched as bytes
   * (then no sidecar is written). `exact`: every record passes the fast checks.
   */
  encodeImages(): EncodedImages {
    const { entries } = this;
    const count = entries.length;
    const base = this.base;
    const pieces: Buffer[] = [];
    const starts = new Float64Array(count + 1);
    const codes = new Uint8Array(count);
    const hashes = new Uint32Array(count);
    const textStarts = new Uint32Array(count + 1);
    const texts: Buffer[] = [];
    let size = 0;
    let textSize = 0;
    let searchable = true;
    // Lines are exact records: only a vouching sidecar or an exact write makes them.
    let exact = true;
    for (let position = 0; position < count;) {
      if (position > 0) {
        pieces.push(COMMA_LINE);
        size += 2;
      }
      const entry = entries[position]!;
      if (typeof entry === 'number') {
        let end = position + 1;
        while (end < count && entries[end] === entry + (end - position)) end += 1;
        const last = entry + (end - position) - 1;
        const from = base!.starts[entry]!;
        const textFrom = base!.textStarts[entry]!;
        for (let at = position; at < end; at += 1) {
          const line = entry + (at - position);
          starts[at] = size + (base!.starts[line]! - from);
          codes[at] = base!.codes[line]!;
          hashes[at] = base!.hashes[line]!;
          textStarts[at] = textSize + (base!.textStarts[line]! - textFrom);
        }
        const to = base!.starts[last + 1]! - 2;
        pieces.push(base!.bytes.subarray(from, to));
        size += to - from;
        const textTo = base!.textStarts[last + 1]!;
        texts.push(base!.text.subarray(textFrom, textTo));
        textSize += textTo - textFrom;
        position = end;
      } else {
        const line = Buffer.from(JSON.stringify(entry));
        starts[position] = size;
        pieces.push(line);
        size += line.length;
        codes[position] = recordCode(entry);
        hashes[position] = slotOf(entry.id);
        exact &&= isExactImageRecord(entry);
        const text = textOf(entry);
        if (text === null) searchable = false;
        else {
          textStarts[position] = textSize;
          texts.push(text);
          textSize += text.length;
        }
        position += 1;
      }
    }
    starts[count] = size + 2;
    textStarts[count] = textSize;
    searchable &&= textSize <= 0xffffffff;
    return {
      pieces,
      size,
      starts,
      columns: searchable
        ? { codes, hashes, text: Buffer.concat(texts, textSize), textStarts }
        : null,
      exact,
    };
  }

  /**
   * `written` is project.json as just written from `snapshot` (a snapshot of this table), line k
   * holding the snapshot's record k: the positions that still hold one of those records now read
   * it from `written`, and the records kept in memory for them are dropped.
   */
  rebase(snapshot: ImageTable, written: LineBase): void {
    const oldLines = new Int32Array(this.base === null ? 0 : this.base.starts.length - 1).fill(-1);
    const records = new Map<ImageRecord, number>();
    snapshot.entries.forEach((entry, line) => {
      if (typeof entry === 'number') {
        if (snapshot.base === this.base) oldLines[entry] = line;
      } else records.set(entry, line);
    });
    this.entries = this.entries.map((entry) => {
      const line = typeof entry === 'number' ? oldLines[entry]! : records.get(entry);
      if (line === undefined || line < 0) {
        if (typeof entry === 'number') throw new Error('a line of project.json was lost');
        return entry;
      }
      return line;
    });
    this.base = written;
  }

  private parseLine(line: number): ImageRecord {
    const { bytes, starts } = this.base!;
    const file = 'project.json';
    let raw: unknown;
    try {
      raw = JSON.parse(bytes.toString('utf8', starts[line]!, starts[line + 1]! - 2));
    } catch (error) {
      throw new StudioError(
        'io',
        `${file} is corrupt: image record ${line + 1} is not valid JSON`,
        {
          cause: error,
        },
      );
    }
    const record = isExactImageRecord(raw) ? raw : checked(raw, line);
    const start = starts[line]! + ID_PREFIX.length;
    if (record.id !== bytes.toString('latin1', start, start + ID_LENGTH)) {
      throw new StudioError('io', `${file} is invalid: image record ${line + 1} names two ids`);
    }
    return freezeImage(record);
  }

  private reindex(): void {
    let size = 16;
    while (size < this.entries.length * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    const { entries } = this;
    const base = this.base;
    for (let position = 0; position < entries.length; position += 1) {
      const entry = entries[position]!;
      // A line's slot from the sidecar: no id string made, no line of the bytes touched.
      this.placeAt(typeof entry === 'number' ? base!.hashes[entry]! : slotOf(entry.id), position);
    }
  }

  private place(imageId: string, position: number): void {
    this.placeAt(slotOf(imageId), position);
  }

  private placeAt(hash: number, position: number): void {
    const { slots, mask } = this;
    let slot = hash & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = position + 1;
  }
}

function checked(raw: unknown, line: number): ImageRecord {
  const parsed = ImageRecordSchema.safeParse(raw);
  if (!parsed.success) {
    throw new StudioError(
      'io',
      `project.json is invalid: images.${line}: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** An id's slot before masking: its first 8 hex digits (ids are SHA-256, so evenly spread). */
function slotOf(imageId: string): number {
  return parseInt(imageId.slice(0, 8), 16) | 0;
}

/** Whether `{"id":"` starts at `at` in `bytes`. */
function hasIdPrefix(bytes: Buffer, at: number): boolean {
  for (let index = 0; index < ID_PREFIX.length; index += 1) {
    if (bytes[at + index] !== ID_PREFIX[index]) return false;
  }
  return true;
}

/** Index of the first element of a sorted array that is > value. */
function upperBound(sorted: Uint32Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A record's searchable text, `path\0source\0` lower-cased, or null when it cannot be bytes. */
function textOf(record: ImageRecord): Buffer | null {
  const path = record.path.toLowerCase();
  const source = record.source?.toLowerCase() ?? '';
  if (!searchable(path) || !searchable(source)) return null;
  return Buffer.from(`${path}\0${source}\0`);
}

/** Whether a string holds no lone surrogate (so its UTF-8 bytes stand for it exactly). */
function wellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** Whether a path's text can be searched as bytes: well-formed, and no NUL (the separator). */
function searchable(text: string): boolean {
  return wellFormed(text) && !text.includes('\0');
}

/**
 * Where each of `records` (project.json's `bytes` parsed) sits in `bytes`, when the file has the
 * layout of json-layout.ts (one record a line, each `{"id":"<its id>"…}`); null otherwise.
 */
export function linesOfProject(
  bytes: Buffer,
  records: readonly ImageRecord[],
): WrittenProject | null {
  const marker = Buffer.from('\n"images":[');
  const found = bytes.indexOf(marker);
  if (found < 0) return null;
  const imagesStart = found + marker.length - 1;
  const starts = new Float64Array(records.length + 1);
  if (records.length === 0) {
    if (bytes[imagesStart + 1] !== CLOSE_BRACKET) return null;
    starts[0] = imagesStart + 4;
    return { bytes, starts, imagesStart, imagesEnd: imagesStart + 2 };
  }
  if (bytes[imagesStart + 1] !== NEWLINE) return null;
  let start = imagesStart + 2;
  let end = start;
  for (let index = 0; index < records.length; index += 1) {
    const newline = bytes.indexOf(NEWLINE, start);
    if (newline < 0) return null;
    const last = index === records.length - 1;
    end = last ? newline : newline - 1;
    if (last ? bytes[newline + 1] !== CLOSE_BRACKET : bytes[end] !== COMMA) return null;
    const idStart = start + ID_PREFIX.length;
    if (
      bytes.compare(ID_PREFIX, 0, ID_PREFIX.length, start, idStart) !== 0 ||
      bytes.toString('latin1', idStart, idStart + ID_LENGTH) !== records[index]!.id ||
      bytes[end - 1] !== CLOSE_BRACE
    ) {
      return null;
    }
    starts[index] = start;
    start = newline + 1;
  }
  starts[records.length] = end + 2;
  return { bytes, starts, imagesStart, imagesEnd: end + 2 };
}

/** Each record's code and text for the sidecar; null when a text cannot be searched as bytes. */
export function columnsOf(records: readonly ImageRecord[]): Columns | null {
  const codes = new Uint8Array(records.length);
  const hashes = new Uint32Array(records.length);
  const textStarts = new Uint32Array(records.length + 1);
  let text = Buffer.allocUnsafe(1 << 16);
  let size = 0;
  for (let index = 0; index < records.length; index += 1) {
    const record = records[index]!;
    const path = record.path.toLowerCase();
    const source = record.source?.toLowerCase() ?? '';
    if (!searchable(path) || !searchable(source)) return null;
    const value = `${path}\0${source}\0`;
    const length = Buffer.byteLength(value);
    if (size + length > text.length) {
      const larger = Buffer.allocUnsafe(Math.max(2 * text.length, size + length));
      text.copy(larger, 0, 0, size);
      text = larger;
    }
    textStarts[index] = size;
    size += text.write(value, size);
    codes[index] = recordCode(record);
    hashes[index] = slotOf(record.id);
  }
  if (size > 0xffffffff) return null;
  textStarts[records.length] = size;
  return { codes, hashes, text: text.subarray(0, size), textStarts };
}

/** Deep-freezes an image record, so no caller can change it behind the table's back. */
export function freezeImage(record: ImageRecord): ImageRecord {
  if (record.face) {
    Object.freeze(record.face.box);
    Object.freeze(record.face.crop);
    Object.freeze(record.face);
  }
  if (record.flags) Object.freeze(record.flags);
  return Object.freeze(record);
}

/**
 * project.json's bytes from its parts: `head` (`{\n"meta":…` up to the images), the records'
 * lines (`encodeImages`), and `tail` (`"runs":…\n}\n`), in the layout of json-layout.ts; with
 * each line's start.
 */
export function joinProject(head: Buffer, images: EncodedImages, tail: Buffer): WrittenProject {
  const empty = images.starts.length === 1;
  const open = Buffer.from(empty ? ',\n"images":[]' : ',\n"images":[\n');
  const close = Buffer.from(empty ? ',\n' : '\n],\n');
  const imagesStart = head.length + open.indexOf('[');
  const linesStart = head.length + open.length;
  const bytes = Buffer.concat(
    [head, open, ...images.pieces, close, tail],
    linesStart + images.size + close.length + tail.length,
  );
  // Line i ends at starts[i + 1] - 2, as if a `,\n` followed the last line too.
  const starts = images.starts.map((start) => start + linesStart);
  const imagesEnd = empty ? linesStart : linesStart + images.size + 2;
  return { bytes, starts, imagesStart, imagesEnd };
}

/** The sidecar's bytes for project.json `written` with these columns, and the base it reads. */
export function encodeImageLines(
  schemaVersion: number,
  written: WrittenProject,
  columns: Columns,
  projectIdentity: string,
): { sidecar: Buffer; base: LineBase } {
  const { codes, hashes, text, textStarts } = columns;
  const header = Buffer.from(
    JSON.stringify({
      format: LINES_FORMAT,
      schemaVersion,
      projectBytes: written.bytes.length,
      projectIdentity,
      count: codes.length,
      imagesStart: written.imagesStart,
      imagesEnd: written.imagesEnd,
      textBytes: text.length,
    }),
  );
  const sectionsStart = align8(MAGIC.length + 4 + header.length);
  const sections = [
    Buffer.from(written.starts.buffer, written.starts.byteOffset, written.starts.byteLength),
    Buffer.from(textStarts.buffer, textStarts.byteOffset, textStarts.byteLength),
    Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength),
    Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength),
    text,
  ];
  const parts: Buffer[] = [
    MAGIC,
    uint32(header.length),
    header,
    Buffer.alloc(sectionsStart - MAGIC.length - 4 - header.length),
  ];
  for (const section of sections) {
    parts.push(section, Buffer.alloc(align8(section.length) - section.length));
  }
  const body = Buffer.concat(parts);
  const sidecar = Buffer.concat([body, uint32(crc32(body))]);
  return {
    sidecar,
    base: { bytes: written.bytes, starts: written.starts, codes, hashes, textStarts, text },
  };
}

/** The sidecar read from its bytes, or null when it is not one this version wrote, intact. */
export function decodeImageLines(sidecar: Buffer | undefined): ImageLines | null {
  if (sidecar === undefined || sidecar.length < MAGIC.length + 12) return null;
  if (sidecar.compare(MAGIC, 0, MAGIC.length, 0, MAGIC.length) !== 0) return null;
  const bodyEnd = sidecar.length - 4;
  if (sidecar.readUInt32LE(bodyEnd) !== crc32(sidecar.subarray(0, bodyEnd))) return null;
  const headerLength = sidecar.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(
      sidecar.toString('utf8', headerStart, headerStart + headerLength),
    ) as Record<string, unknown>;
  } catch {
    return null;
  }
  const {
    format,
    schemaVersion,
    projectBytes,
    projectIdentity,
    count,
    imagesStart,
    imagesEnd,
    textBytes,
  } = header;
  if (
    format !== LINES_FORMAT ||
    typeof projectIdentity !== 'string' ||
    ![schemaVersion, projectBytes, count, imagesStart, imagesEnd, textBytes].every(
      (value) => Number.isSafeInteger(value) && (value as number) >= 0,
    )
  ) {
    return null;
  }
  const n = count as number;
  let at = align8(headerStart + headerLength);
  const take = (size: number): Buffer | null => {
    if (at + size > bodyEnd) return null;
    const part = sidecar.subarray(at, at + size);
    at += align8(size);
    return part;
  };
  const startsBytes = take((n + 1) * 8);
  const textStartsBytes = take((n + 1) * 4);
  const hashesBytes = take(n * 4);
  const codesBytes = take(n);
  const text = take(textBytes as number);
  if (
    startsBytes === null ||
    textStartsBytes === null ||
    hashesBytes === null ||
    codesBytes === null ||
    text === null
  ) {
    return null;
  }
  const hashes = new Uint32Array(n);
  new Uint8Array(hashes.buffer).set(hashesBytes);
  const starts = new Float64Array(n + 1);
  new Uint8Array(starts.buffer).set(startsBytes);
  const textStarts = new Uint32Array(n + 1);
  new Uint8Array(textStarts.buffer).set(textStartsBytes);
  if (textStarts[n] !== textBytes) return null;
  return {
    schemaVersion: schemaVersion as number,
    projectBytes: projectBytes as number,
    projectIdentity,
    imagesStart: imagesStart as number,
    imagesEnd: imagesEnd as number,
    starts,
    codes: new Uint8Array(codesBytes),
    hashes,
    textStarts,
    text,
  };
}

function align8(size: number): number {
  return Math.ceil(size / 8) * 8;
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0);
  return bytes;
}
