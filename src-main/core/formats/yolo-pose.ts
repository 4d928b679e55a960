/**
 * YOLO pose labels: one `.txt` per image under `labels/` (mirroring `images/`), a line per face
 * `cls cx cy w h (px py [v])*`, all positions normalised 0..1 by the image size, and `data.yaml`
 * with `kpt_shape` and `flip_idx`. Converting to pixels needs each image's size, which the caller
 * supplies (the library reads it from the image header).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LandmarkSchema } from '../../shared/schemas';
import { readAnnotationText } from '../input-files';
import { ProblemList } from '../problems';
import { outsideProblem } from '../real-path';
import { flipIndex } from '../schemas/landmark-schema';
import type { YoloDataYaml } from './data-yaml';
import { parseDataYaml, serialiseDataYaml } from './data-yaml';
import type { ImageSize } from '../coordinate-bounds';
import { carrying, requireLandmarks, type LabelFormat } from './format';
import type { FormatPoint, LabelledFace, LabelledImage, LabelledSet } from './model';
import { faceBox } from './model';
import { projectPathOf } from './relative-path';
import { fields, formatNumber, parseFiniteNumber, splitLines } from './text-lines';

const IMAGE = /\.(jpe?g|png|bmp|webp|tiff?)$/i;
const BOX_FIELDS = ['cx', 'cy', 'w', 'h'];

/** One label file's faces in pixels, adding each bad line to `problems`. */
export function parseYoloLabel(
  text: string,
  file: string,
  data: Pick<YoloDataYaml, 'kptShape' | 'names'>,
  size: ImageSize,
  problems: ProblemList,
): LabelledFace[] {
  const [k, dims] = data.kptShape;
  const expected = 5 + k * dims;
  const faces: LabelledFace[] = [];
  for (const line of splitLines(text)) {
    const parts = fields(line.text);
    if (parts.length === 0) continue;
    if (parts.length !== expected) {
      problems.add(
        file,
        line.number,
        `expected ${expected} values (class, box, ${k}×${dims}), found ${parts.length}`,
      );
      continue;
    }
    const values = parts.map(parseFiniteNumber);
    const bad = values.findIndex((v) => v === null);
    if (bad >= 0) {
      problems.add(file, line.number, `value ${bad + 1} is not a finite number: "${parts[bad]}"`);
      continue;
    }
    const v = values as number[];
    const before = problems.count;
    const cls = v[0]!;
    if (!Number.isInteger(cls) || cls < 0 || (data.names.length > 0 && cls >= data.names.length)) {
      problems.add(
        file,
        line.number,
        `class ${parts[0]} is not one of 0..${Math.max(data.names.length - 1, 0)}`,
      );
    }
    BOX_FIELDS.forEach((name, i) => {
      const value = v[1 + i]!;
      if (value < 0 || value > 1)
        problems.add(file, line.number, `${name} ${parts[1 + i]} is outside 0..1`);
    });
    const points: FormatPoint[] = [];
    for (let p = 0; p < k; p += 1) {
      const at = 5 + p * dims;
      const [px, py] = [v[at]!, v[at + 1]!];
      const visibility = dims === 3 ? v[at + 2]! : 2;
      if (visibility !== 0 && visibility !== 1 && visibility !== 2) {
        problems.add(
          file,
          line.number,
          `keypoint ${p} visibility ${parts[at + 2]} is not 0, 1 or 2`,
        );
      }
      if (px < 0 || px > 1 || py < 0 || py > 1) {
        problems.add(
          file,
          line.number,
          `keypoint ${p} (${parts[at]}, ${parts[at + 1]}) is outside 0..1`,
        );
      }
      points.push({ x: px * size.width, y: py * size.height, v: visibility as FormatPoint['v'] });
    }
    if (problems.count !== before) continue;
    const [cx, cy, w, h] = [v[1]!, v[2]!, v[3]!, v[4]!];
    faces.push({
      box: {
        x: (cx - w / 2) * size.width,
        y: (cy - h / 2) * size.height,
        width: w * size.width,
        height: h * size.height,
      },
      points,
    });
  }
  return faces;
}

export function serialiseYoloLabel(
  faces: readonly LabelledFace[],
  size: ImageSize,
  dims: 2 | 3,
): string {
  const n = (value: number, scale: number) => formatNumber(value / scale);
  return faces
    .map((face) => {
      const b = face.box!;
      const box = [
        n(b.x + b.width / 2, size.width),
        n(b.y + b.height / 2, size.height),
        n(b.width, size.width),
        n(b.height, size.height),
      ];
      const points = face.points.flatMap((p) => {
        const xy = [n(p.x, size.width), n(p.y, size.height)];
        return dims === 3 ? [...xy, String(p.v)] : xy;
      });
      return ['0', ...box, ...points].join(' ') + '\n';
    })
    .join('');
}

