/**
 * Reads a labelled set from disk in one of the formats (docs/ARCHITECTURE.md, "Formats") and
 * checks it against the project's schemas, all before anything is written: every bad line, file,
 * point count, class name and missing image is collected and thrown as one InputProblemsError.
 * Where each format's files are looked for, given a folder (or the file itself), is said by its
 * descriptor's `read` in core/formats (the registry, registry.ts, lists them).
 *
 * Image paths in the set are relative to the returned `root`. A folder named train, val or test
 * on an image's path sets its split. An expression named by another name of one of the attribute
 * set's classes (schemas/expression-aliases.ts: `angry` for fer7's `anger`) becomes that class.
 *
 * Symlinks: every image and label file is judged by where it really is. One whose real path lies
 * outside the set's folder (a link, or a name going through a linked folder, that leads out) is a
 * problem naming it and its target; links that stay inside are followed. Every image's header is
 * read here too: its real size is what coordinates are bounded by (coordinate-bounds.ts), and a
 * size the annotations declare (COCO, dlib, studio JSON) must match it.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ImportFormat } from '../../shared/library';
import type { AttributeSchema, LandmarkSchema } from '../../shared/schemas';
import { StudioError } from '../../shared/errors';
import type { LabelFormat, ReadContext, SourceImage } from '../formats/format';
import { splitFromPath } from '../formats/label-files';
import { labelFormat, otherFormatOf } from '../formats/registry';
import { coordinateProblems } from '../coordinate-bounds';
import { ProblemList } from '../problems';
import { expressionClass } from '../schemas/expression-aliases';
import { checkInside, outsideMessage, outsideProblem } from '../real-path';
import { ImageRejected } from './image-rejected';
import { openImage, type OpenedImage } from './image-source';

export type LabelledFormat = Exclude<ImportFormat, 'images'>;
export type { SourceImage } from '../formats/format';
export { splitFromPath } from '../formats/label-files';

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

/** Reads and checks the whole input; throws InputProblemsError listing every problem. */
export async function readLabelledInput(
  dir: string,
  format: LabelledFormat,
  options: ReadLabelledOptions,
): Promise<LabelledInput> {
  const reader = labelFormat(format);
  const info = await stat(dir).catch((error: unknown) => {
    throw new StudioError('not-found', `${dir} does not exist or cannot be read`, {
      cause: error,
    });
  });
  const root = info.isFile() ? dirname(dir) : dir;
  const realRoot = await realpath(root);
  const input = {
    root,
    images: await readWithHint(reader, readContext(dir, realRoot, info.isFile(), options)),
  };
  const expressions = options.attributes?.expressions;
  for (const image of input.images) {
    image.split ??= splitFromPath(image.file);
    // Another name of one of the set's classes (`angry` for `anger`) is that class.
    for (const face of expressions ? image.faces : []) {
      if (face.expression)
        face.expression = expressionClass(face.expression, expressions!) ?? face.expression;
    }
    if (image.subject === undefined && options.subjectPattern) {
      const subject = options.subjectPattern.exec(basename(image.file))?.[1];
      if (subject) image.subject = subject;
    }
  }
  await checkAgainstProject(input, realRoot, options);
  return input;
}

function readContext(
  dir: string,
  realRoot: string,
  isFile: boolean,
  options: ReadLabelledOptions,
): ReadContext {
  const expressions = options.attributes?.expressions;
  return {
    path: dir,
    isFile,
    pointCount: options.landmarks.points.length,
    ...(expressions ? { expressions } : {}),
    ...(options.subjectPattern ? { subjectPattern: options.subjectPattern } : {}),
    // A label file the import finds in the folder must really lie inside it; one the user names
    // is read wherever it is.
    labelFile: async (file) => {
      if (!isFile) await refuseOutside(realRoot, file);
      return file;
    },
    // A size read from an image's header gets the same inside-the-folder check every image gets.
    imageSize: async (file) => {
      await refuseOutside(realRoot, join(dir, file));
      return openImage(join(dir, file));
    },
  };
}

/** The format's read; a folder without its files names the format the folder looks like. */
async function readWithHint(reader: LabelFormat, context: ReadContext): Promise<SourceImage[]> {
  try {
    return await reader.read(context);
  } catch (error) {
    if (!(error instanceof StudioError) || error.code !== 'not-found' || context.isFile) {
      throw error;
    }
    const other = await otherFormatOf(context.path, reader.id);
    if (!other) throw error;
    throw new StudioError(
      'not-found',
      `${error.message}; it looks like ${other.name} (format ${other.id})`,
      { cause: error },
    );
  }
}

/** Throws, naming the file and its target, when `file` really lies outside `realRoot`. */
async function refuseOutside(realRoot: string, file: string): Promise<void> {
  const problem = await outsideProblem(realRoot, file);
  if (problem !== null) throw new StudioError('forbidden', `${file}: ${problem}`);
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
