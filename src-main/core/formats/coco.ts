/**
 * COCO keypoints JSON: `images` [{id, file_name, width, height}], `annotations` [{id, image_id,
 * category_id, keypoints: [x, y, v]*, num_keypoints?, bbox?: [x, y, w, h]}], `categories`
 * [{id, name, keypoints: names, skeleton: 1-based pairs}]. Pixels are 0-based; v is 0 not
 * labelled, 1 occluded, 2 visible. Problems are located by JSON path (`annotations[3].keypoints`)
 * since a JSON file has no meaningful lines.
 */
import { z } from 'zod';
import type { LandmarkSchema } from '../../shared/schemas';
import { ProblemList } from '../problems';
import { readAnnotationText } from '../input-files';
import { addZodIssues } from '../schemas/landmark-schema';
import { carrying, requireLandmarks, type LabelFormat } from './format';
import { parseJsonText } from './json-text';
import { labelledIn, locate } from './label-files';
import type { FormatPoint, LabelledFace, LabelledSet } from './model';
import { checkRelativePath } from './relative-path';

const Id = z.number().int().nonnegative();
const finite = z.number().finite();

const CocoImage = z.looseObject({
  id: Id,
  file_name: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
const CocoAnnotation = z.looseObject({
  id: Id,
  image_id: Id,
  category_id: Id,
  keypoints: z.array(finite),
  num_keypoints: z.number().int().nonnegative().optional(),
  bbox: z.tuple([finite, finite, finite.nonnegative(), finite.nonnegative()]).optional(),
});
const CocoCategory = z.looseObject({
  id: Id,
  name: z.string(),
  keypoints: z.array(z.string()).optional(),
  skeleton: z.array(z.tuple([z.number().int().positive(), z.number().int().positive()])).optional(),
});
const CocoFile = z.looseObject({
  images: z.array(CocoImage),
  annotations: z.array(CocoAnnotation),
  categories: z.array(CocoCategory).min(1),
});

export interface CocoCategoryInfo {
  name: string;
  keypoints: string[];
  /** 0-based point pairs (COCO writes them 1-based). */
  skeleton: [number, number][];
}

export interface CocoImport {
  set: LabelledSet;
  category: CocoCategoryInfo;
}

export interface CocoOptions {
  /** The schema's point count; another count in the file is an error. */
  pointCount?: number;
}

function duplicateIds(items: readonly { id: number }[]): number[] {
  const seen = new Set<number>();
  const dups = new Set<number>();
  for (const { id } of items) (seen.has(id) ? dups : seen).add(id);
  return [...dups];
}

/** A whole COCO file, or a StudioError naming every bad image, annotation and category. */
export function parseCoco(text: string, file: string, options: CocoOptions = {}): CocoImport {
  const problems = new ProblemList();
  const raw = parseJsonText(text, file, problems);
  problems.throwIfAny(`Cannot import ${file}`);
  const parsed = CocoFile.safeParse(raw);
  if (!parsed.success) {
    addZodIssues(problems, file, parsed.error);
    problems.throwIfAny(`Cannot import ${file}`);
  }
  const coco = parsed.data!;

  const withPoints = coco.categories.filter((c) => (c.keypoints?.length ?? 0) > 0);
  if (withPoints.length !== 1) {
    problems.add(
      file,
      undefined,
      `expected one category with keypoints, found ${withPoints.length}`,
    );
    problems.throwIfAny(`Cannot import ${file}`);
  }
  const category = withPoints[0]!;
  const names = category.keypoints!;
  const k = names.length;
  const categoryAt = `categories[${coco.categories.indexOf(category)}]`;
  if (options.pointCount !== undefined && k !== options.pointCount) {
    problems.add(
      file,
      undefined,
      `${categoryAt}: ${k} keypoints, the schema has ${options.pointCount}`,
    );
  }
  (category.skeleton ?? []).forEach(([a, b], i) => {
    if (a > k || b > k)
      problems.add(file, undefined, `${categoryAt}.skeleton[${i}]: point out of range 1..${k}`);
  });

  for (const id of duplicateIds(coco.images))
    problems.add(file, undefined, `images: duplicate id ${id}`);
  for (const id of duplicateIds(coco.annotations)) {
    problems.add(file, undefined, `annotations: duplicate id ${id}`);
  }
  const paths = new Map<number, string>();
  coco.images.forEach((image, i) => {
    const path = checkRelativePath(image.file_name);
    if ('problem' in path) problems.add(file, undefined, `images[${i}].file_name: ${path.problem}`);
    else paths.set(image.id, path.path);
  });

  const faces = new Map<number, LabelledFace[]>();
  const categoryIds = new Set(coco.categories.map((c) => c.id));
  const imageIds = new Set(coco.images.map((image) => image.id));
  coco.annotations.forEach((a, i) => {
    const at = `annotations[${i}] (id ${a.id})`;
    const before = problems.count;
    if (!imageIds.has(a.image_id)) {
      problems.add(file, undefined, `${at}: image_id ${a.image_id} is not in images`);
    }
    if (!categoryIds.has(a.category_id)) {
      problems.add(file, undefined, `${at}: category_id ${a.category_id} is not in categories`);
    }
    if (a.category_id !== category.id) return; // another category's boxes (e.g. plain detections)
    if (a.keypoints.length !== 3 * k) {
      problems.add(
        file,
        undefined,
        `${at}: ${a.keypoints.length} keypoint values, expected ${3 * k} (${k} × [x, y, v])`,
      );
      return;
    }
    const points: FormatPoint[] = [];
    for (let p = 0; p < k; p += 1) {
      const [x, y, v] = a.keypoints.slice(3 * p, 3 * p + 3) as [number, number, number];
      if (v !== 0 && v !== 1 && v !== 2) {
        problems.add(
          file,
          undefined,
          `${at}: keypoint ${p} (${names[p]}) has visibility ${v}, not 0/1/2`,
        );
      } else points.push({ x, y, v });
    }
    const labelled = points.filter((q) => q.v > 0).length;
    if (
      a.num_keypoints !== undefined &&
      a.num_keypoints !== labelled &&
      problems.count === before
    ) {
      problems.add(
        file,
        undefined,
        `${at}: num_keypoints is ${a.num_keypoints} but ${labelled} are labelled`,
      );
    }
    if (problems.count !== before) return;
    const face: LabelledFace = { points };
    if (a.bbox) face.box = { x: a.bbox[0], y: a.bbox[1], width: a.bbox[2], height: a.bbox[3] };
    const list = faces.get(a.image_id) ?? [];
    list.push(face);
    faces.set(a.image_id, list);
  });
  problems.throwIfAny(`Cannot import ${file}`);

  const set: LabelledSet = coco.images.map((image) => ({
    file: paths.get(image.id)!,
    width: image.width,
    height: image.height,
    faces: faces.get(image.id) ?? [],
  }));
  const skeleton = (category.skeleton ?? []).map(([a, b]): [number, number] => [a - 1, b - 1]);
  return { set, category: { name: category.name, keypoints: names, skeleton } };
}

/**
 * A COCO keypoints file for a set. Images need their width and height (COCO requires them); faces
 * without points are left out (COCO keypoint annotations always have points).
 */
export function serialiseCoco(set: LabelledSet, schema: LandmarkSchema): string {
  const problems = new ProblemList();
  const images: z.input<typeof CocoImage>[] = [];
  const annotations: z.input<typeof CocoAnnotation>[] = [];
  set.forEach((image, i) => {
    if (image.width === undefined || image.height === undefined) {
      problems.add(image.file, undefined, 'width and height are needed for COCO');
    }
    images.push({
      id: i + 1,
      file_name: image.file,
      width: image.width ?? 0,
      height: image.height ?? 0,
    });
    image.faces.forEach((face, f) => {
      if (face.points.length === 0) return;
      if (face.points.length !== schema.points.length) {
        problems.add(
          image.file,
          undefined,
          `face ${f + 1} has ${face.points.length} points, the schema ${schema.points.length}`,
        );
      }
      const annotation: z.input<typeof CocoAnnotation> = {
        id: annotations.length + 1,
        image_id: i + 1,
        category_id: 1,
        keypoints: face.points.flatMap((p) => [p.x, p.y, p.v]),
        num_keypoints: face.points.filter((p) => p.v > 0).length,
      };
      if (face.box) {
        const { x, y, width, height } = face.box;
        Object.assign(annotation, {
          bbox: [x, y, width, height],
          area: width * height,
          iscrowd: 0,
        });
      }
      annotations.push(annotation);
    });
  });
  problems.throwIfAny('Cannot write COCO keypoints');
  const category = {
    id: 1,
    name: 'face',
    supercategory: 'person',
    keypoints: schema.points,
    skeleton: schema.edges.map(([a, b]) => [a + 1, b + 1]),
  };
  return JSON.stringify({ images, annotations, categories: [category] }, null, 1) + '\n';
}

/** `annotations.json`, else the one `.json` in the folder. */
export const cocoFormat: LabelFormat = {
  id: 'coco',
  name: 'COCO keypoints',
  expects: 'a COCO keypoints annotations.json and the images it names',
  carries: carrying({ points: true, visibility: 'full', boxes: true }),
  predictions: ['landmarks'],
  needsPoints: false,
  imageFolder: '',
  detect: ({ files }) => files.includes('annotations.json'),
  async read({ path, isFile, pointCount, labelFile }) {
    const file = await labelFile(await locate(path, isFile, ['annotations.json'], '.json'));
    return labelledIn(file, parseCoco(await readAnnotationText(file), file, { pointCount }).set);
  },
  write: (set, { landmarks }) => ({
    texts: [
      {
        file: 'annotations.json',
        text: serialiseCoco(set, requireLandmarks(landmarks, 'COCO keypoints')),
      },
    ],
  }),
};
