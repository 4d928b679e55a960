/**
 * Exports a project's labels in one of the formats (DESIGN §7) to a new or empty folder, with a
 * copy of each labelled image, so the folder is a dataset on its own and imports back as it was.
 * The label files are built (and every problem found) before anything is written.
 *
 * Image names in the export keep the project's layout: a path inside the project as stored, an
 * outside path relative to the deepest folder all outside images share. A YOLO export puts images
 * under `images/`, as YOLO wants.
 *
 * Points a model or template placed that no person confirmed are not labels. By default they are
 * left out: as not labelled (v 0) where the format has visibility (COCO, YOLO, the studio's JSON;
 * dlib XML omits the part); in the formats without it (300-W `.pts`, MTFL) the face's points are
 * left out whole, and an MTFL row, which needs them, with its image. Asked to mark them instead,
 * only the studio's JSON can (each point keeps `source` and `confirmed`); the other formats refuse
 * rather than write a guess as a label. The studio's JSON always carries each point's provenance.
 */
import { relative, sep } from 'node:path';
import type { FaceAnnotation, ImageRecord } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import type { ExportFormat, UnconfirmedExport } from '../../shared/library';
import { faceState, isUnconfirmedPoint } from '../../shared/point-provenance';
import { serialiseCelebaAttributes } from '../formats/celeba';
import { planClassFolderExport } from '../formats/class-folders';
import { serialiseCoco } from '../formats/coco';
import { serialiseDlibXml } from '../formats/dlib-xml';
import type { FormatPoint, LabelledImage, LabelledSet } from '../formats/model';
import { serialiseMtfl } from '../formats/mtfl';
import { exportPts } from '../formats/pts';
import { serialiseStudioJson } from '../formats/studio-json';
import { exportYoloPose } from '../formats/yolo-pose';
import type { ProjectStore } from '../project-store';
import { builtinAttributeSchema, builtinLandmarkSchema } from '../schemas/builtin';
import {
  commonFolder,
  requireEmptyFolder,
  writePlannedFiles,
  type PlannedFiles,
} from './export-folder';
import { imageFileOf } from './library-service';

export interface ExportSummary {
  outDir: string;
  images: number;
  faces: number;
  /** Files written, label files and images together. */
  files: number;
}

export interface ExportOptions {
  /** What becomes of points no person confirmed; default `leave-out`. */
  unconfirmed?: UnconfirmedExport;
}

/** Formats whose points have no visibility: an unconfirmed point cannot be written as missing. */
const WITHOUT_VISIBILITY: ReadonlySet<ExportFormat> = new Set(['pts', 'mtfl']);

export async function exportProjectLabels(
  store: ProjectStore,
  format: ExportFormat,
  outDir: string,
  options: ExportOptions = {},
): Promise<ExportSummary> {
  const unconfirmed = options.unconfirmed ?? 'leave-out';
  if (unconfirmed === 'mark' && format !== 'studio') {
    throw new StudioError(
      'invalid-payload',
      `Cannot mark unconfirmed points in ${format} files: only the studio format records who ` +
        'placed a point. Export them as studio JSON, or leave them out',
    );
  }
  const labelled = labelledImages(store, format, unconfirmed);
  const names = exportNames(
    store,
    labelled.map(({ record }) => record),
  );
  const prefix = format === 'yolo' ? 'images/' : '';
  const set: LabelledSet = labelled.map(({ record, image }) => ({
    ...image,
    file: prefix + names.get(record.id)!,
  }));
  const sourceOf = new Map(
    labelled.map(({ record }) => [prefix + names.get(record.id)!, imageFileOf(store, record)]),
  );
  const splitOf = new Map(
    labelled.map(({ record }) => [prefix + names.get(record.id)!, record.split]),
  );
  const planned = plan(store, format, set, sourceOf, splitOf);
  await requireEmptyFolder(outDir, 'export');
  await writePlannedFiles(outDir, planned, { what: 'the export' });
  return {
    outDir,
    images: labelled.length,
    faces: labelled.length,
    files: planned.texts.length + planned.copies.length,
  };
}

