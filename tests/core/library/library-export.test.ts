/**
 * Exports and points no person confirmed: left out by default (as not labelled where a format has
 * visibility, the face's points whole where it has none), or marked in the studio's JSON, which
 * imports back with each point's provenance.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportProjectLabels } from '../../../src-main/core/library/library-export';
import { importIntoProject } from '../../../src-main/core/library/library-service';
import { ProjectStore } from '../../../src-main/core/project-store';
import type { FaceAnnotation, Landmark } from '../../../src-main/shared/domain';

const HUMAN = { source: 'human', confirmed: true } as const;
const MODEL = { source: 'model', confirmed: false } as const;
const TEMPLATE = { source: 'template', confirmed: false } as const;

/** Five points around (20, 20), each with the given provenance. */
function five(provenance: readonly Pick<Landmark, 'source' | 'confirmed'>[]): Landmark[] {
  return provenance.map((p, i) => ({ x: 10 + i * 4, y: 12 + i * 3, v: 2, ...p }));
}

const MTFL_LABELS = {
  attributes: { Male: true, Smiling: false, Eyeglasses: false },
  classes: { pose: 'frontal' },
};

/** The faces by image name: what a person, a model and the template left. */
const FACES: Record<string, Omit<FaceAnnotation, 'imageId' | 'updatedAt' | 'note' | 'revision'>> = {
  'person.png': { points: five(Array(5).fill(HUMAN)), expression: null, ...MTFL_LABELS },
  // Pre-labelled; a person set the attributes but has not checked the points.
  'prelabelled.png': { points: five(Array(5).fill(MODEL)), expression: null, ...MTFL_LABELS },
  // A template dropped and left: nothing a person did.
  'template.png': { points: five(Array(5).fill(TEMPLATE)), attributes: {}, expression: null },
  // Three points a person placed, two the model's still to check.
  'mixed.png': {
    points: five([HUMAN, HUMAN, HUMAN, MODEL, { ...MODEL, confirmed: true }]).map((p, i) =>
      i === 3 ? { ...p, uncertainty: 0.2 } : p,
    ),
    expression: null,
    ...MTFL_LABELS,
  },
};

let work: string;
let store: ProjectStore;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'fs-export-'));
  store = await ProjectStore.create(path.join(work, 'project'), {
    name: 'Provenance',
    landmarkSchema: 'five',
    attributeSchema: 'mtfl',
  });
  await mkdir(path.join(store.dir, 'images'));
  const names = Object.keys(FACES);
  const ids: string[] = [];
  for (const [i, name] of names.entries()) {
    const file = path.join(store.dir, 'images', name);
    await sharp({
      create: { width: 40, height: 40, channels: 3, background: { r: 40 * i, g: 90, b: 10 } },
    })
      .png()
      .toFile(file);
    ids.push(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
  }
  await store.putImages(
    names.map((name, i) => ({
      id: ids[i]!,
      path: `images/${name}`,
      width: 40,
      height: 40,
      split: 'train' as const,
    })),
  );
  for (const [i, name] of names.entries()) {
    await store.saveFace({
      ...FACES[name]!,
      imageId: ids[i]!,
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
  }
}, 60_000);
afterAll(async () => {
  await store.close();
  await rm(work, { recursive: true, force: true });
});

async function readText(dir: string, file: string): Promise<string> {
  return readFile(path.join(dir, file), 'utf8');
}

describe('exports and unconfirmed points', () => {
  it('writes COCO keypoints no person confirmed as not labelled (v 0)', async () => {
    const out = path.join(work, 'coco');
    const summary = await exportProjectLabels(store, 'coco', out);
    // The template face has nothing a person confirmed: it is not exported at all.
    expect(summary.images).toBe(3);
    const coco = JSON.parse(await readText(out, 'annotations.json')) as {
      images: { id: number; file_name: string }[];
      annotations: { image_id: number; keypoints: number[]; num_keypoints: number }[];
    };
    const byFile = new Map(
      coco.annotations.map((a) => [coco.images.find((i) => i.id === a.image_id)!.file_name, a]),
    );
    // The pre-labelled image goes (its attributes are a person's) without keypoints.
    expect(coco.images.map((i) => i.file_name).sort()).toEqual([
      'images/mixed.png',
      'images/person.png',
      'images/prelabelled.png',
    ]);
    expect([...byFile.keys()].sort()).toEqual(['images/mixed.png', 'images/person.png']);
    const visibility = (file: string) => byFile.get(file)!.keypoints.filter((_, i) => i % 3 === 2);
    expect(visibility('images/person.png')).toEqual([2, 2, 2, 2, 2]);
    // The model's point a person confirmed (the last) is a label; the unchecked one is not.
    expect(visibility('images/mixed.png')).toEqual([2, 2, 2, 0, 2]);
    expect(byFile.get('images/mixed.png')!.num_keypoints).toBe(4);
  });

  it('leaves the points of a face still to review out of .pts and MTFL, which have no visibility', async () => {
    const pts = path.join(work, 'pts');
    await exportProjectLabels(store, 'pts', pts);
    expect((await readdir(path.join(pts, 'images'))).filter((f) => f.endsWith('.pts'))).toEqual([
      'person.pts',
    ]);
    const mtfl = path.join(work, 'mtfl');
    await exportProjectLabels(store, 'mtfl', mtfl);
    const rows = (await readText(mtfl, 'training.txt')).trim().split('\n');
    expect(rows.map((row) => row.split(' ')[0])).toEqual(['images/person.png']);
  });

  it('marks them in the studio format only, and they import back unconfirmed', async () => {
    await expect(
      exportProjectLabels(store, 'coco', path.join(work, 'coco-marked'), { unconfirmed: 'mark' }),
    ).rejects.toThrow(/Cannot mark unconfirmed points in coco files/);

    const out = path.join(work, 'studio');
    await exportProjectLabels(store, 'studio', out, { unconfirmed: 'mark' });
    const copy = await ProjectStore.create(path.join(work, 'copy'), {
      name: 'Copy',
      landmarkSchema: 'five',
      attributeSchema: 'mtfl',
    });
    try {
      await importIntoProject(copy, { dir: out, format: 'studio' });
      const faceOf = (name: string) => {
        const record = copy.listImages().find((r) => r.path.endsWith(name))!;
        return copy.getFace(record.id)!;
      };
      for (const name of Object.keys(FACES)) {
        expect(faceOf(name).points, name).toEqual(FACES[name]!.points);
      }
      expect(copy.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 3 });
    } finally {
      await copy.close();
    }

    // Left out (the default), the studio file holds no unchecked point.
    const plain = path.join(work, 'studio-plain');
    await exportProjectLabels(store, 'studio', plain);
    const text = await readText(plain, 'studio-labels.json');
    expect(text).not.toContain('"confirmed": false');
    expect(text).toContain('"source": "model"');
  });
});
