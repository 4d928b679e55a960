/**
 * The whole bad-input corpus through a real project: every bad annotation file (laid out as its
 * format expects) and every bad image is refused with an error or failure that names the file,
 * and project.json and labels.json are byte-identical afterwards. The format tests check each
 * message's wording; this checks that nothing reaches the project.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importIntoProject } from '../../../src-main/core/library/library-service';
import { ProjectStore } from '../../../src-main/core/project-store';
import type { ImportFormat } from '../../../src-main/shared/ipc-contract';
import { StudioError } from '../../../src-main/shared/errors';
import { BAD_INPUT, DATA } from '../formats/data-paths';

const BAD_IMAGES = fileURLToPath(new URL('../../fixtures/bad-input/images/', import.meta.url));
const FACE_JPG = path.join(DATA, '300w-helen', 'test', '296814969_3.jpg');
/** The line-ending and byte-order-mark variants: they must import, so they are not bad input. */
const MUST_IMPORT = /-(crlf|bom|headerless)/;

interface Case {
  fixture: string;
  format: Exclude<ImportFormat, 'images'>;
  landmarks: string;
  attributes: string | null;
}

function caseFor(fixture: string): Case {
  const kind = fixture.split('-')[0];
  switch (kind) {
    case 'pts':
    case 'dlib':
      return { fixture, format: kind, landmarks: 'ibug68', attributes: null };
    case 'coco':
    case 'studio':
      return { fixture, format: kind, landmarks: 'five', attributes: null };
    case 'mtfl':
      return { fixture, format: 'mtfl', landmarks: 'five', attributes: 'mtfl' };
    case 'celeba':
      return { fixture, format: 'celeba', landmarks: 'ibug68', attributes: 'celeba40' };
    case 'yolo':
      return { fixture, format: 'yolo', landmarks: 'five', attributes: null };
    default:
      throw new Error(`No format for fixture ${fixture}`);
  }
}

let workDir: string;
let counter = 0;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'bad-input-project-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function projectBytes(store: ProjectStore): Promise<Buffer[]> {
  return Promise.all(['project.json', 'labels.json'].map((f) => readFile(path.join(store.dir, f))));
}

/** Where the import reads from: the file itself, or a folder laid out as the format expects. */
async function sourceFor(c: Case): Promise<{ dir: string; names: string[] }> {
  const file = path.join(BAD_INPUT, c.fixture);
  const stem = c.fixture.replace(/\.[^.]+$/, '');
  const folder = path.join(workDir, `source-${++counter}`);
  if (c.format === 'pts') {
    await mkdir(folder);
    await copyFile(file, path.join(folder, `${stem}.pts`));
    await copyFile(FACE_JPG, path.join(folder, `${stem}.jpg`));
    return { dir: folder, names: [c.fixture, `${stem}.pts`] };
  }
  if (c.format === 'yolo') {
    await mkdir(path.join(folder, 'images'), { recursive: true });
    await mkdir(path.join(folder, 'labels'));
    await copyFile(FACE_JPG, path.join(folder, 'images', `${stem}.jpg`));
    if (c.fixture.endsWith('.yaml')) {
      await copyFile(file, path.join(folder, 'data.yaml'));
    } else {
      await writeFile(path.join(folder, 'data.yaml'), 'kpt_shape: [5, 3]\nnames:\n  0: face\n');
      await copyFile(file, path.join(folder, 'labels', `${stem}.txt`));
    }
    return { dir: folder, names: ['data.yaml', `${stem}.txt`] };
  }
  return { dir: file, names: [c.fixture] };
}

const fixtures = (await readdir(BAD_INPUT)).filter((f) => !MUST_IMPORT.test(f)).sort();

describe('bad annotation files never reach the project', () => {
  it('has a corpus of at least 30 bad files', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures)('refuses %s, naming it, and leaves the project byte-identical', async (f) => {
    const c = caseFor(f);
    const store = await ProjectStore.create(path.join(workDir, `p${++counter}`), {
      name: 'bad input',
      landmarkSchema: c.landmarks,
      attributeSchema: c.attributes,
    });
    const before = await projectBytes(store);
    const source = await sourceFor(c);
    const error = await importIntoProject(store, { dir: source.dir, format: c.format }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StudioError);
    const message = (error as StudioError).message;
    expect(source.names.some((name) => message.includes(name))).toBe(true);
    await store.flush();
    const after = await projectBytes(store);
    expect(after[0]!.equals(before[0]!)).toBe(true);
    expect(after[1]!.equals(before[1]!)).toBe(true);
    expect(store.listImages()).toHaveLength(0);
    await store.close();
  });
});

describe('bad images never reach the project', () => {
  const images = ['bomb.png', 'empty.jpg', 'text.jpg', 'truncated.bmp', 'truncated.jpg'];
  images.push('truncated.png', 'truncated.ppm');

  it.each(images)('refuses %s by name, and with skipBad lists it, adding nothing', async (name) => {
    const store = await ProjectStore.create(path.join(workDir, `p${++counter}`), {
      name: 'bad images',
      landmarkSchema: 'ibug68',
      attributeSchema: null,
    });
    const before = await projectBytes(store);
    const folder = path.join(workDir, `images-${++counter}`);
    await mkdir(folder);
    await copyFile(path.join(BAD_IMAGES, name), path.join(folder, name));
    const error = await importIntoProject(store, { dir: folder, format: 'images' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toContain(name);
    const outcome = await importIntoProject(store, {
      dir: folder,
      format: 'images',
      skipBad: true,
    });
    expect(outcome.added).toBe(0);
    expect(outcome.failed).toHaveLength(1);
    expect(outcome.failed[0]!.file).toContain(name);
    expect(outcome.failed[0]!.reason.length).toBeGreaterThan(0);
    await store.flush();
    const after = await projectBytes(store);
    expect(after[0]!.equals(before[0]!)).toBe(true);
    expect(after[1]!.equals(before[1]!)).toBe(true);
    await store.close();
  });
});