function plan(
  store: ProjectStore,
  format: ExportFormat,
  set: LabelledSet,
  sourceOf: ReadonlyMap<string, string>,
  splitOf: ReadonlyMap<string, ImageRecord['split']>,
): PlannedFiles {
  const copyAll = set.map((image) => ({ source: sourceOf.get(image.file)!, target: image.file }));
  const landmarks = builtinLandmarkSchema(store.meta.landmarkSchema);
  switch (format) {
    case 'pts':
      return { texts: exportPts(set), copies: copyAll };
    case 'coco':
      return {
        texts: [{ file: 'annotations.json', text: serialiseCoco(set, landmarks) }],
        copies: copyAll,
      };
    case 'mtfl': {
      // The test split goes to testing.txt, everything else to training.txt, as MTFL has it.
      const isTest = (image: LabelledImage): boolean => splitOf.get(image.file) === 'test';
      const texts = [{ file: 'training.txt', text: serialiseMtfl(set.filter((i) => !isTest(i))) }];
      const testing = set.filter(isTest);
      if (testing.length > 0) texts.push({ file: 'testing.txt', text: serialiseMtfl(testing) });
      return { texts, copies: copyAll };
    }
    case 'celeba': {
      const attributeSchema = store.meta.attributeSchema;
      const names = attributeSchema
        ? builtinAttributeSchema(attributeSchema)
            .attributes.filter((a) => a.kind === 'binary')
            .map((a) => a.name)
        : [];
      if (names.length === 0) {
        throw new StudioError(
          'invalid-payload',
          `Cannot export CelebA attributes: the project's attribute set has no yes/no attributes`,
        );
      }
      return {
        texts: [{ file: 'list_attr_celeba.txt', text: serialiseCelebaAttributes(set, names) }],
        copies: copyAll,
      };
    }
    case 'dlib':
      return {
        texts: [{ file: 'labels.xml', text: serialiseDlibXml(set, store.meta.name) }],
        copies: copyAll,
      };
    case 'yolo': {
      const { dataYaml, labels } = exportYoloPose(set.map(withBox), landmarks);
      return { texts: [{ file: 'data.yaml', text: dataYaml }, ...labels], copies: copyAll };
    }
    case 'class-folders':
      return {
        texts: [],
        copies: planClassFolderExport(set).map(({ source, target }) => ({
          source: sourceOf.get(source)!,
          target,
        })),
      };
    case 'studio':
      return {
        texts: [
          {
            file: 'studio-labels.json',
            text: serialiseStudioJson({
              landmarkSchema: store.meta.landmarkSchema,
              attributeSchema: store.meta.attributeSchema,
              set,
            }),
          },
        ],
        copies: copyAll,
      };
  }
}

/** The face's points as the export writes them (see the module's comment). */
function exportedPoints(
  face: FaceAnnotation,
  format: ExportFormat,
  unconfirmed: UnconfirmedExport,
): FormatPoint[] {
  const withProvenance = format === 'studio';
  const needsReview = face.points.some(isUnconfirmedPoint);
  if (needsReview && unconfirmed === 'leave-out' && WITHOUT_VISIBILITY.has(format)) return [];
  return face.points.map((p) => {
    if (unconfirmed === 'leave-out' && isUnconfirmedPoint(p)) return { x: 0, y: 0, v: 0 };
    const { x, y, v, source, confirmed, uncertainty } = p;
    if (!withProvenance) return { x, y, v };
    return uncertainty === undefined
      ? { x, y, v, source, confirmed }
      : { x, y, v, source, confirmed, uncertainty };
  });
}

/**
 * Each image with a label to export, its face in the neutral model; points only when any is
 * placed (after unconfirmed ones were left out).
 */
function labelledImages(
  store: ProjectStore,
  format: ExportFormat,
  unconfirmed: UnconfirmedExport,
): { record: ImageRecord; image: LabelledImage }[] {
  const out: { record: ImageRecord; image: LabelledImage }[] = [];
  for (const record of store.listImages()) {
    const face = store.getFace(record.id);
    if (!face || faceState(face) === 'unlabelled') continue;
    const points = exportedPoints(face, format, unconfirmed);
    const placed = points.some((p) => p.v > 0);
    const hasLabel = placed || face.expression !== null || Object.keys(face.attributes).length > 0;
    // An MTFL row needs its five points: a face whose points were left out has no row.
    if (!hasLabel || (format === 'mtfl' && !placed)) continue;
    const image: LabelledImage = {
      file: record.path,
      width: record.width,
      height: record.height,
      faces: [
        {
          points: placed ? points : [],
          ...(face.box ? { box: face.box } : {}),
          ...(Object.keys(face.attributes).length > 0 ? { attributes: face.attributes } : {}),
          ...(face.classes && Object.keys(face.classes).length > 0
            ? { classes: face.classes }
            : {}),
          ...(face.expression ? { expression: face.expression } : {}),
        },
      ],
    };
    if (record.subject) image.subject = record.subject;
    out.push({ record, image });
  }
  return out;
}

/** YOLO needs a box: the face's own, else its placed points' bounds. */
function withBox(image: LabelledImage): LabelledImage {
  return {
    ...image,
    faces: image.faces.map((face) => {
      if (face.box) return face;
      const placed = face.points.filter((p) => p.v > 0);
      if (placed.length === 0) return face;
      const xs = placed.map((p) => p.x);
      const ys = placed.map((p) => p.y);
      const x = Math.min(...xs);
      const y = Math.min(...ys);
      return { ...face, box: { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y } };
    }),
  };
}

/**
 * `/`-separated export names, unique, keyed by image id. A copied image is named after the file
 * it was imported from (its copy is named by its hash), so an export keeps the set's own names.
 */
function exportNames(store: ProjectStore, records: readonly ImageRecord[]): Map<string, string> {
  const nameSource = (r: ImageRecord): string => r.source ?? imageFileOf(store, r);
  const outside = records.filter((r) => relative(store.dir, nameSource(r)).startsWith('..'));
  const base = commonFolder(outside.map(nameSource));
  const used = new Set<string>();
  const names = new Map<string, string>();
  for (const record of records) {
    const file = nameSource(record);
    const inside = !relative(store.dir, file).startsWith('..');
    let name = relative(inside ? store.dir : base, file)
      .split(sep)
      .join('/');
    for (let n = 2; used.has(name); n += 1) name = name.replace(/(\.[^./]+)?$/, `_${n}$1`);
    used.add(name);
    names.set(record.id, name);
  }
  return names;
}
