/**
 * The library's index over one open project (docs/ARCHITECTURE.md, "Data flows"): what the grid's
 * filters and the header's counts need of each image, kept by position in the image index and
 * updated by the store on every write (an image added or replaced, a face saved; a removal
 * rebuilds it). So `library:list` and `library:stats` no longer read every record and face per
 * call:
 *
 * - the counts of `library:stats` are kept up to date on write: a call costs the number of known
 *   missing files, not the number of images;
 * - a filter that needs a face (labelled, to review, an expression, an attribute) looks only at
 *   the images that have one;
 * - the positions matching the record part of a filter (split, face found, flagged, missing,
 *   text) are kept for the last few filters until a record changes: the next pages of a grid and
 *   a deep page cost the page, and after a label edit `labelled: false` / `needsReview: false`
 *   are those positions less the faces that fail them (a look at the faces, not the index);
 * - the unfiltered grid is a slice of the index.
 *
 * The answers are those of library-query.ts's scan (`queryLibrary`, `matchesFilter`), which stays
 * the reference the tests compare this index with. Items are fresh objects over the store's frozen
 * records: a caller may change an item but never the store through it.
 */
import type { FaceAnnotation, ImageRecord, Split } from '../../shared/domain';
import type { LibraryFilter, LibraryItem, LibraryStats } from '../../shared/library';
import { faceState } from '../../shared/point-provenance';
import type { FaceState } from '../../shared/point-provenance';
import type { LibraryPage } from './library-query';

const SPLIT_CODES: Readonly<Record<Split, number>> = { pool: 0, train: 1, val: 2, test: 3 };

/** Per-position curation bits. */
const FACE_FOUND = 1; // image.face is a detection (not null, not absent)
const FLAGGED = 2; // at least one curation flag
const NO_FACE = 4; // detection found none, or flagged no-face
const CURATED = 8; // detection has looked at it (face present, found or not)

/** Per-position face state. */
const UNLABELLED = 0;
const LABELLED = 1;
const NEEDS_REVIEW = 2;

/** Filters whose matching positions are kept between writes. */
const CACHED_FILTERS = 8;

const NO_MISSING: ReadonlySet<string> = new Set();

/**
 * What the index needs of a face: the face itself, or its state worked out already (the store's
 * summary of a face it has not parsed, core/labels-table.ts).
 */
export type IndexedFace = Pick<FaceAnnotation, 'imageId' | 'expression' | 'attributes'> &
  ({ state: FaceState } | Pick<FaceAnnotation, 'points'>);

/** Which face state a face is in, as a code. */
function stateCode(face: IndexedFace | undefined): number {
  if (face === undefined) return UNLABELLED;
  const state = 'state' in face ? face.state : faceState(face);
  return state === 'labelled' ? LABELLED : state === 'needs-review' ? NEEDS_REVIEW : UNLABELLED;
}

/**
 * The image records the index is over, by position: an array, or a table that can answer ids,
 * codes, lookups and text matches without parsing each record (core/image-table.ts).
 */
export interface IndexedImages {
  readonly length: number;
  at(position: number): ImageRecord | undefined;
  /** The id at a position, without parsing the record. */
  idAt?(position: number): string;
  /** The record's `recordCode` at a position, without parsing it. */
  codeAt?(position: number): number;
  /** Where an id sits; when given, the index keeps no id map of its own. */
  positionOf?(imageId: string): number | undefined;
  /** A test of whether the record at a position has `text` (lower case) in its path or source. */
  textMatcher?(text: string): (position: number) => boolean;
}

/** A record's split code and curation bits in one byte: split | bits << 2. */
export function recordCode(image: ImageRecord): number {
  return SPLIT_CODES[image.split] | (recordBits(image) << 2);
}

/** Whether an image's path or source holds `text` (lower case), as the scan decides. */
export function recordHasText(image: ImageRecord, text: string): boolean {
  const source = image.source?.toLowerCase() ?? '';
  return image.path.toLowerCase().includes(text) || source.includes(text);
}

function recordBits(image: ImageRecord): number {
  const flagged = (image.flags?.length ?? 0) > 0;
  return (
    (image.face != null ? FACE_FOUND : 0) |
    (flagged ? FLAGGED : 0) |
    (image.face === null || image.flags?.includes('no-face') === true ? NO_FACE : 0) |
    (image.face !== undefined ? CURATED : 0)
  );
}

