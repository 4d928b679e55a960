/**
 * labels.json's faces without parsing them all on open (docs/ARCHITECTURE.md, "Files on disk").
 * Reading and parsing 63 MB of labels.json (10,000 faces of 98 points) and checking every face
 * was two thirds of opening a 100,000-image project, yet the grid's first page needs only each
 * face's state (labelled, to review), expression and attributes.
 *
 * So every write of labels.json also writes labels.summary.json, after it: that state per face,
 * in labels.json's order, and the byte count and CRC-32 of the labels.json it describes. On open,
 * when labels.json's bytes have that CRC and its lines are one face each under the ids the
 * summary lists (the layout of json-layout.ts), the faces are kept as their lines' bytes and each
 * is parsed and checked when read (`get`). Any mismatch (no summary, labels.json written by an
 * older studio or by hand, a crash between the two writes) falls back to parsing and checking the
 * whole file, as before; the summary is derived data and never decides what a face holds.
 * An older studio ignores the summary; the CRC tells a summary it left stale.
 *
 * The summary also records labels.json's identity once written (device, inode, size and
 * modification time, as stable-read.ts compares them). A store that holds the lock and finds
 * labels.json with that identity does not read it at open at all (`deferred`): the first page
 * needs only the summary. The bytes are read and their CRC checked when first needed (a face
 * read, a compaction, or `preload` in the background after open); if they are not the summary's
 * after all, the table parses them whole, as a stale summary does at open, and tells the store,
 * which re-indexes the faces and writes a fresh summary.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import type { FaceAnnotation } from '../shared/domain';
import { FaceAnnotation as FaceAnnotationSchema } from '../shared/domain';
import { StudioError } from '../shared/errors';
import { faceState } from '../shared/point-provenance';
import type { FaceState } from '../shared/point-provenance';
import { describeIssues } from './atomic-json-file';
import { isExactFaceAnnotation } from './record-fast-check';
import { identityOf } from './stable-read';

export const LABELS_SUMMARY_FILE = 'labels.summary.json';
/** The summary file's own format; another number is not read (the full parse runs). */
const SUMMARY_FORMAT = 1;

/** What the library index needs of a face. */
export interface FaceSummary {
  imageId: string;
  state: FaceState;
  expression: string | null;
  attributes: Readonly<Record<string, boolean>>;
}

export function summarise(face: FaceAnnotation): FaceSummary {
  return {
    imageId: face.imageId,
    state: faceState(face),
    expression: face.expression,
    attributes: face.attributes,
  };
}

/** A face of labels.json: parsed, or the bytes of its value in the file (parsed when read). */
type Entry = { summary: FaceSummary } & (
  { face: FaceAnnotation } | { face: null; start: number; end: number }
);

/**
 * What a deferred table does when labels.json's bytes, read at last, are not those its summary
 * describes: `parse` reads and checks them whole (throwing a clear error for a bad file), and
 * `replaced` is told once the table holds those faces instead of the summary's.
 */
export interface StaleSummaryFallback {
  parse(bytes: Buffer): Readonly<Record<string, FaceAnnotation>>;
  replaced(bytes: Buffer, identity: string): void;
}

const STATES: ReadonlySet<unknown> = new Set(['labelled', 'needs-review', 'unlabelled']);
const NEWLINE = 0x0a;
const ID = /^[0-9a-f]{64}$/;

/** labels.json's faces by image id, in the file's order; immutable once made. */
export class FaceTable {
  /** Set while the table holds only its summary (`deferred`): how to read the bytes. */
  private pending: { summary: Summary; fallback: StaleSummaryFallback } | null = null;
  /** The background read under way, shared by every `preload` call while it runs. */
  private preloading: Promise<void> | null = null;
  /** The error of a failed read of a deferred table, thrown again on each later use. */
  private failure: unknown = null;
  /** The labels.json identity the summary this table was made from records, if any. */
  summaryIdentity: string | undefined;

  private constructor(
    /** labels.json, for errors. */
    readonly file: string,
    private bytes: Buffer | null,
    private entries: ReadonlyMap<string, Entry>,
  ) {}

  /** The summary's text parsed, or null when it is not one this version wrote. */
  static readSummary(summaryText: string | undefined): Summary | null {
    return summaryText === undefined ? null : readSummary(summaryText);
  }

  /**
   * A table over the summary alone, for a labels.json whose identity the caller found to be the
   * one the summary records: the bytes are read when first needed (see the file's comment).
   */
  static deferred(file: string, summary: Summary, fallback: StaleSummaryFallback): FaceTable {
    const entries = new Map<string, Entry>();
    for (const face of summary.faces) {
      entries.set(face.imageId, { summary: face, face: null, start: -1, end: -1 });
    }
    const table = new FaceTable(file, null, entries);
    table.pending = { summary, fallback };
    table.summaryIdentity = summary.labelsIdentity;
    return table;
  }

