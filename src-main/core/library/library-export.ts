/**
 * Exports a project's labels in one of the formats (docs/ARCHITECTURE.md, "Formats") to a new or
 * empty folder, with a copy of each labelled image, so the folder is a dataset on its own and
 * imports back as it was. The label files are built (and every problem found) before anything is
 * written.
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
import { relativeInside } from '../real-path';
import type { FaceAnnotation, ImageRecord } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import type { ExportFormat, UnconfirmedExport } from '../../shared/library';
import { faceState, isUnconfirmedPoint } from '../../shared/point-provenance';
import type { LabelFormat, WriteContext } from '../formats/format';
import type { FormatPoint, LabelledImage } from '../formats/model';
import { labelFormat } from '../formats/registry';
import type { ProjectStore } from '../project-store';
import { builtinAttributeSchema } from '../schemas/builtin';
import {
  commonFolder,
  planLabelledFolder,
  requireEmptyFolder,
  writePlannedFiles,
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

export async function exportProjectLabels(
  store: ProjectStore,
  formatId: ExportFormat,
  outDir: string,
  options: ExportOptions = {},
): Promise<ExportSummary> {
  const format = labelFormat(formatId);
  const unconfirmed = options.unconfirmed ?? 'leave-out';
  if (unconfirmed === 'mark' && !format.carries.unconfirmed) {
    throw new StudioError(
      'invalid-payload',
      `Cannot mark unconfirmed points in ${format.id} files: only the studio format records who ` +
        'placed a point. Export them as studio JSON, or leave them out',
    );
  }
  const ownSchema = format.carries.points ? format.landmarkSchema : undefined;
  if (ownSchema !== undefined && ownSchema !== store.landmarkSchema.id) {
    throw new StudioError(
      'invalid-payload',
      `Cannot export to ${format.id}: ${format.name} holds the points of the "${ownSchema}" schema only; this project's schema is ${store.landmarkSchema.id}`,
    );
  }
  const labelled = labelledImages(store, format, unconfirmed);
  const names = exportNames(
    store,
    labelled.map(({ record }) => record),
  );
  const images = labelled.map(({ record, image }) => ({
    image: { ...image, file: names.get(record.id)! },
    source: imageFileOf(store, record),
    split: record.split,
  }));
  const planned = planLabelledFolder(format, images, writeContext(store));
  await requireEmptyFolder(outDir, 'export');
  await writePlannedFiles(outDir, planned, { what: 'the export' });
  return {
    outDir,
    images: labelled.length,
    faces: labelled.length,
    files: planned.texts.length + planned.copies.length,
  };
}

/** What the formats need to know of the project to write its labels. */
function writeContext(store: ProjectStore): Omit<WriteContext, 'splitOf'> {
  const { landmarkSchema, attributeSchema, name } = store.meta;
  const attributeNames = attributeSchema
    ? builtinAttributeSchema(attributeSchema)
        .attributes.filter((a) => a.kind === 'binary')
        .map((a) => a.name)
    : [];
  return {
    landmarks: store.landmarkSchema,
    landmarkSchemaId: landmarkSchema,
    attributeSchemaId: attributeSchema,
    attributeNames,
    name,
  };
}

/** The face's points as the export writes them (see the module's comment). */
function exportedPoints(
  face: FaceAnnotation,
  format: LabelFormat,
  unconfirmed: UnconfirmedExport,
): FormatPoint[] {
  const withProvenance = format.carries.unconfirmed;
  const needsReview = face.points.some(isUnconfirmedPoint);
  if (needsReview && unconfirmed === 'leave-out' && format.carries.visibility === 'none') {
    return [];
  }
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
  format: LabelFormat,
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
    if (!hasLabel || (format.needsPoints && !placed)) continue;
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

/**
 * `/`-separated export names, unique, keyed by image id. A copied image is named after the file
 * it was imported from (its copy is named by its hash), so an export keeps the set's own names.
 */
function exportNames(store: ProjectStore, records: readonly ImageRecord[]): Map<string, string> {
  const sources = records.map((record) => {
    const file = record.source ?? imageFileOf(store, record);
    return { record, file, inside: relativeInside(store.dir, file) };
  });
  const base = commonFolder(sources.flatMap((s) => (s.inside === null ? [s.file] : [])));
  const used = new Set<string>();
  const names = new Map<string, string>();
  for (const { record, file, inside } of sources) {
    let name = (inside ?? relative(base, file)).split(sep).join('/');
    for (let n = 2; used.has(name); n += 1) name = name.replace(/(\.[^./]+)?$/, `_${n}$1`);
    used.add(name);
    names.set(record.id, name);
  }
  return names;
}
