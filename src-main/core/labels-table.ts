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
 */
import { crc32 } from 'node:zlib';
import type { FaceAnnotation } from '../shared/domain';
import { FaceAnnotation as FaceAnnotationSchema } from '../shared/domain';
import { StudioError } from '../shared/errors';
import { faceState } from '../shared/point-provenance';
import type { FaceState } from '../shared/point-provenance';
import { describeIssues } from './atomic-json-file';
import { isExactFaceAnnotation } from './record-fast-check';

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

const STATES: ReadonlySet<unknown> = new Set(['labelled', 'needs-review', 'unlabelled']);
const NEWLINE = 0x0a;
const ID = /^[0-9a-f]{64}$/;

/** labels.json's faces by image id, in the file's order; immutable once made. */
export class FaceTable {
  private constructor(
    /** labels.json, for errors. */
    readonly file: string,
    private readonly bytes: Buffer | null,
    private readonly entries: ReadonlyMap<string, Entry>,
  ) {}

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
    if (
      summary === null ||
      summary.schemaVersion !== schemaVersion ||
      summary.labelsBytes !== bytes.length ||
      summary.labelsCrc !== crc32(bytes)
    ) {
      return null;
    }
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
    return entries.size === lines.length ? new FaceTable(file, bytes, entries) : null;
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
  summaryOf(schemaVersion: number, labels: Buffer): Buffer {
    const summaries = [...this.entries.values()].map((entry) => entry.summary);
    return encodeSummary(schemaVersion, labels, summaries);
  }

  /**
   * labels.json's bytes for these faces with `overlay`'s faces upserted (in the layout of
   * json-layout.ts: a face per line, in the table's order, new ones last), and the summary of
   * those bytes. Faces kept as bytes are copied, not parsed.
   */
  encode(
    schemaVersion: number,
    overlay: ReadonlyMap<string, FaceAnnotation>,
  ): { labels: Buffer; summary: Buffer } {
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
    return { labels, summary: encodeSummary(schemaVersion, labels, summaries) };
  }
}

const COMMA_LINE = Buffer.from(',\n');

function encodeFace(face: FaceAnnotation): Buffer {
  return Buffer.from(JSON.stringify(face));
}

interface Summary {
  schemaVersion: number;
  labelsBytes: number;
  labelsCrc: number;
  faces: FaceSummary[];
}

/** The summary's text: one face per line, `[id, state, expression, attributes]`. */
function encodeSummary(schemaVersion: number, labels: Buffer, faces: FaceSummary[]): Buffer {
  const head = JSON.stringify({
    format: SUMMARY_FORMAT,
    schemaVersion,
    labelsBytes: labels.length,
    labelsCrc: crc32(labels),
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
  const { format, schemaVersion, labelsBytes, labelsCrc, faces } = raw as Record<string, unknown>;
  if (
    format !== SUMMARY_FORMAT ||
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
  return { schemaVersion, labelsBytes, labelsCrc, faces: summaries };
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