  /** Whether the table still waits for labels.json's bytes. */
  get isDeferred(): boolean {
    return this.pending !== null;
  }

  /**
   * Reads labels.json now, off the event loop, when the table still waits for it (the store calls
   * this in the background after open). A failure is kept and thrown by the next face read.
   */
  preload(): Promise<void> {
    this.preloading ??= this.readAhead().finally(() => (this.preloading = null));
    return this.preloading;
  }

  private async readAhead(): Promise<void> {
    if (this.pending === null || this.failure !== null) return;
    let read: { bytes: Buffer; identity: string };
    try {
      const handle = await open(this.file, 'r');
      try {
        const info = await handle.stat({ bigint: true });
        read = { bytes: await handle.readFile(), identity: identityOf(info) };
      } finally {
        await handle.close();
      }
    } catch (error) {
      this.failure = readError(this.file, error);
      return;
    }
    // The CRC of tens of MB is a tenth of a second: taken a slice at a time, so the requests
    // that come meanwhile are answered between slices.
    const crc = await crcInSlices(read.bytes);
    // A face read may have read the file meanwhile.
    if (this.pending !== null) this.settle(read.bytes, read.identity, crc);
  }

  /** Reads labels.json now when the table still waits for it (a face is needed at once). */
  private load(): void {
    if (this.pending === null) return;
    if (this.failure !== null) throw this.failure;
    let read: { bytes: Buffer; identity: string };
    try {
      const fd = openSync(this.file, 'r');
      try {
        read = { bytes: readFileSync(fd), identity: identityOf(fstatSync(fd, { bigint: true })) };
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      this.failure = readError(this.file, error);
      throw this.failure;
    }
    this.settle(read.bytes, read.identity);
  }

  /** Takes labels.json's bytes (`crc`: theirs, if taken): the summary's, or parsed whole. */
  private settle(bytes: Buffer, identity: string, crc?: number): void {
    const { summary, fallback } = this.pending!;
    const entries = entriesFor(bytes, summary, crc);
    if (entries !== null) {
      this.bytes = bytes;
      this.entries = entries;
      this.pending = null;
      return;
    }
    let faces: Readonly<Record<string, FaceAnnotation>>;
    try {
      faces = fallback.parse(bytes);
    } catch (error) {
      this.failure = error;
      throw error;
    }
    const parsed = new Map<string, Entry>();
    for (const face of Object.values(faces)) {
      parsed.set(face.imageId, { face, summary: summarise(face) });
    }
    this.bytes = null;
    this.entries = parsed;
    this.pending = null;
    fallback.replaced(bytes, identity);
  }

  /** A table over faces already parsed and checked (each under its own image id). */
  static fromFaces(file: string, faces: Readonly<Record<string, FaceAnnotation>>): FaceTable {
    const entries = new Map<string, Entry>();
    for (const face of Object.values(faces)) {
      entries.set(face.imageId, { face, summary: summarise(face) });
    }
    return new FaceTable(file, null, entries);
  }

  /**
   * A table over labels.json's bytes when `summaryText` describes exactly them; null when it
   * does not (the caller parses the file whole).
   */
  static fromSummary(
    file: string,
    bytes: Buffer,
    summaryText: string | undefined,
    schemaVersion: number,
  ): FaceTable | null {
    if (summaryText === undefined) return null;
    const summary = readSummary(summaryText);
    if (summary === null || summary.schemaVersion !== schemaVersion) return null;
    const entries = entriesFor(bytes, summary);
    if (entries === null) return null;
    const table = new FaceTable(file, bytes, entries);
    table.summaryIdentity = summary.labelsIdentity;
    return table;
  }

  get size(): number {
    return this.entries.size;
  }

  has(imageId: string): boolean {
    return this.entries.has(imageId);
  }

  ids(): IterableIterator<string> {
    return this.entries.keys();
  }

  summary(imageId: string): FaceSummary | undefined {
    return this.entries.get(imageId)?.summary;
  }

  /**
   * The face of an image, or undefined: a fresh object on every call, which the caller may keep.
   * A face kept as bytes is parsed and checked now.
   */
  get(imageId: string): FaceAnnotation | undefined {
    if (!this.entries.has(imageId)) return undefined;
    this.load();
    const entry = this.entries.get(imageId);
    if (entry === undefined) return undefined;
    if (entry.face !== null) return structuredClone(entry.face);
    let raw: unknown;
    try {
      raw = JSON.parse(this.bytes!.toString('utf8', entry.start, entry.end));
    } catch (error) {
      throw new StudioError(
        'io',
        `${this.file} is corrupt: the face of image ${imageId} is not valid JSON`,
        { cause: error },
      );
    }
    if (isExactFaceAnnotation(raw) && raw.imageId === imageId) return raw;
    const parsed = FaceAnnotationSchema.safeParse(raw);
    if (!parsed.success) {
      throw new StudioError(
        'io',
        `${this.file} is invalid: faces.${imageId}: ${describeIssues(parsed.error)}`,
      );
    }
    if (parsed.data.imageId !== imageId) {
      throw new StudioError(
        'io',
        `${this.file} is invalid: the face stored under ${imageId} names image ${parsed.data.imageId}`,
      );
    }
    return parsed.data;
  }

  /** The summary of `labels`, the bytes this table was read from (parsed whole, in order). */
  summaryOf(schemaVersion: number, labels: Buffer, identity?: string): Buffer {
    const summaries = [...this.entries.values()].map((entry) => entry.summary);
    return encodeSummary(schemaVersion, labels, summaries, identity);
  }

  /**
   * labels.json's bytes for these faces with `overlay`'s faces upserted (in the layout of
   * json-layout.ts: a face per line, in the table's order, new ones last), and the summary of
   * those bytes (`summaryFor` adds the identity of the file once written). Faces kept as bytes
   * are copied, not parsed.
   */
  encode(
    schemaVersion: number,
    overlay: ReadonlyMap<string, FaceAnnotation>,
  ): { labels: Buffer; summary: Buffer; summaryFor(identity: string): Buffer } {
    this.load();
    const lines: Buffer[] = [];
    const summaries: FaceSummary[] = [];
    const push = (imageId: string, value: Buffer, summary: FaceSummary) => {
      lines.push(Buffer.from(`${JSON.stringify(imageId)}:`), value);
      summaries.push(summary);
    };
    for (const [imageId, entry] of this.entries) {
      const changed = overlay.get(imageId);
      if (changed !== undefined) push(imageId, encodeFace(changed), summarise(changed));
      else if (entry.face !== null) push(imageId, encodeFace(entry.face), entry.summary);
      else push(imageId, this.bytes!.subarray(entry.start, entry.end), entry.summary);
    }
    for (const [imageId, face] of overlay) {
      if (!this.entries.has(imageId)) push(imageId, encodeFace(face), summarise(face));
    }
    const parts: Buffer[] = [Buffer.from(`{\n"schemaVersion":${schemaVersion},\n"faces":`)];
    if (summaries.length === 0) parts.push(Buffer.from('{}'));
    else {
      parts.push(Buffer.from('{\n'));
      for (let index = 0; index < summaries.length; index += 1) {
        if (index > 0) parts.push(COMMA_LINE);
        parts.push(lines[2 * index]!, lines[2 * index + 1]!);
      }
      parts.push(Buffer.from('\n}'));
    }
    parts.push(Buffer.from('\n}\n'));
    const labels = Buffer.concat(parts);
    return {
      labels,
      summary: encodeSummary(schemaVersion, labels, summaries),
      summaryFor: (identity) => encodeSummary(schemaVersion, labels, summaries, identity),
    };
  }
}

/** The entries of `bytes` when `summary` describes exactly them, else null. */
function entriesFor(
  bytes: Buffer,
  summary: Summary,
  crc = crc32(bytes),
): Map<string, Entry> | null {
  if (summary.labelsBytes !== bytes.length || summary.labelsCrc !== crc) return null;
  const lines = faceLines(bytes, summary.faces.length);
  if (lines === null) return null;
  const entries = new Map<string, Entry>();
  for (let index = 0; index < lines.length; index += 1) {
    const [keyStart, start, end] = lines[index]!;
    const summaryFace = summary.faces[index]!;
    // The line's key must be the id the summary lists there.
    if (bytes.toString('latin1', keyStart, start - 2) !== summaryFace.imageId) return null;
    entries.set(summaryFace.imageId, { summary: summaryFace, face: null, start, end });
  }
  return entries.size === lines.length ? entries : null;
}

/** Bytes a CRC slice covers: a few ms of the event loop each. */
export const CRC_SLICE_BYTES = 4 * 1024 * 1024;

/** The CRC-32 of `bytes` as zlib's, a slice at a time with the event loop let run between. */
export async function crcInSlices(bytes: Buffer, slice = CRC_SLICE_BYTES): Promise<number> {
  let crc = 0;
  for (let at = 0; at < bytes.length; at += slice) {
    crc = crc32(bytes.subarray(at, at + slice), crc);
    await nextTurn();
  }
  return crc;
}

function readError(file: string, error: unknown): StudioError {
  return new StudioError('io', `Cannot read ${file}: ${(error as Error).message}`, {
    cause: error,
  });
}

const COMMA_LINE = Buffer.from(',\n');

function encodeFace(face: FaceAnnotation): Buffer {
  return Buffer.from(JSON.stringify(face));
}

export interface Summary {
  schemaVersion: number;
  labelsBytes: number;
  labelsCrc: number;
  /**
   * labels.json's identity once written (stable-read.ts's `identityOf`); absent in a summary
   * written without it.
   */
  labelsIdentity: string | undefined;
  faces: FaceSummary[];
}

/** The summary's text: one face per line, `[id, state, expression, attributes]`. */
function encodeSummary(
  schemaVersion: number,
  labels: Buffer,
  faces: FaceSummary[],
  identity?: string,
): Buffer {
  const head = JSON.stringify({
    format: SUMMARY_FORMAT,
    schemaVersion,
    labelsBytes: labels.length,
    labelsCrc: crc32(labels),
    labelsIdentity: identity,
  });
  const rows = faces.map((face) =>
    JSON.stringify([face.imageId, face.state, face.expression, face.attributes]),
  );
  return Buffer.from(`${head.slice(0, -1)},\n"faces":[\n${rows.join(',\n')}\n]}\n`);
}

/** The summary, or null when it is not one this version wrote. */
function readSummary(text: string): Summary | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const { format, schemaVersion, labelsBytes, labelsCrc, labelsIdentity, faces } = raw as Record<
    string,
    unknown
  >;
  if (
    format !== SUMMARY_FORMAT ||
    (labelsIdentity !== undefined && typeof labelsIdentity !== 'string') ||
    typeof schemaVersion !== 'number' ||
    typeof labelsBytes !== 'number' ||
    typeof labelsCrc !== 'number' ||
    !Array.isArray(faces)
  ) {
    return null;
  }
  const summaries: FaceSummary[] = [];
  for (const row of faces) {
    if (!Array.isArray(row) || row.length !== 4) return null;
    const [imageId, state, expression, attributes] = row as unknown[];
    if (
      typeof imageId !== 'string' ||
      !ID.test(imageId) ||
      !STATES.has(state) ||
      (expression !== null && typeof expression !== 'string') ||
      typeof attributes !== 'object' ||
      attributes === null ||
      Array.isArray(attributes) ||
      !Object.values(attributes).every((value) => typeof value === 'boolean')
    ) {
      return null;
    }
    summaries.push({
      imageId,
      state: state as FaceState,
      expression: expression as string | null,
      attributes: attributes as Record<string, boolean>,
    });
  }
  return { schemaVersion, labelsBytes, labelsCrc, labelsIdentity, faces: summaries };
}

