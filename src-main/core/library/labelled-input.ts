/**
 * Reads a labelled set from disk in one of the formats (DESIGN §7) and checks it against the
 * project's schemas, all before anything is written: every bad line, file, point count, class
 * name and missing image is collected and thrown as one InputProblemsError.
 *
 * Where each format's files are looked for, given a folder `dir` (or the file itself):
 *
 * | format        | input                                                                     |
 * |---------------|---------------------------------------------------------------------------|
 * | pts           | every `NAME.pts` under `dir`, with `NAME.<ext>` beside it                  |
 * | coco          | `annotations.json`, else the one `.json` in `dir`                          |
 * | mtfl          | `training.txt` (split train) and `testing.txt` (split test)                |
 * | celeba        | `list_attr_celeba.txt`, else the one `.txt` in `dir`                       |
 * | dlib          | every `.xml` in `dir` (a name with train/test sets the split)              |
 * | yolo          | `data.yaml` and `images/`, `labels/`                                       |
 * | class-folders | `<dir>/<class>/<image>`                                                    |
 * | studio        | `studio-labels.json`, else the one `.json` in `dir`                        |
 *
 * Image paths in the set are relative to the returned `root`. A folder named train, val or test
 * on an image's path sets its split.
 *
 * Symlinks: every image and label file is judged by where it really is. One whose real path lies
 * outside the set's folder (a link, or a name going through a linked folder, that leads out) is a
 * problem naming it and its target; links that stay inside are followed. Every image's header is
 * read here too: its real size is what coordinates are bounded by (coordinate-bounds.ts), and a
 * size the annotations declare (COCO, dlib, studio JSON) must match it.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Split } from '../../shared/domain';
import type { ImportFormat } from '../../shared/library';
import type { AttributeSchema, LandmarkSchema } from '../../shared/schemas';
import { StudioError } from '../../shared/errors';
import { parseCelebaAttributes } from '../formats/celeba';
import { importClassFolders } from '../formats/class-folders';
import { parseCoco } from '../formats/coco';
import { readDlibXmlFile } from '../formats/dlib-xml';
import type { LabelledImage } from '../formats/model';
import { parseMtfl } from '../formats/mtfl';
import { importPtsFolder } from '../formats/pts';
import { parseStudioJson } from '../formats/studio-json';
import { importYoloPose } from '../formats/yolo-pose';
import { coordinateProblems } from '../coordinate-bounds';
import { readAnnotationText } from '../input-files';
import { InputProblemsError, ProblemList } from '../problems';
import { checkInside, outsideMessage, outsideProblem } from '../real-path';
import { ImageRejected } from './image-rejected';
import { openImage, type OpenedImage } from './image-source';

export type LabelledFormat = Exclude<ImportFormat, 'images'>;

export interface SourceImage extends LabelledImage {
  split?: Split;
  /** The annotation file its labels come from, when one file holds many images' labels. */
  labelsFrom?: string;
}

export interface LabelledInput {
  /** The folder image paths are relative to. */
  root: string;
  images: SourceImage[];
}

export interface ReadLabelledOptions {
  landmarks: LandmarkSchema;
  attributes: AttributeSchema | null;
  /** First group, matched on the file name, is the subject (when the format names none). */
  subjectPattern?: RegExp;
}

const SPLIT_NAMES: Readonly<Record<string, Split>> = {
  train: 'train',
  training: 'train',
  trainset: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
  testing: 'test',
  testset: 'test',
};

/** Reads and checks the whole input; throws InputProblemsError listing every problem. */
export async function readLabelledInput(
  dir: string,
  format: LabelledFormat,
  options: ReadLabelledOptions,
): Promise<LabelledInput> {
  const info = await stat(dir).catch((error: unknown) => {
    throw new StudioError('not-found', `${dir} does not exist or cannot be read`, {
      cause: error,
    });
  });
  const root = info.isFile() ? dirname(dir) : dir;
  const realRoot = await realpath(root);
  const input = {
    root,
    images: await readFormat(dir, realRoot, info.isFile(), format, options),
  };
  for (const image of input.images) {
    image.split ??= splitFromPath(image.file);
    if (image.subject === undefined && options.subjectPattern) {
      const subject = options.subjectPattern.exec(basename(image.file))?.[1];
      if (subject) image.subject = subject;
    }
  }
  await checkAgainstProject(input, realRoot, options);
  return input;
}

