/**
 * Every label format the studio reads and writes, by id. The import (core/library/labelled-input),
 * the library export (core/library/library-export) and `predict`'s label files
 * (engine/predict/write-predictions) go through this table; none of them names a format.
 *
 * Adding a format:
 *   1. Write `core/formats/<name>.ts`: its parser and serialiser over the neutral model
 *      (model.ts), each collecting every problem with the file and line before it throws, and at
 *      the bottom one `LabelFormat` descriptor (format.ts): id, name, what it `expects` in a
 *      folder, what it `carries`, which model tasks' `predictions` it can hold, `detect` (by the
 *      folder's names), `read` and `write`.
 *   2. Add its id to `ImportFormat` in shared/library.ts (the app, the CLI and the server
 *      validate format names against it) and its line to FORMATS below; the compiler asks for
 *      each if the other is there.
 *   3. Name it where people pick it: the import dialog's choices
 *      (src-renderer/src/features/library/format-choices.ts) and the `--format` lists of the
 *      usage lines (cli/usage.ts).
 *   4. Tests: tests/core/formats/<name>.test.ts for the parser and serialiser, bad files in
 *      tests/fixtures/bad-input/formats. The registry test (tests/core/formats/registry.test.ts)
 *      picks the new format up by itself: it writes a face, detects the folder as this format
 *      and no other (and every other format's folder as not this one), and reads the face back.
 */
import { StudioError } from '../../shared/errors';
import { ExportFormat } from '../../shared/library';
import type { ModelTask } from '../../shared/model-card';
import { celebaFormat } from './celeba';
import { classFoldersFormat } from './class-folders';
import { cocoFormat } from './coco';
import { dlibFormat } from './dlib-xml';
import type { FolderListing, LabelFormat, LabelFormatId } from './format';
import { listFolder } from './label-files';
import { mtflFormat } from './mtfl';
import { ptsFormat } from './pts';
import { studioFormat } from './studio-json';
import { yoloFormat } from './yolo-pose';

export const FORMATS: Readonly<Record<LabelFormatId, LabelFormat>> = {
  pts: ptsFormat,
  coco: cocoFormat,
  mtfl: mtflFormat,
  celeba: celebaFormat,
  dlib: dlibFormat,
  yolo: yoloFormat,
  'class-folders': classFoldersFormat,
  studio: studioFormat,
};

/** Every format, in the order of the contract's enum. */
export const FORMAT_IDS: readonly LabelFormatId[] = ExportFormat.options;

/** The format with this id, or a clear error naming the ones there are. */
export function labelFormat(id: string): LabelFormat {
  const format = (FORMATS as Readonly<Record<string, LabelFormat>>)[id];
  if (format && Object.hasOwn(FORMATS, id)) return format;
  throw new StudioError(
    'invalid-payload',
    `Unknown label format ${JSON.stringify(id)} (${FORMAT_IDS.join(', ')})`,
  );
}

/** The formats that can hold predictions of a single model, in registry order. */
export const PREDICTION_FORMAT_IDS: readonly LabelFormatId[] = FORMAT_IDS.filter(
  (id) => FORMATS[id].predictions.length > 0,
);

/** Why `format` cannot hold the predictions of a `task` model, or null when it can. */
export function predictionMismatch(format: LabelFormat, task: ModelTask): string | null {
  const { predictions } = format;
  if (predictions === 'any' || predictions.includes(task)) return null;
  return predictions.length === 0
    ? `${format.id} holds no single model's predictions`
    : `${format.id} holds ${predictions.join(' or ')}`;
}

/** The ids of the formats whose `detect` recognises the listing, in registry order. */
export function detectFormats(listing: FolderListing): LabelFormatId[] {
  return FORMAT_IDS.filter((id) => FORMATS[id].detect(listing));
}

/**
 * The one format other than `chosen` the folder `dir` looks like, or null (none, several, or the
 * folder cannot be listed): a hint for an import that found none of `chosen`'s files.
 */
export async function otherFormatOf(
  dir: string,
  chosen: LabelFormatId,
): Promise<LabelFormat | null> {
  const listing = await listFolder(dir).catch(() => null);
  if (!listing) return null;
  const others = detectFormats(listing).filter((id) => id !== chosen);
  return others.length === 1 ? FORMATS[others[0]!] : null;
}

/**
 * The one format the folder `dir` is in, judged by its names; an error when none matches or
 * several do (then the caller names the format).
 */
export async function detectFormat(dir: string): Promise<LabelFormat> {
  const listing = await listFolder(dir).catch((error: unknown) => {
    throw new StudioError('not-found', `${dir} does not exist or cannot be read`, {
      cause: error,
    });
  });
  const found = detectFormats(listing);
  if (found.length === 1) return FORMATS[found[0]!];
  throw new StudioError(
    'invalid-payload',
    found.length === 0
      ? `${dir} is in none of the label formats (${FORMAT_IDS.join(', ')}): name the format`
      : `${dir} could be in any of ${found.join(', ')}: name the format`,
  );
}