/**
 * `[key start, value start, value end]` of each face line of labels.json in the layout of
 * json-layout.ts (`{`, `"schemaVersion":n,`, `"faces":{`, a `"<id>":{…},` line per face, `}`,
 * `}`); null when the bytes are laid out otherwise or hold another number of faces.
 */
function faceLines(bytes: Buffer, expected: number): [number, number, number][] | null {
  const QUOTE = 0x22;
  const COLON = 0x3a;
  const OPEN = 0x7b;
  const CLOSE = 0x7d;
  const COMMA = 0x2c;
  let at = 0;
  const nextLine = (): [number, number] | null => {
    const end = bytes.indexOf(NEWLINE, at);
    if (end < 0) return null;
    const line: [number, number] = [at, end];
    at = end + 1;
    return line;
  };
  const text = (line: [number, number] | null) =>
    line === null ? null : bytes.toString('latin1', line[0], line[1]);
  if (text(nextLine()) !== '{') return null;
  if (!/^"schemaVersion":\d+,$/.test(text(nextLine()) ?? '')) return null;
  const facesLine = text(nextLine());
  if (facesLine === '"faces":{}') {
    return expected === 0 && text(nextLine()) === '}' && at === bytes.length ? [] : null;
  }
  if (facesLine !== '"faces":{') return null;
  const found: [number, number, number][] = [];
  for (;;) {
    const line = nextLine();
    if (line === null) return null;
    const [start, end] = line;
    if (end - start === 1 && bytes[start] === CLOSE) break;
    // `"` + 64 hex digits + `":{` … `}` or `},`.
    const valueStart = start + 67;
    const last = bytes[end - 1] === COMMA ? end - 1 : end;
    if (
      bytes[start] !== QUOTE ||
      bytes[start + 65] !== QUOTE ||
      bytes[start + 66] !== COLON ||
      bytes[valueStart] !== OPEN ||
      bytes[last - 1] !== CLOSE
    ) {
      return null;
    }
    found.push([start + 1, valueStart, last]);
    if (found.length > expected) return null;
  }
  if (text(nextLine()) !== '}' || at !== bytes.length) return null;
  return found.length === expected ? found : null;
}