/** The faces a store holds, by image id. */
export interface StoredFaces {
  get(imageId: string): IndexedFace | undefined;
  all(): Iterable<IndexedFace>;
}

/** The constraints of a filter on the image records alone (not on their faces). */
interface RecordFilter {
  /** No record constraint: every image passes. */
  empty: boolean;
  /** The constraints as a cache key. */
  key: string;
  /** Split code, or -1 for any. */
  split: number;
  hasFace: boolean | undefined;
  flagged: boolean | undefined;
  missing: boolean | undefined;
  /** Lower-cased text to find in the path or source; undefined for none. */
  text: string | undefined;
}

function recordPart(filter: LibraryFilter): RecordFilter {
  const text = filter.text === undefined || filter.text === '' ? undefined : filter.text;
  const split = filter.split === undefined ? -1 : SPLIT_CODES[filter.split];
  const { hasFace, flagged, missing } = filter;
  return {
    empty:
      split < 0 &&
      hasFace === undefined &&
      flagged === undefined &&
      missing === undefined &&
      text === undefined,
    key: JSON.stringify([split, hasFace, flagged, missing, text]),
    split,
    hasFace,
    flagged,
    missing,
    text: text?.toLowerCase(),
  };
}

/** Whether only images with a face can pass the filter. */
function needsFace(filter: LibraryFilter): boolean {
  return (
    filter.labelled === true ||
    filter.needsReview === true ||
    filter.expression !== undefined ||
    filter.attribute !== undefined
  );
}