async function readFormat(
  dir: string,
  realRoot: string,
  isFile: boolean,
  format: LabelledFormat,
  options: ReadLabelledOptions,
): Promise<SourceImage[]> {
  const pointCount = options.landmarks.points.length;
  // A label file the import finds in the folder must really lie inside it; one the user names
  // is read wherever it is.
  const labelFile = async (file: string): Promise<string> => {
    if (!isFile) await refuseOutside(realRoot, file);
    return file;
  };
  const declared = (file: string, images: SourceImage[]): SourceImage[] =>
    images.map((image) => ({ ...image, labelsFrom: file }));
  switch (format) {
    case 'pts':
      return importPtsFolder(dir, { pointCount });
    case 'coco': {
      const file = await labelFile(await locate(dir, isFile, ['annotations.json'], '.json'));
      return declared(file, parseCoco(await readAnnotationText(file), file, { pointCount }).set);
    }
    case 'studio': {
      const file = await labelFile(await locate(dir, isFile, ['studio-labels.json'], '.json'));
      const text = await readAnnotationText(file);
      return declared(file, parseStudioJson(text, file, { pointCount }).set);
    }
    case 'celeba': {
      const file = await labelFile(await locate(dir, isFile, ['list_attr_celeba.txt'], '.txt'));
      return declared(file, parseCelebaAttributes(await readAnnotationText(file), file).set);
    }
    case 'mtfl': {
      const files = isFile ? [dir] : await present(dir, ['training.txt', 'testing.txt']);
      if (files.length === 0) {
        throw new StudioError('not-found', `${dir} holds no MTFL list (training.txt, testing.txt)`);
      }
      return readEach(files, async (file) =>
        declared(
          file,
          parseMtfl(await readAnnotationText(await labelFile(file)), file).map((image) =>
            withSplitOf(file, image),
          ),
        ),
      );
    }
    case 'dlib': {
      const files = isFile ? [dir] : await filesEndingWith(dir, '.xml');
      if (files.length === 0) throw new StudioError('not-found', `${dir} holds no dlib .xml file`);
      return readEach(files, async (file) =>
        declared(
          file,
          (await readDlibXmlFile(await labelFile(file), { pointCount })).map((image) =>
            withSplitOf(file, image),
          ),
        ),
      );
    }
    case 'yolo': {
      // YOLO's positions are fractions of the real size, so the header is read here, after the
      // same inside-the-folder check every image gets.
      const sizeOf = async (file: string) => {
        await refuseOutside(realRoot, join(dir, file));
        return openImage(join(dir, file));
      };
      return (await importYoloPose(dir, sizeOf, { pointCount })).set;
    }
    case 'class-folders':
      return importClassFolders(dir, {
        ...(options.attributes?.expressions ? { classes: options.attributes.expressions } : {}),
        ...(options.subjectPattern ? { subjectPattern: options.subjectPattern } : {}),
      });
  }
}

/** Reads every file; the problems of all of them are thrown together. */
async function readEach(
  files: readonly string[],
  read: (file: string) => Promise<SourceImage[]>,
): Promise<SourceImage[]> {
  const images: SourceImage[] = [];
  const problems = new ProblemList();
  for (const file of files) {
    try {
      images.push(...(await read(file)));
    } catch (error) {
      if (error instanceof InputProblemsError) problems.problems.push(...error.problems);
      else if (error instanceof StudioError) problems.add(file, undefined, error.message);
      else throw error;
    }
  }
  problems.throwIfAny(`Cannot import ${files.join(', ')}`);
  return images;
}

function withSplitOf(listFile: string, image: SourceImage): SourceImage {
  const split = splitFromName(basename(listFile).replace(/\.[^.]+$/, ''));
  return split ? { ...image, split } : image;
}

/** The split a folder on the path names (`train/a.jpg`), or undefined. */
export function splitFromPath(file: string): Split | undefined {
  const folders = file.split('/').slice(0, -1);
  for (const folder of folders) {
    const split = SPLIT_NAMES[folder.toLowerCase()];
    if (split) return split;
  }
  return undefined;
}

/** `training_with_face_landmarks` → train. */
function splitFromName(name: string): Split | undefined {
  for (const word of name.toLowerCase().split(/[^a-z]+/)) {
    const split = SPLIT_NAMES[word];
    if (split) return split;
  }
  return undefined;
}

/** The first of `names` in `dir`, else its only file ending in `ext`. */
async function locate(
  dir: string,
  isFile: boolean,
  names: readonly string[],
  ext: string,
): Promise<string> {
  if (isFile) return dir;
  const [named] = await present(dir, names);
  if (named) return named;
  const candidates = await filesEndingWith(dir, ext);
  if (candidates.length === 1) return candidates[0]!;
  throw new StudioError(
    'not-found',
    candidates.length === 0
      ? `${dir} holds neither ${names.join(' nor ')} nor any ${ext} file`
      : `${dir} holds several ${ext} files (${candidates.map((f) => basename(f)).join(', ')}): name ${names[0]} or pick the file`,
  );
}

/** Throws, naming the file and its target, when `file` really lies outside `realRoot`. */
async function refuseOutside(realRoot: string, file: string): Promise<void> {
  const problem = await outsideProblem(realRoot, file);
  if (problem !== null) throw new StudioError('forbidden', `${file}: ${problem}`);
}

async function present(dir: string, names: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of names) {
    const info = await stat(join(dir, name)).catch(() => null);
    if (info?.isFile()) found.push(join(dir, name));
  }
  return found;
}

