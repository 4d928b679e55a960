/**
 * A project with the lab's own landmark schema: a 12-point schema read from a JSON file (names,
 * order, mirror pairs, NME normaliser) creates a project that keeps it in landmark-schema.json and
 * reads it back on open; five real HELEN faces are labelled with it through the store, as the
 * labeller saves them; and every format that holds points exports them and imports them back into
 * a second project of the same schema unchanged (COCO and YOLO pose above all). A bad schema file,
 * a custom id taken from a built-in schema, or a project whose schema file went missing each fail
 * with the file and the problem named.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledFaceSet } from '../../../src-main/app/training/finetune-faces';
import { snapshotOf } from '../../../src-main/app/training/project-snapshot';
import { parsePtsFile } from '../../../src-main/core/formats/pts';
import { FORMATS } from '../../../src-main/core/formats/registry';
import { exportProjectLabels } from '../../../src-main/core/library/library-export';
import { importIntoProject, setSplit } from '../../../src-main/core/library/library-service';
import { ProjectStore } from '../../../src-main/core/project-store';
import { loadLandmarkSchemaFile } from '../../../src-main/core/schemas/landmark-schema';
import {
  CUSTOM_LANDMARKS_FILE,
  newProjectLandmarks,
} from '../../../src-main/core/schemas/project-landmarks';
import type { FaceAnnotation, Landmark } from '../../../src-main/shared/domain';
import type { ExportFormat } from '../../../src-main/shared/library';
import type { LandmarkSchema } from '../../../src-main/shared/schemas';
import { DATA } from '../formats/data-paths';

const LAB12_FILE = path.join(import.meta.dirname, '../../fixtures/schemas/landmarks.lab12.json');
const HELEN_TEST = path.join(DATA, '300w-helen/test');
const FACES = ['296814969_3', '2968560214_1', '2968784797_1', '296961468_1', '2970690152_2'];
/** Where each lab12 point sits among the 68 of 300-W (brow ends, eye corners, nose, mouth, chin). */
const FROM_IBUG68 = [17, 21, 22, 26, 36, 39, 42, 45, 30, 48, 54, 8];

let work: string;
let lab12: LandmarkSchema;
let store: ProjectStore;
/** The saved faces by the image's file name. */
const saved = new Map<string, Landmark[]>();

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'fs-custom-schema-'));
  lab12 = await loadLandmarkSchemaFile(LAB12_FILE);
  const photos = path.join(work, 'photos');
  await mkdir(photos);
  for (const name of FACES) {
    await copyFile(path.join(HELEN_TEST, `${name}.jpg`), path.join(photos, `${name}.jpg`));
  }
  store = await ProjectStore.create(path.join(work, 'lab'), {
    name: 'Lab',
    landmarkSchema: lab12,
    attributeSchema: null,
  });
  await importIntoProject(store, { dir: photos, format: 'images', placement: 'copy' });
  await setSplit(
    store,
    store.listImages().map((image) => image.id),
    'train',
  );
  // The labeller's save: a person's points in schema order, on a face read as absent.
  for (const image of store.listImages()) {
    const name = path.basename(image.source ?? image.path, '.jpg');
    const text = await readFile(path.join(HELEN_TEST, `${name}.pts`), 'utf8');
    const ibug = parsePtsFile(text, `${name}.pts`);
    // The chin point occluded on one face, so visibility travels too where a format has it.
    const points: Landmark[] = FROM_IBUG68.map((k, i) => ({
      x: ibug[k]!.x,
      y: ibug[k]!.y,
      v: name === FACES[0] && i === 11 ? 1 : 2,
      source: 'human',
      confirmed: true,
    }));
    await store.saveFace(
      {
        imageId: image.id,
        points,
        attributes: {},
        expression: null,
        note: '',
        updatedAt: '2026-12-03T00:00:00.000Z',
      } satisfies Omit<FaceAnnotation, 'revision'>,
      { baseRevision: null },
    );
    saved.set(name, points);
  }
}, 120_000);

afterAll(async () => {
  await store.close();
  await rm(work, { recursive: true, force: true });
});

