/**
 * Valid but odd input must still import through a real project, with the guards on bad input in
 * place: Windows line endings, UTF-8 byte-order marks, .pts files without their header, and file
 * names outside ASCII.
 */
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importIntoProject } from '../../../src-main/core/library/library-service';
import { ProjectStore } from '../../../src-main/core/project-store';
import type { ImportFormat } from '../../../src-main/shared/library';
import { BAD_INPUT, DATA } from '../formats/data-paths';

/** Distinct face photos (each 300 px or more on a side), so no two are duplicates. */
const FACES = ['296814969_3', '2968560214_1', '2968784797_1', '296961468_1'].map((name) =>
  path.join(DATA, '300w-helen', 'test', `${name}.jpg`),
);

let workDir: string;
let counter = 0;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'odd-input-project-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function importInto(
  format: Exclude<ImportFormat, 'images'>,
  project: { landmarks: string; attributes: string | null },
  fill: (folder: string) => Promise<string>,
): Promise<{ store: ProjectStore; labelled: number }> {
  const store = await ProjectStore.create(path.join(workDir, `p${++counter}`), {
    name: 'odd input',
    landmarkSchema: project.landmarks,
    attributeSchema: project.attributes,
  });
  const folder = path.join(workDir, `source-${++counter}`);
  await mkdir(folder);
  const dir = await fill(folder);
  const outcome = await importIntoProject(store, { dir, format });
  expect(outcome.failed).toEqual([]);
  return { store, labelled: outcome.labelled };
}

function faceOf(store: ProjectStore, fileEnd: string) {
  const image = store.listImages().find((record) => record.path.endsWith(fileEnd));
  return image ? store.getFace(image.id) : null;
}

describe('valid but odd input imports', () => {
  it('.pts with CRLF, with a BOM, without a header, and under a unicode name', async () => {
    const { store, labelled } = await importInto(
      'pts',
      { landmarks: 'ibug68', attributes: null },
      async (folder) => {
        const files = ['pts-crlf', 'pts-bom', 'pts-headerless', 'visage-été-顔'];
        for (const [i, stem] of files.entries()) {
          const fixture = stem.startsWith('pts-') ? stem : 'pts-crlf';
          await copyFile(path.join(BAD_INPUT, `${fixture}.pts`), path.join(folder, `${stem}.pts`));
          await copyFile(FACES[i]!, path.join(folder, `${stem}.jpg`));
        }
        return folder;
      },
    );
    expect(labelled).toBe(4);
    for (const stem of ['pts-crlf', 'pts-bom', 'pts-headerless', 'visage-été-顔']) {
      // The fixtures' first point is (10, 20) in 300-W's 1-based pixels.
      expect(faceOf(store, `${stem}.jpg`)?.points[0], stem).toMatchObject({ x: 9, y: 19, v: 2 });
    }
    await store.close();
  });

  it('a set reached through a link to its folder, with a link inside that stays inside', async () => {
    const { store, labelled } = await importInto(
      'pts',
      { landmarks: 'ibug68', attributes: null },
      async (folder) => {
        const real = path.join(folder, 'real-set');
        await mkdir(path.join(real, 'pool'), { recursive: true });
        await copyFile(FACES[0]!, path.join(real, 'pool', 'a.jpg'));
        await symlink(path.join(real, 'pool', 'a.jpg'), path.join(real, 'a.jpg'));
        await copyFile(path.join(BAD_INPUT, 'pts-crlf.pts'), path.join(real, 'a.pts'));
        await symlink(real, path.join(folder, 'link-to-set'));
        return path.join(folder, 'link-to-set');
      },
    );
    expect(labelled).toBe(1);
    expect(faceOf(store, 'a.jpg')?.points[0]).toMatchObject({ x: 9, y: 19 });
    await store.close();
  });

  it('an MTFL list with CRLF and a BOM', async () => {
    const { store, labelled } = await importInto(
      'mtfl',
      { landmarks: 'five', attributes: 'mtfl' },
      async (folder) => {
        await mkdir(path.join(folder, 'lfw'));
        await copyFile(FACES[0]!, path.join(folder, 'lfw', 'a.jpg'));
        await copyFile(FACES[1]!, path.join(folder, 'lfw', 'b.jpg'));
        const list = path.join(folder, 'training.txt');
        await copyFile(path.join(BAD_INPUT, 'mtfl-crlf-bom.txt'), list);
        return list;
      },
    );
    expect(labelled).toBe(2);
    expect(faceOf(store, 'a.jpg')?.points[0]).toMatchObject({ x: 30, y: 40 });
    await store.close();
  });

  it('a CelebA list with CRLF and a BOM', async () => {
    const { store, labelled } = await importInto(
      'celeba',
      { landmarks: 'ibug68', attributes: 'celeba40' },
      async (folder) => {
        await copyFile(FACES[0]!, path.join(folder, '000001.jpg'));
        await copyFile(FACES[1]!, path.join(folder, '000002.jpg'));
        await copyFile(
          path.join(BAD_INPUT, 'celeba-crlf.txt'),
          path.join(folder, 'list_attr_celeba.txt'),
        );
        return folder;
      },
    );
    expect(labelled).toBe(2);
    expect(faceOf(store, '000001.jpg')?.attributes).toMatchObject({ Smiling: true, Male: false });
    await store.close();
  });

  it('a dlib XML with a BOM and CRLF', async () => {
    const { store, labelled } = await importInto(
      'dlib',
      { landmarks: 'ibug68', attributes: null },
      async (folder) => {
        await copyFile(FACES[0]!, path.join(folder, 'a.jpg'));
        await copyFile(path.join(BAD_INPUT, 'dlib-bom-crlf.xml'), path.join(folder, 'labels.xml'));
        return folder;
      },
    );
    expect(labelled).toBe(1);
    expect(faceOf(store, 'a.jpg')?.points[1]).toMatchObject({ x: 35, y: 16, v: 2 });
    await store.close();
  });

  it('a COCO file with a BOM, CRLF and a unicode file_name', async () => {
    const { store, labelled } = await importInto(
      'coco',
      { landmarks: 'five', attributes: null },
      async (folder) => {
        await mkdir(path.join(folder, 'visages'));
        await copyFile(FACES[0]!, path.join(folder, 'visages', 'été-顔.jpg'));
        const coco = {
          images: [{ id: 1, file_name: 'visages/été-顔.jpg', width: 320, height: 319 }],
          annotations: [
            {
              id: 1,
              image_id: 1,
              category_id: 1,
              keypoints: [120, 140, 2, 200, 140, 2, 160, 180, 1, 130, 230, 2, -5, 330, 2],
              num_keypoints: 5,
            },
          ],
          categories: [{ id: 1, name: 'face', keypoints: ['a', 'b', 'c', 'd', 'e'] }],
        };
        const text = '\uFEFF' + JSON.stringify(coco, null, 2).replace(/\n/g, '\r\n');
        await writeFile(path.join(folder, 'annotations.json'), text);
        return folder;
      },
    );
    expect(labelled).toBe(1);
    // A point slightly outside the frame (a cut-off chin) is kept as it is.
    expect(faceOf(store, 'été-顔.jpg')?.points[4]).toMatchObject({ x: -5, y: 330, v: 2 });
    await store.close();
  });
});
