/**
 * Why one file could not be imported. The import collects these per file and reports them all;
 * one bad file never stops the others. Each message starts with the file's path.
 */
import { StudioError } from '../../shared/errors';

export type RejectReason =
  /** Zero bytes. */
  | 'empty'
  /** An image extension, but the bytes are no image we read (e.g. text named `.jpg`). */
  | 'not-an-image'
  /** The file ends before its pixels do, or its structure is broken. */
  | 'truncated'
  /** The file is larger than any image within the pixel limit can be (checked before reading). */
  | 'too-large'
  /** Declares more pixels than the limit: a decompression bomb or an absurd scan. */
  | 'too-many-pixels'
  /** A real image in a variant we do not decode (e.g. an 8-bit palette BMP). */
  | 'unsupported'
  /** A link whose real path lies outside the folder being imported. */
  | 'outside-folder'
  /** The file system refused (permissions, vanished while importing). */
  | 'unreadable';

export class ImageRejected extends StudioError {
  readonly file: string;
  readonly reason: RejectReason;

  constructor(file: string, reason: RejectReason, detail: string, options?: { cause?: unknown }) {
    super(reason === 'unreadable' ? 'io' : 'invalid-payload', `${file}: ${detail}`, options);
    this.name = 'ImageRejected';
    this.file = file;
    this.reason = reason;
  }
}

/** The decompression-bomb guard's error, named so callers and tests can tell it apart. */
export class PixelLimitExceeded extends ImageRejected {
  constructor(file: string, width: number, height: number, limit: number) {
    const megapixels = (width * height) / 1e6;
    super(
      file,
      'too-many-pixels',
      `declares ${width}×${height} pixels (${megapixels.toFixed(0)} MP), over the ${(limit / 1e6).toFixed(0)} MP limit`,
    );
    this.name = 'PixelLimitExceeded';
  }
}

/** Thrown by the small decoders, which do not know the file name; `openImage` adds it. */
export class MalformedImage extends Error {
  readonly reason: RejectReason;

  constructor(reason: RejectReason, message: string) {
    super(message);
    this.name = 'MalformedImage';
    this.reason = reason;
  }
}
