/**
 * The format registry: every registered format writes a face with distinct numbers, recognises
 * the folder it wrote as its own and no other's, and reads the face back as it was, as far as
 * the format can carry it. The real data folders are each detected as their one format, and an
 * unknown id or a folder in no format is a clear error.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelFormat, LabelFormatId } from '../../../src-main/core/formats/format';
import { listFolder } from '../../../src-main/core/formats/label-files';
import type { FormatPoint, LabelledFace } from '../../../src-main/core/formats/model';
import {
  detectFormat,
  detectFormats,
  FORMAT_IDS,
  FORMATS,
  labelFormat,
} from '../../../src-main/core/formats/registry';
import {
  planLabelledFolder,
  writePlannedFiles,
} from '../../../src-main/core/library/export-folder';
import { readLabelledInput } from '../../../src-main/core/library/labelled-input';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { DATA } from './data-paths';

const FIVE = builtinLandmarkSchema('five');
const SIZE = { width: 64, height: 48 };
const ATTRIBUTES = { Male: true, Smiling: false, Eyeglasses: true };

let dir: string;
let image: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'format-registry-'));
  image = path.join(dir, 'source.png');
  await sharp({ create: { ...SIZE, channels: 3, background: { r: 90, g: 140, b: 60 } } })
    .png()
    .toFile(image);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A face with every number different, holding what `format` can carry and nothing more. */
function faceFor(format: LabelFormat): LabelledFace {
  const { carries } = format;
  const points: FormatPoint[] = Array.from({ length: 5 }, (_, k) => ({
    x: 11 + 7 * k,
    y: 13 + 5 * k,
    v: 2,
  }));
  if (carries.visibility !== 'none') points[3] = { x: 0, y: 0, v: 0 };
  if (carries.visibility === 'full') points[1] = { ...points[1]!, v: 1 };
  if (carries.unconfirmed) points[4] = { ...points[4]!, source: 'model', confirmed: false };
  return {
    points: carries.points ? points : [],
    ...(carries.boxes ? { box: { x: 5, y: 4, width: 41, height: 37 } } : {}),
    ...(carries.attributes ? { attributes: ATTRIBUTES } : {}),
    ...(carries.classes ? { classes: { pose: 'right' } } : {}),
    ...(carries.expression ? { expression: 'happy' } : {}),
  };
}

/** Writes one image labelled with `face` in `format` to a new folder; returns the folder. */
async function writeFolder(format: LabelFormat, face: LabelledFace): Promise<string> {
  const out = path.join(dir, format.id);
  await mkdir(out);
  const planned = planLabelledFolder(
    format,
    [{ image: { file: 'a.png', ...SIZE, faces: [face] }, source: image, split: 'train' }],
    {
      landmarks: FIVE,
      landmarkSchemaId: FIVE.id,
      attributeSchemaId: null,
      attributeNames: Object.keys(ATTRIBUTES),
      name: 'registry test',
    },
  );
  await writePlannedFiles(out, planned, { what: 'the test set' });
  return out;
}

describe('the format registry', () => {
  it.each(FORMAT_IDS)('%s round-trips a face through write, detect and read', async (id) => {
    const format = labelFormat(id);
    const written = faceFor(format);
    const out = await writeFolder(format, written);

    expect(detectFormats(await listFolder(out))).toEqual([id]);
    expect((await detectFormat(out)).id).toBe(id);

    const input = await readLabelledInput(out, id, { landmarks: FIVE, attributes: null });
    expect(input.images).toHaveLength(1);
    const [read] = input.images;
    expect(path.posix.basename(read!.file)).toBe('a.png');
    expect(read!.faces).toHaveLength(1);
    const face = read!.faces[0]!;
    expect(face.points).toHaveLength(written.points.length);
    face.points.forEach((point, k) => {
      const expected = written.points[k]!;
      expect(point.v).toBe(expected.v);
      expect(point.x).toBeCloseTo(expected.x, 4);
      expect(point.y).toBeCloseTo(expected.y, 4);
      expect(point.source ?? 'human').toBe(expected.source ?? 'human');
      expect(point.confirmed ?? true).toBe(expected.confirmed ?? true);
    });
    if (written.box) {
      expect(face.box).toBeDefined();
      for (const key of ['x', 'y', 'width', 'height'] as const) {
        expect(face.box![key]).toBeCloseTo(written.box[key], 4);
      }
    } else {
      expect(face.box).toBeUndefined();
    }
    expect(face.attributes).toEqual(written.attributes);
    expect(face.classes).toEqual(written.classes);
    expect(face.expression).toEqual(written.expression);
  });

  it('only the studio’s JSON records who placed a point', () => {
    const marking = FORMAT_IDS.filter((id) => FORMATS[id].carries.unconfirmed);
    expect(marking).toEqual(['studio']);
  });

  it.each([
    ['300w-helen/train', 'pts'],
    ['300w-helen', 'pts'],
    ['fixtures', 'pts'],
    ['fixtures/dlib-faces', 'dlib'],
    ['mtfl', 'mtfl'],
    ['ck48', 'class-folders'],
  ] as [string, LabelFormatId][])('detects %s as %s and nothing else', async (folder, id) => {
    expect(detectFormats(await listFolder(path.join(DATA, folder)))).toEqual([id]);
  });

  it('names the formats when asked for one it does not know', () => {
    expect(() => labelFormat('gif')).toThrow(
      'Unknown label format "gif" (pts, coco, mtfl, celeba, dlib, yolo, class-folders, studio)',
    );
    expect(() => labelFormat('toString')).toThrow(/Unknown label format "toString"/);
  });

  it('says so when a folder is in no format, or could be in several', async () => {
    const plain = path.join(dir, 'plain');
    await mkdir(plain);
    await sharp(image).toFile(path.join(plain, 'photo.png'));
    await expect(detectFormat(plain)).rejects.toThrow(/is in none of the label formats/);

    const both = path.join(dir, 'both');
    await mkdir(both);
    await sharp(image).toFile(path.join(both, 'photo.png'));
    for (const name of ['annotations.json', 'studio-labels.json']) {
      await writeFile(path.join(both, name), '{}');
    }
    await expect(detectFormat(both)).rejects.toThrow(/could be in any of coco, studio/);
    await expect(detectFormat(path.join(dir, 'missing'))).rejects.toThrow(/does not exist/);
  });
});