async function filesEndingWith(dir: string, ext: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name.toLowerCase().endsWith(ext))
    .map((e) => join(dir, e.name))
    .sort();
}

/**
 * Point counts, class names and attribute names must fit the project's schemas, and every image
 * must exist. One image holds one face in a project: a second face is a problem too, rather than
 * being dropped without a word.
 */
async function checkAgainstProject(
  input: LabelledInput,
  realRoot: string,
  options: ReadLabelledOptions,
): Promise<void> {
  const problems = new ProblemList();
  const pointCount = options.landmarks.points.length;
  const attributes = options.attributes;
  const binary = new Set(
    attributes?.attributes.filter((a) => a.kind === 'binary').map((a) => a.name),
  );
  const classes = new Map(
    attributes?.attributes.flatMap((a) => (a.kind === 'class' ? [[a.name, a.classes]] : [])) ?? [],
  );
  const expressions = attributes?.expressions ?? null;
  for (const image of input.images) {
    if (image.faces.length > 1) {
      problems.add(
        image.file,
        undefined,
        `has ${image.faces.length} faces; a project keeps one face per image`,
      );
    }
    const face = image.faces[0];
    if (!face) continue;
    if (face.points.length !== 0 && face.points.length !== pointCount) {
      problems.add(
        image.file,
        undefined,
        `has ${face.points.length} points; the project's schema ${options.landmarks.id} has ${pointCount}`,
      );
    }
    if (face.expression && expressions && !expressions.includes(face.expression)) {
      problems.add(
        image.file,
        undefined,
        `expression "${face.expression}" is not one of ${expressions.join(', ')}`,
      );
    }
    if (!attributes) continue;
    for (const name of Object.keys(face.attributes ?? {})) {
      if (!binary.has(name)) {
        problems.add(
          image.file,
          undefined,
          `attribute "${name}" is not in the set ${attributes.id}`,
        );
      }
    }
    for (const [name, value] of Object.entries(face.classes ?? {})) {
      const allowed = classes.get(name);
      if (!allowed?.includes(value)) {
        problems.add(
          image.file,
          undefined,
          allowed
            ? `${name} "${value}" is not one of ${allowed.join(', ')}`
            : `attribute "${name}" is not in the set ${attributes.id}`,
        );
      }
    }
  }
  await forEachBounded(input.images, 32, async (image) => {
    const opened = await openInside(input.root, realRoot, image, problems);
    if (opened) checkSizes(image, opened, options.landmarks.points, problems);
  });
  problems.throwIfAny(`Cannot import the labelled set in ${input.root}`);
}

/** The image's header, or null after adding why it cannot be (missing, outside, not an image). */
async function openInside(
  root: string,
  realRoot: string,
  image: SourceImage,
  problems: ProblemList,
): Promise<OpenedImage | null> {
  const file = join(root, image.file);
  const labelled = image.labelsFrom ? ` (labelled in ${image.labelsFrom})` : '';
  const add = (message: string) => problems.add(image.file, undefined, message + labelled);
  const where = await checkInside(realRoot, file);
  if (where.kind === 'outside') {
    add(outsideMessage(where.real));
    return null;
  }
  if (where.kind === 'missing') {
    add('the image file is missing');
    return null;
  }
  try {
    // Its real path, so the file checked is the file read (a folder there fails as unreadable).
    return await openImage(where.real);
  } catch (error) {
    if (!(error instanceof ImageRejected)) throw error;
    const prefix = `${where.real}: `;
    add(error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message);
    return null;
  }
}

/**
 * A size the annotations declare must be the image's real one (upright, or as stored for an EXIF
 * rotated JPEG, which tools such as pycocotools measure unrotated); points and boxes must lie
 * within the bounds of coordinate-bounds.ts around the real size.
 */
function checkSizes(
  image: SourceImage,
  opened: OpenedImage,
  pointNames: readonly string[],
  problems: ProblemList,
): void {
  const { width, height } = opened;
  const where = image.labelsFrom ? ` in ${image.labelsFrom}` : '';
  if (image.width !== undefined || image.height !== undefined) {
    const matches = (w: number, h: number) => (image.width ?? w) === w && (image.height ?? h) === h;
    const rotated = opened.orientation >= 5 && opened.orientation <= 8;
    if (!matches(width, height) && !(rotated && matches(height, width))) {
      problems.add(
        image.file,
        undefined,
        `declared as ${image.width ?? '?'}×${image.height ?? '?'}${where}, but the image is ${width}×${height}`,
      );
      return;
    }
  }
  image.faces.forEach((face, i) => {
    const which = image.faces.length > 1 ? `face ${i + 1}: ` : '';
    const labelled = image.labelsFrom ? ` (labelled in ${image.labelsFrom})` : '';
    for (const problem of coordinateProblems(face, { width, height }, pointNames)) {
      problems.add(image.file, undefined, which + problem + labelled);
    }
  });
}

async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