/** Index of the first element of a sorted array that is ≥ value. */
function lowerBound(sorted: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

export class LibraryIndex {
  private images: IndexedImages = [];
  private readonly faces: StoredFaces;
  /** Positions counted so far (the index's own length). */
  private indexed = 0;
  /** The last text filter's test, until a record changes. */
  private textTest: { text: string; test: (position: number) => boolean } | null = null;
  private readonly positions = new Map<string, number>();
  private splitAt = new Uint8Array(0);
  private bitsAt = new Uint8Array(0);
  private stateAt = new Uint8Array(0);
  /** The face stored for the image at each position, if any. */
  private facesAt: (IndexedFace | undefined)[] = [];
  /** Positions that have a face, ascending. */
  private facePositions: number[] = [];
  private splitCounts = [0, 0, 0, 0];
  private bitCounts = { flagged: 0, noFace: 0, curated: 0 };
  private stateCounts = [0, 0, 0];
  private expressionCounts = new Map<string, number>();
  /** Matching positions per filter (and missing set), valid until the next change. */
  private readonly matches = new Map<string, Int32Array>();
  private readonly missingSetIds = new WeakMap<ReadonlySet<string>, number>();
  private nextMissingSetId = 1;

  /**
   * `images` is the store's index in order; `faces` the faces it stores (faces of images not in
   * the index are kept by the store but count for nothing here).
   */
  constructor(images: IndexedImages, faces: StoredFaces) {
    this.faces = faces;
    this.rebuild(images);
  }

  /** Indexes `images` from scratch (after a removal moved positions). */
  rebuild(images: IndexedImages): void {
    this.images = images;
    this.positions.clear();
    this.indexed = images.length;
    this.splitAt = new Uint8Array(images.length);
    this.bitsAt = new Uint8Array(images.length);
    this.stateAt = new Uint8Array(images.length);
    this.facesAt = new Array<IndexedFace | undefined>(images.length).fill(undefined);
    this.facePositions = [];
    this.splitCounts = [0, 0, 0, 0];
    this.bitCounts = { flagged: 0, noFace: 0, curated: 0 };
    this.stateCounts = [images.length, 0, 0];
    this.expressionCounts = new Map();
    this.recordsChanged();
    const ownPositions = images.positionOf === undefined;
    for (let position = 0; position < images.length; position += 1) {
      if (ownPositions) this.positions.set(this.idAt(position), position);
      this.countCode(position, this.codeAt(position));
    }
    // Face by face (a lookup per face in the positions), not image by image: a property lookup
    // per image id in the faces object cost seconds at 1M images.
    for (const face of this.faces.all()) {
      const position = this.positionOf(face.imageId);
      if (position === undefined) continue;
      const state = stateCode(face);
      this.stateAt[position] = state;
      this.stateCounts[UNLABELLED]! -= 1;
      this.stateCounts[state]! += 1;
      this.facesAt[position] = face;
      this.countExpression(face.expression, 1);
      this.facePositions.push(position);
    }
    this.facePositions.sort((a, b) => a - b);
  }

  get size(): number {
    return this.images.length;
  }

  positionOf(imageId: string): number | undefined {
    return this.images.positionOf === undefined
      ? this.positions.get(imageId)
      : this.images.positionOf(imageId);
  }

  /**
   * The record at `position` was set: `position` is either an existing one (the record replaced
   * one of the same id) or the next one (the record was appended). `images` is the store's index
   * after the change.
   */
  putImage(images: IndexedImages, position: number, image: ImageRecord): void {
    this.images = images;
    // A table that keeps the positions itself has placed the record already.
    const known = images.positionOf === undefined ? this.positions.get(image.id) : undefined;
    const replaced =
      position < this.indexed &&
      (images.positionOf === undefined ? known === position : this.idAt(position) === image.id);
    if (replaced) {
      const old = { split: this.splitAt[position]!, bits: this.bitsAt[position]! };
      this.uncountRecord(old.split, old.bits);
      this.countCode(position, recordCode(image));
    } else {
      if (known !== undefined || position !== this.indexed) {
        throw new Error(`the library index is out of step at ${image.id} (position ${position})`);
      }
      this.grow(position + 1);
      this.indexed = position + 1;
      if (images.positionOf === undefined) this.positions.set(image.id, position);
      this.countCode(position, recordCode(image));
      this.placeFace(position, this.faces.get(image.id));
    }
    this.recordsChanged();
  }

  /** The face of an image changed (saved); a face of an image not in the index is ignored. */
  setFace(imageId: string, face: IndexedFace): void {
    const position = this.positionOf(imageId);
    if (position === undefined) return;
    // The kept record matches stay: queries look at the faces afresh.
    this.removeFace(position);
    this.placeFace(position, face);
  }

  /** The ids of the indexed images that have a stored face, in index order. */
  *imageIdsWithFaces(): IterableIterator<string> {
    for (const position of this.facePositions) yield this.idAt(position);
  }

  /** How many stored faces belong to images of `split` (a look at the faces, not the images). */
  facesInSplit(split: Split): number {
    const code = SPLIT_CODES[split];
    let count = 0;
    for (const position of this.facePositions) if (this.splitAt[position] === code) count += 1;
    return count;
  }

  /**
   * How many images of `splits` have a curation flag and a record that passes `test`: only the
   * flagged images' records are read (a look at a byte per image, not a parse of every record).
   */
  countFlagged(splits: readonly Split[], test: (image: ImageRecord) => boolean): number {
    const codes = new Set(splits.map((split) => SPLIT_CODES[split]));
    let count = 0;
    for (let position = 0; position < this.indexed; position += 1) {
      if ((this.bitsAt[position]! & FLAGGED) === 0 || !codes.has(this.splitAt[position]!)) continue;
      const image = this.images.at(position);
      if (image && test(image)) count += 1;
    }
    return count;
  }

  /** Images per split (the counts kept on write). */
  splitSizes(): Record<Split, number> {
    const [pool, train, val, test] = this.splitCounts as [number, number, number, number];
    return { pool, train, val, test };
  }

  /** Labelled and to-review counts over the indexed images (the header's summary). */
  faceCounts(): { labelled: number; needsReview: number } {
    return {
      labelled: this.stateCounts[LABELLED]!,
      needsReview: this.stateCounts[NEEDS_REVIEW]!,
    };
  }

  /** The library's header; `missing` holds the last file check's ids, null when none ran. */
  stats(missing: ReadonlySet<string> | null): LibraryStats {
    let missingCount = 0;
    if (missing !== null) {
      for (const id of missing) if (this.positionOf(id) !== undefined) missingCount += 1;
    }
    return {
      total: this.images.length,
      splits: this.splitSizes(),
      labelled: this.stateCounts[LABELLED]!,
      needsReview: this.stateCounts[NEEDS_REVIEW]!,
      flagged: this.bitCounts.flagged,
      noFace: this.bitCounts.noFace,
      curated: this.bitCounts.curated,
      expressions: Object.fromEntries(this.expressionCounts),
      missing: missing === null ? null : missingCount,
    };
  }

  /** One page of the images that pass `filter`, in index order, and how many pass. */
  query(
    filter: LibraryFilter,
    offset: number,
    limit: number,
    missing: ReadonlySet<string> = NO_MISSING,
  ): LibraryPage {
    const record = recordPart(filter);
    const items: LibraryItem[] = [];
    if (needsFace(filter)) {
      // Only images with a face can pass: look at those alone.
      const found = this.withFace(filter, record, missing);
      const end = Math.min(found.length, offset + limit);
      for (let i = offset; i < end; i += 1) items.push(this.item(found[i]!, missing));
      return { total: found.length, items };
    }
    // The record part's matches (kept across label edits), less the images whose face fails a
    // `labelled: false` / `needsReview: false`: those are among the faces, so a label edit costs
    // a look at the faces, not a scan of the index.
    const base = this.recordMatches(record, missing);
    const baseSize = base === null ? this.images.length : base.length;
    const excluded = this.excludedByFace(filter, base);
    const at = (index: number) => (base === null ? index : base[index]!);
    // The offset-th passing image sits after every excluded one at or before it.
    let index = offset;
    let next = 0;
    while (next < excluded.length && excluded[next]! <= index) {
      index += 1;
      next += 1;
    }
    for (; index < baseSize && items.length < limit; index += 1) {
      if (next < excluded.length && excluded[next] === index) {
        next += 1;
        continue;
      }
      items.push(this.item(at(index), missing));
    }
    return { total: baseSize - excluded.length, items };
  }

  /** Positions of the faced images passing the whole filter, ascending. */
  private withFace(
    filter: LibraryFilter,
    record: RecordFilter,
    missing: ReadonlySet<string>,
  ): number[] {
    const found: number[] = [];
    for (const position of this.facePositions) {
      if (this.passesFace(position, filter) && this.passesRecord(position, record, missing)) {
        found.push(position);
      }
    }
    return found;
  }

  /**
   * Indexes into the record matches (`base`, or every position when null) of the faced images
   * the filter's negative face constraints exclude, ascending.
   */
  private excludedByFace(filter: LibraryFilter, base: Int32Array | null): number[] {
    const excluded: number[] = [];
    if (filter.labelled === undefined && filter.needsReview === undefined) return excluded;
    for (const position of this.facePositions) {
      if (this.passesFace(position, filter)) continue;
      if (base === null) {
        excluded.push(position);
        continue;
      }
      const index = lowerBound(base, position);
      if (base[index] === position) excluded.push(index);
    }
    return excluded;
  }

  private passesFace(position: number, filter: LibraryFilter): boolean {
    const state = this.stateAt[position];
    if (filter.labelled !== undefined && (state === LABELLED) !== filter.labelled) return false;
    if (filter.needsReview !== undefined && (state === NEEDS_REVIEW) !== filter.needsReview) {
      return false;
    }
    const face = this.facesAt[position];
    if (filter.expression !== undefined && face?.expression !== filter.expression) return false;
    if (filter.attribute !== undefined) {
      if (face?.attributes[filter.attribute.name] !== filter.attribute.value) return false;
    }
    return true;
  }

  private passesRecord(position: number, record: RecordFilter, missing: ReadonlySet<string>) {
    if (record.split >= 0 && this.splitAt[position] !== record.split) return false;
    const bits = this.bitsAt[position]!;
    if (record.hasFace !== undefined && ((bits & FACE_FOUND) !== 0) !== record.hasFace) {
      return false;
    }
    if (record.flagged !== undefined && ((bits & FLAGGED) !== 0) !== record.flagged) return false;
    if (record.missing === undefined && record.text === undefined) return true;
    if (record.missing !== undefined && missing.has(this.idAt(position)) !== record.missing) {
      return false;
    }
    if (record.text !== undefined && !this.hasText(position, record.text)) return false;
    return true;
  }

  /**
   * The positions passing the record part of a filter, ascending; null for every image. Kept per
   * record filter (and missing set) until a record changes: label edits leave them.
   */
  private recordMatches(record: RecordFilter, missing: ReadonlySet<string>): Int32Array | null {
    if (record.empty) return null;
    let missingId = 0;
    if (record.missing !== undefined) {
      missingId = this.missingSetIds.get(missing) ?? this.nextMissingSetId++;
      this.missingSetIds.set(missing, missingId);
    }
    const key = `${record.key}|${missingId}`;
    const cached = this.matches.get(key);
    if (cached !== undefined) {
      // Most recently used last.
      this.matches.delete(key);
      this.matches.set(key, cached);
      return cached;
    }
    const found = new Int32Array(this.images.length);
    let count = 0;
    if (record.missing === true) {
      const candidates: number[] = [];
      for (const id of missing) {
        const position = this.positionOf(id);
        if (position !== undefined) candidates.push(position);
      }
      candidates.sort((a, b) => a - b);
      for (const position of candidates) {
        if (this.passesRecord(position, record, missing)) found[count++] = position;
      }
    } else {
      for (let position = 0; position < this.images.length; position += 1) {
        if (this.passesRecord(position, record, missing)) found[count++] = position;
      }
    }
    const matches = found.slice(0, count);
    this.matches.set(key, matches);
    if (this.matches.size > CACHED_FILTERS) {
      this.matches.delete(this.matches.keys().next().value!);
    }
    return matches;
  }

  private item(position: number, missing: ReadonlySet<string>): LibraryItem {
    const image = this.images.at(position)!;
    const state = this.stateAt[position];
    return {
      ...image,
      position,
      labelled: state === LABELLED,
      needsReview: state === NEEDS_REVIEW,
      expression: this.facesAt[position]?.expression ?? null,
      ...(missing.has(image.id) ? { missing: true } : {}),
    };
  }

  /** A record changed (or moved): the kept record matches no longer hold. */
  private recordsChanged(): void {
    this.matches.clear();
    this.textTest = null;
  }

  private idAt(position: number): string {
    return this.images.idAt === undefined
      ? this.images.at(position)!.id
      : this.images.idAt(position);
  }

  private codeAt(position: number): number {
    return this.images.codeAt === undefined
      ? recordCode(this.images.at(position)!)
      : this.images.codeAt(position);
  }

  /** Whether the record at `position` holds `text` in its path or source (kept per text). */
  private hasText(position: number, text: string): boolean {
    const { textMatcher } = this.images;
    if (textMatcher === undefined) return recordHasText(this.images.at(position)!, text);
    if (this.textTest?.text !== text)
      this.textTest = { text, test: textMatcher.call(this.images, text) };
    return this.textTest.test(position);
  }

  private grow(length: number): void {
    if (length <= this.splitAt.length) return;
    const size = Math.max(length, this.splitAt.length * 2);
    const larger = (from: Uint8Array): Uint8Array<ArrayBuffer> => {
      const to = new Uint8Array(size);
      to.set(from);
      return to;
    };
    this.splitAt = larger(this.splitAt);
    this.bitsAt = larger(this.bitsAt);
    this.stateAt = larger(this.stateAt);
  }

  private countCode(position: number, code: number): void {
    const split = code & 3;
    const bits = code >> 2;
    this.splitAt[position] = split;
    this.bitsAt[position] = bits;
    this.splitCounts[split]! += 1;
    this.countBits(bits, 1);
  }

  private uncountRecord(split: number, bits: number): void {
    this.splitCounts[split]! -= 1;
    this.countBits(bits, -1);
  }

  private countBits(bits: number, sign: 1 | -1): void {
    if ((bits & FLAGGED) !== 0) this.bitCounts.flagged += sign;
    if ((bits & NO_FACE) !== 0) this.bitCounts.noFace += sign;
    if ((bits & CURATED) !== 0) this.bitCounts.curated += sign;
  }

  private placeFace(position: number, face: IndexedFace | undefined): void {
    const state = stateCode(face);
    this.stateAt[position] = state;
    this.stateCounts[state]! += 1;
    this.facesAt[position] = face;
    if (face === undefined) return;
    this.countExpression(face.expression, 1);
    // Not there: a new image, or its face was just removed.
    this.facePositions.splice(lowerBound(this.facePositions, position), 0, position);
  }

  private removeFace(position: number): void {
    const face = this.facesAt[position];
    this.stateCounts[this.stateAt[position]!]! -= 1;
    if (face === undefined) return;
    this.countExpression(face.expression, -1);
    this.facesAt[position] = undefined;
    this.facePositions.splice(lowerBound(this.facePositions, position), 1);
  }

  private countExpression(expression: string | null, sign: 1 | -1): void {
    // As the scan counts them: an empty expression is none.
    if (!expression) return;
    const count = (this.expressionCounts.get(expression) ?? 0) + sign;
    if (count === 0) this.expressionCounts.delete(expression);
    else this.expressionCounts.set(expression, count);
  }
}