describe('a project with its own landmark schema', () => {
  it('keeps the schema beside project.json and reads it back on open', async () => {
    expect(store.meta.landmarkSchema).toBe('lab12');
    expect(saved.size).toBe(5);
    const onDisk = JSON.parse(await readFile(path.join(store.dir, CUSTOM_LANDMARKS_FILE), 'utf8'));
    expect(onDisk).toEqual(lab12);
    const reader = await ProjectStore.open(store.dir, { readOnly: true });
    try {
      expect(reader.landmarkSchema).toEqual(lab12);
      expect(reader.summary().labelledCount).toBe(5);
    } finally {
      await reader.close();
    }
  });

  it('refuses a face with another point count, naming the schema', async () => {
    const image = store.listImages()[0]!;
    const face = store.getFace(image.id)!;
    await expect(store.saveFace({ ...face, points: face.points.slice(0, 5) })).rejects.toThrow(
      /5 points but the project's landmark schema lab12 has 12/,
    );
  });

  it('gives training the schema: 12 named points with their mirror pairs', () => {
    const set = labelledFaceSet(snapshotOf(store), 'landmarks');
    expect(set.faces).toHaveLength(5);
    expect(set.faces.every((face) => face.points.length === 12)).toBe(true);
    expect(set.task === 'landmarks' ? set.schema : null).toEqual(lab12);
  });

  const POINT_FORMATS = (Object.keys(FORMATS) as ExportFormat[]).filter(
    (id) => FORMATS[id].carries.points && FORMATS[id].landmarkSchema === undefined,
  );

  it('has the formats that name no schema of their own to round-trip', () => {
    expect(POINT_FORMATS).toEqual(
      expect.arrayContaining(['coco', 'yolo', 'pts', 'dlib', 'studio']),
    );
  });

  it.each(POINT_FORMATS)(
    'exports to %s and imports back into a lab12 project unchanged',
    async (format) => {
      const out = path.join(work, `export-${format}`);
      const summary = await exportProjectLabels(store, format, out);
      expect(summary.faces).toBe(5);
      if (format === 'coco') {
        const coco = JSON.parse(await readFile(path.join(out, 'annotations.json'), 'utf8')) as {
          categories: { keypoints: string[]; skeleton: [number, number][] }[];
        };
        // The schema's point names, and its edges 1-based as COCO's skeleton.
        expect(coco.categories[0]!.keypoints).toEqual(lab12.points);
        expect(coco.categories[0]!.skeleton).toEqual(lab12.edges.map(([a, b]) => [a + 1, b + 1]));
      }
      if (format === 'yolo') {
        const yaml = await readFile(path.join(out, 'data.yaml'), 'utf8');
        // Twelve points with visibility; a flip swaps the schema's mirror pairs.
        expect(yaml).toMatch(/kpt_shape: \[12, 3\]/);
        expect(yaml).toContain('flip_idx: [3, 2, 1, 0, 7, 6, 5, 4, 8, 10, 9, 11]');
      }
      const again = await ProjectStore.create(path.join(work, `again-${format}`), {
        name: format,
        landmarkSchema: lab12,
        attributeSchema: null,
      });
      try {
        const outcome = await importIntoProject(again, { dir: out, format });
        expect(outcome.faces.added).toBe(5);
        const visibility = FORMATS[format].carries.visibility;
        for (const image of again.listImages()) {
          const name = path.basename(image.path, '.jpg');
          const expected = saved.get(name)!;
          const face = again.getFace(image.id)!;
          expect(face.points, `${format} ${name}`).toHaveLength(12);
          face.points.forEach((point, i) => {
            // dlib XML keeps whole pixels; the others keep at least two decimals.
            const tolerance = format === 'dlib' ? 0.5 : 0.005;
            expect(Math.abs(point.x - expected[i]!.x)).toBeLessThanOrEqual(tolerance);
            expect(Math.abs(point.y - expected[i]!.y)).toBeLessThanOrEqual(tolerance);
            expect(point.v).toBe(visibility === 'full' ? expected[i]!.v : 2);
          });
        }
      } finally {
        await again.close();
      }
    },
    60_000,
  );

  it('refuses MTFL, whose files hold the five-point schema only', async () => {
    await expect(exportProjectLabels(store, 'mtfl', path.join(work, 'mtfl'))).rejects.toThrow(
      /MTFL holds the points of the "five" schema only; this project's schema is lab12/,
    );
  });
});

describe('custom schemas refused', () => {
  it('names the file and each problem of a bad schema file', async () => {
    const bad = path.join(work, 'bad-schema.json');
    const broken = {
      ...lab12,
      points: [...lab12.points.slice(0, 11), 'left_brow_outer'],
      mirror: [...lab12.mirror, [0, 5]],
    };
    await writeFile(bad, JSON.stringify(broken));
    const error = await loadLandmarkSchemaFile(bad).then(
      () => new Error('no error'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toContain(bad);
    expect(error.message).toMatch(/duplicate name "left_brow_outer"/);
    expect(error.message).toMatch(/mirror\[5\]: not an involution/);
  });

  it("refuses a custom schema that takes a built-in schema's id", () => {
    expect(() => newProjectLandmarks({ ...lab12, id: 'ibug68' })).toThrow(
      /id "ibug68" is a built-in schema's/,
    );
  });

  it('names the schema file when a project has lost it, or it holds another schema', async () => {
    const dir = path.join(work, 'lost');
    const lost = await ProjectStore.create(dir, {
      name: 'Lost',
      landmarkSchema: lab12,
      attributeSchema: null,
    });
    await lost.close();
    const file = path.join(dir, CUSTOM_LANDMARKS_FILE);
    await writeFile(file, JSON.stringify({ ...lab12, id: 'other' }));
    await expect(ProjectStore.open(dir)).rejects.toThrow(
      `${file} holds the landmark schema "other", but the project's is "lab12"`,
    );
    await unlink(file);
    await expect(ProjectStore.open(dir, { readOnly: true })).rejects.toThrow(
      new RegExp(`"lab12" is not built in, and ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });
});