/** `images/a/b.jpg` → `labels/a/b.txt` (YOLO's rule: the last `images` folder becomes `labels`). */
export function labelPathFor(imageFile: string): string {
  const parts = imageFile.split('/');
  const at = parts.lastIndexOf('images');
  if (at >= 0) parts[at] = 'labels';
  else parts.unshift('labels');
  return parts.join('/').replace(/\.[^./]+$/, '.txt');
}

/**
 * A YOLO pose dataset: `data.yaml` at `root` and every image under `root/images`, each with its
 * label file if there is one (an image without one has no faces).
 */
export async function importYoloPose(
  root: string,
  sizeOf: (file: string) => Promise<ImageSize>,
  options: { pointCount?: number } = {},
): Promise<{ set: LabelledSet; data: YoloDataYaml }> {
  const problems = new ProblemList();
  const realRoot = await realpath(root);
  const readInside = async (file: string): Promise<string> => {
    const outside = await outsideProblem(realRoot, join(root, file));
    if (outside !== null) problems.add(file, undefined, outside);
    return outside === null ? readAnnotationText(join(root, file)) : '';
  };
  const data = parseDataYaml(await readInside('data.yaml'), 'data.yaml', problems);
  if (data && options.pointCount !== undefined && data.kptShape[0] !== options.pointCount) {
    problems.add(
      'data.yaml',
      undefined,
      `kpt_shape has ${data.kptShape[0]} points, the schema has ${options.pointCount}`,
    );
  }
  problems.throwIfAny(`Cannot import the YOLO dataset in ${root}`);
  const entries = await readdir(join(root, 'images'), { recursive: true, withFileTypes: true });
  const images = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && IMAGE.test(e.name))
    .map((e) => projectPathOf(root, join(e.parentPath, e.name)))
    .sort();
  const set: LabelledSet = [];
  for (const file of images) {
    const size = await sizeOf(file);
    const labelFile = labelPathFor(file);
    const text = (await exists(join(root, labelFile))) ? await readInside(labelFile) : '';
    const faces = parseYoloLabel(text, labelFile, data!, size, problems);
    set.push({ file, width: size.width, height: size.height, faces });
  }
  problems.throwIfAny(`Cannot import the YOLO dataset in ${root}`);
  return { set, data: data! };
}

/** Whether a label file is there: an image without one has no faces. */
async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/** `data.yaml` and the label files for a set; every image needs its size and every face a box. */
export function exportYoloPose(
  set: LabelledSet,
  schema: LandmarkSchema,
  dims: 2 | 3 = 3,
): { dataYaml: string; labels: { file: string; text: string }[] } {
  const problems = new ProblemList();
  const labels = set.map((image) => {
    if (!image.width || !image.height)
      problems.add(image.file, undefined, 'width and height are needed for YOLO');
    image.faces.forEach((face, i) => {
      if (!face.box)
        problems.add(image.file, undefined, `face ${i + 1} has no box (YOLO needs one)`);
      if (face.points.length !== schema.points.length) {
        problems.add(
          image.file,
          undefined,
          `face ${i + 1} has ${face.points.length} points, the schema ${schema.points.length}`,
        );
      }
    });
    return { image, file: labelPathFor(image.file) };
  });
  problems.throwIfAny('Cannot write YOLO pose labels');
  const dataYaml = serialiseDataYaml({
    path: '.',
    train: 'images',
    val: 'images',
    kptShape: [schema.points.length, dims],
    flipIdx: flipIndex(schema),
    names: ['face'],
  });
  return {
    dataYaml,
    labels: labels.map(({ image, file }) => ({
      file,
      text: serialiseYoloLabel(image.faces, { width: image.width!, height: image.height! }, dims),
    })),
  };
}

/** YOLO needs a box: the face's own, else its placed points' bounds. */
function withBox(image: LabelledImage): LabelledImage {
  return {
    ...image,
    faces: image.faces.map((face) => {
      const box = faceBox(face);
      return box ? { ...face, box } : face;
    }),
  };
}

/** `data.yaml` and `images/`, `labels/`. */
export const yoloFormat: LabelFormat = {
  id: 'yolo',
  name: 'YOLO pose',
  expects: 'data.yaml, images/ and labels/',
  carries: carrying({ points: true, visibility: 'full', boxes: true }),
  predictions: ['landmarks'],
  needsPoints: false,
  imageFolder: 'images/',
  detect: ({ files, folders }) => files.includes('data.yaml') && folders.has('images'),
  // Positions are fractions of the real size, so each image's header is read (imageSize).
  read: async ({ path, pointCount, imageSize }) =>
    (await importYoloPose(path, imageSize, { pointCount })).set,
  write(set, { landmarks }) {
    const schema = requireLandmarks(landmarks, 'YOLO pose labels');
    const { dataYaml, labels } = exportYoloPose(set.map(withBox), schema);
    return { texts: [{ file: 'data.yaml', text: dataYaml }, ...labels] };
  },
};
