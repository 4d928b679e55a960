/**
 * The whole bad-input corpus through a real project import: every bad annotation file (laid out
 * as its format expects, beside a real face image), every bad class-folder tree, every bad image,
 * and the cases made here at test time (symbolic links leading out of the imported folder, sparse
 * files far over the size limits) is refused with an error or failure that names the file, and
 * every file in the project folder is byte-identical afterwards (hashed before and after). The
 * format tests check each parser message's wording; the new cases' messages are checked here.
 */
import { createHash } from 'node:crypto';
import {
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importIntoProject } from '../../../src-main/core/library/library-service';
import { ProjectStore } from '../../../src-main/core/project-store';
import type { ImportFormat } from '../../../src-main/shared/library';
import { StudioError } from '../../../src-main/shared/errors';
import { BAD_INPUT, DATA } from '../formats/data-paths';

const FIXTURES = fileURLToPath(new URL('../../fixtures/bad-input/', import.meta.url));
const BAD_IMAGES = path.join(FIXTURES, 'images');
const BAD_CLASS_FOLDERS = path.join(FIXTURES, 'class-folders');
/** 320×319 pixels. */
const FACE_JPG = path.join(DATA, '300w-helen', 'test', '296814969_3.jpg');
/** The line-ending and byte-order-mark variants: they must import, so they are not bad input. */
const MUST_IMPORT = /-(crlf|bom|headerless)/;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

type LabelledFormat = Exclude<ImportFormat, 'images'>;

interface Project {
  landmarks: string;
  attributes: string | null;
}

/** Where an import reads from, and the names of which its error must mention one. */
interface Source {
  dir: string;
  names: string[];
}

interface Case extends Project {
  name: string;
  format: LabelledFormat;
  make: () => Promise<Source>;
  /** What the error must say, for the cases whose problem only the import (not a parser) sees. */
  says?: RegExp;
}

let workDir: string;
/** A folder outside every imported folder, holding what the links point at. */
let outside: string;
let counter = 0;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'bad-input-project-'));
  outside = path.join(workDir, 'outside');
  await mkdir(outside);
  await copyFile(FACE_JPG, path.join(outside, 'face.jpg'));
  await copyFile(path.join(BAD_INPUT, 'pts-headerless.pts'), path.join(outside, 'face.pts'));
  await writeFile(path.join(outside, 'training.txt'), mtflLine('face.jpg'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function newFolder(): Promise<string> {
  const folder = path.join(workDir, `source-${++counter}`);
  await mkdir(folder);
  return folder;
}

function mtflLine(file: string): string {
  return `${file} 120 200 160 130 190 140 140 180 230 230 1 2 2 3\n`;
}

function projectFor(format: LabelledFormat): Project {
  switch (format) {
    case 'pts':
    case 'dlib':
      return { landmarks: 'ibug68', attributes: null };
    case 'mtfl':
      return { landmarks: 'five', attributes: 'mtfl' };
    case 'celeba':
      return { landmarks: 'ibug68', attributes: 'celeba40' };
    case 'class-folders':
      return { landmarks: 'ibug68', attributes: 'fer7' };
    default:
      return { landmarks: 'five', attributes: null };
  }
}

/** Fixtures whose problem needs the image (its real size) or the folder; the import's message. */
const IMPORT_MESSAGES: Record<string, RegExp> = {
  'pts-huge-coordinate.pts':
    /pts-huge-coordinate\.jpg: point 30 .*\(x 999999999999, y 149\) is too far outside the image \(allowed: x -320\.\.640, y -319\.\.638 for a 320×319 image\)/,
  'coco-huge-coordinate.json':
    /face\.jpg: point 1 .*\(x 1e\+300, y 140\) is too far outside the image .*\(labelled in .*coco-huge-coordinate\.json\)/,
  'coco-declared-size.json':
    /face\.jpg: declared as 5×5 in .*coco-declared-size\.json, but the image is 320×319/,
  'mtfl-huge-coordinate.txt': /face\.jpg: point 4 .*\(x 1e\+300, y 230\) is too far outside/,
  'dlib-huge-coordinate.xml': /face\.jpg: point 1 .*\(x -1000000000000, y 130\) is too far outside/,
  'dlib-declared-size.xml':
    /face\.jpg: declared as 5000×40 in .*dlib-declared-size\.xml, but the image is 320×319/,
  'dlib-deep-nesting.xml': /dlib-deep-nesting\.xml:4: elements are nested more than 100 deep/,
  'studio-huge-coordinate.json':
    /face\.jpg: point 2 .*\(x 1e\+308, y -1e\+308\) is too far outside/,
  'studio-declared-size.json':
    /face\.jpg: declared as 5×5 in .*studio-declared-size\.json, but the image is 320×319/,
  'celeba-missing-image.txt': /not-there\.jpg: the image file is missing \(labelled in .*celeba/,
};

/** A fixture file laid out as its format expects, with the face image its new cases name. */
function fixtureCase(fixture: string): Case {
  const kind = fixture.split('-')[0] as LabelledFormat;
  const file = path.join(BAD_INPUT, fixture);
  const stem = fixture.replace(/\.[^.]+$/, '');
  const make = async (): Promise<Source> => {
    const folder = await newFolder();
    if (kind === 'pts') {
      await copyFile(file, path.join(folder, `${stem}.pts`));
      await copyFile(FACE_JPG, path.join(folder, `${stem}.jpg`));
      return { dir: folder, names: [`${stem}.pts`, `${stem}.jpg`] };
    }
    if (kind === 'yolo') {
      await mkdir(path.join(folder, 'images'));
      await mkdir(path.join(folder, 'labels'));
      await copyFile(FACE_JPG, path.join(folder, 'images', `${stem}.jpg`));
      if (fixture.endsWith('.yaml')) {
        await copyFile(file, path.join(folder, 'data.yaml'));
      } else {
        await writeFile(path.join(folder, 'data.yaml'), 'kpt_shape: [5, 3]\nnames:\n  0: face\n');
        await copyFile(file, path.join(folder, 'labels', `${stem}.txt`));
      }
      return { dir: folder, names: ['data.yaml', `${stem}.txt`] };
    }
    await copyFile(file, path.join(folder, fixture));
    await copyFile(FACE_JPG, path.join(folder, 'face.jpg'));
    return { dir: path.join(folder, fixture), names: [fixture] };
  };
  const says = IMPORT_MESSAGES[fixture];
  return { name: fixture, format: kind, ...projectFor(kind), make, ...(says ? { says } : {}) };
}

function classFolderCase(tree: string): Case {
  return {
    name: `class-folders/${tree}`,
    format: 'class-folders',
    ...projectFor('class-folders'),
    make: async () => {
      const folder = await newFolder();
      await cp(path.join(BAD_CLASS_FOLDERS, tree), folder, { recursive: true });
      const files = (await readdir(folder, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.startsWith('.'))
        .map((e) => path.relative(folder, path.join(e.parentPath, e.name)));
      return { dir: folder, names: files };
    },
  };
}

const SYMLINK = 'really lies at .*outside the folder being imported';
const DATA_YAML = 'kpt_shape: [5, 3]\nnames:\n  0: face\n';

/** Cases made at test time: links leading out of the folder, sparse files over the limits. */
const madeCases: Case[] = [
  {
    name: 'coco file_name through a linked folder that leads out',
    format: 'coco',
    ...projectFor('coco'),
    says: new RegExp(`linked/face\\.jpg: ${SYMLINK}`),
    make: async () => {
      const folder = await newFolder();
      await symlink(outside, path.join(folder, 'linked'));
      const coco = JSON.parse(
        await readFile(path.join(BAD_INPUT, 'coco-declared-size.json'), 'utf8'),
      ) as { images: { file_name: string; width: number; height: number }[] };
      coco.images = coco.images.map((image) => ({
        ...image,
        file_name: 'linked/face.jpg',
        width: 320,
        height: 319,
      }));
      await writeFile(path.join(folder, 'annotations.json'), JSON.stringify(coco));
      return { dir: folder, names: ['linked/face.jpg'] };
    },
  },
  {
    name: '.pts file that is a link leading out',
    format: 'pts',
    ...projectFor('pts'),
    says: new RegExp(`a\\.pts: ${SYMLINK}`),
    make: async () => {
      const folder = await newFolder();
      await copyFile(FACE_JPG, path.join(folder, 'a.jpg'));
      await symlink(path.join(outside, 'face.pts'), path.join(folder, 'a.pts'));
      return { dir: folder, names: ['a.pts'] };
    },
  },
  {
    name: 'class-folders image that is a link leading out',
    format: 'class-folders',
    ...projectFor('class-folders'),
    says: new RegExp(`happy/a\\.jpg: ${SYMLINK}`),
    make: async () => {
      const folder = await newFolder();
      await mkdir(path.join(folder, 'happy'));
      await symlink(path.join(outside, 'face.jpg'), path.join(folder, 'happy', 'a.jpg'));
      return { dir: folder, names: ['happy/a.jpg'] };
    },
  },
  {
    name: 'yolo image that is a link leading out',
    format: 'yolo',
    ...projectFor('yolo'),
    says: new RegExp(`images/a\\.jpg: ${SYMLINK}`),
    make: async () => {
      const folder = await newFolder();
      await mkdir(path.join(folder, 'images'));
      await mkdir(path.join(folder, 'labels'));
      await writeFile(path.join(folder, 'data.yaml'), DATA_YAML);
      await writeFile(
        path.join(folder, 'labels', 'a.txt'),
        '0 0.5 0.5 0.4 0.4 0.4 0.4 2 0.6 0.4 2 0.5 0.5 2 0.4 0.6 2 0.6 0.6 2\n',
      );
      await symlink(path.join(outside, 'face.jpg'), path.join(folder, 'images', 'a.jpg'));
      return { dir: folder, names: ['images/a.jpg'] };
    },
  },
  {
    name: 'MTFL list that is a link leading out',
    format: 'mtfl',
    ...projectFor('mtfl'),
    says: new RegExp(`training\\.txt: ${SYMLINK}`),
    make: async () => {
      const folder = await newFolder();
      await copyFile(FACE_JPG, path.join(folder, 'face.jpg'));
      await symlink(path.join(outside, 'training.txt'), path.join(folder, 'training.txt'));
      return { dir: folder, names: ['training.txt'] };
    },
  },
  {
    name: 'a sparse 2 GiB annotations.json',
    format: 'coco',
    ...projectFor('coco'),
    says: /annotations\.json: 2\.0 GiB is too large for an annotation file \(the limit is 512 MiB\)/,
    make: async () => {
      const folder = await newFolder();
      await writeFile(path.join(folder, 'annotations.json'), '{}');
      await truncate(path.join(folder, 'annotations.json'), 2 * GiB);
      return { dir: folder, names: ['annotations.json'] };
    },
  },
  {
    name: 'a sparse 2 GiB .pts file',
    format: 'pts',
    ...projectFor('pts'),
    says: /big\.pts: 2\.0 GiB is too large for an annotation file/,
    make: async () => {
      const folder = await newFolder();
      await copyFile(FACE_JPG, path.join(folder, 'big.jpg'));
      await writeFile(path.join(folder, 'big.pts'), '');
      await truncate(path.join(folder, 'big.pts'), 2 * GiB);
      return { dir: folder, names: ['big.pts'] };
    },
  },
  {
    name: 'a labelled image padded to a sparse 700 MiB',
    format: 'studio',
    ...projectFor('studio'),
    says: /big\.jpg: 700 MiB is too large for an image file \(the limit is 640 MiB\)/,
    make: async () => {
      const folder = await newFolder();
      const studio = JSON.parse(
        await readFile(path.join(BAD_INPUT, 'studio-declared-size.json'), 'utf8'),
      ) as { images: { file: string; width?: number; height?: number }[] };
      studio.images = studio.images.map(({ width: _w, height: _h, ...image }) => ({
        ...image,
        file: 'big.jpg',
      }));
      await writeFile(path.join(folder, 'studio-labels.json'), JSON.stringify(studio));
      await copyFile(FACE_JPG, path.join(folder, 'big.jpg'));
      await truncate(path.join(folder, 'big.jpg'), 700 * MiB);
      return { dir: folder, names: ['big.jpg'] };
    },
  },
];

/** Every file and folder under `dir`, each file with the sha256 of its bytes. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name);
    const hash = createHash('sha256');
    if (entry.isFile()) hash.update(await readFile(full));
    out[path.relative(dir, full)] = entry.isFile() ? hash.digest('hex') : 'folder';
  }
  return out;
}

/** The snapshot's files only (an import may make the empty thumbnail folder). */
function filesOf(snap: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(snap).filter(([, value]) => value !== 'folder'));
}

async function newProject(project: Project): Promise<ProjectStore> {
  const store = await ProjectStore.create(path.join(workDir, `p${++counter}`), {
    name: 'bad input',
    landmarkSchema: project.landmarks,
    attributeSchema: project.attributes,
  });
  await store.flush();
  return store;
}

const fixtures = (await readdir(BAD_INPUT)).filter((f) => !MUST_IMPORT.test(f)).sort();
const classFolderTrees = (await readdir(BAD_CLASS_FOLDERS)).sort();
const badImages = (await readdir(BAD_IMAGES)).sort();
const labelledCases = [
  ...fixtures.map(fixtureCase),
  ...classFolderTrees.map(classFolderCase),
  ...madeCases,
];
/** The image cases made at test time, below. */
const MADE_IMAGE_CASES = 2;

describe('bad input never reaches the project', () => {
  it('has a corpus of at least 60 bad inputs across every format', () => {
    expect(labelledCases.length + badImages.length + MADE_IMAGE_CASES).toBeGreaterThanOrEqual(60);
    const formats = new Set(labelledCases.map((c) => c.format));
    expect([...formats].sort()).toEqual([
      'celeba',
      'class-folders',
      'coco',
      'dlib',
      'mtfl',
      'pts',
      'studio',
      'yolo',
    ]);
    expect(badImages.length).toBeGreaterThanOrEqual(7);
    // Every fixture whose problem only the import sees has its message checked here.
    for (const fixture of Object.keys(IMPORT_MESSAGES)) expect(fixtures).toContain(fixture);
  });

  it.each(labelledCases.map((c) => [c.name, c] as const))(
    'refuses %s, naming the file, and leaves the project byte-identical',
    async (_name, c) => {
      const store = await newProject(c);
      const before = await snapshot(store.dir);
      const source = await c.make();
      const error = await importIntoProject(store, { dir: source.dir, format: c.format }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StudioError);
      const message = (error as StudioError).message;
      expect(
        source.names.some((name) => message.includes(name)),
        message,
      ).toBe(true);
      if (c.says) expect(message).toMatch(c.says);
      await store.flush();
      expect(await snapshot(store.dir)).toEqual(before);
      expect(store.listImages()).toHaveLength(0);
      await store.close();
    },
  );
});

describe('bad images never reach the project', () => {
  /**
   * Imports a folder of images twice: as asked (refused when any file is bad) and with skipBad
   * (the good files go in, the bad ones are listed).
   */
  async function importImagesFolder(fill: (folder: string) => Promise<void>) {
    const store = await newProject({ landmarks: 'ibug68', attributes: null });
    const before = await snapshot(store.dir);
    const folder = await newFolder();
    await fill(folder);
    const refusal = await importIntoProject(store, { dir: folder, format: 'images' }).then(
      () => null,
      (e: unknown) => e,
    );
    const outcome = await importIntoProject(store, {
      dir: folder,
      format: 'images',
      skipBad: true,
    });
    await store.flush();
    const after = await snapshot(store.dir);
    await store.close();
    return {
      refusal,
      outcome,
      unchanged: JSON.stringify(filesOf(after)) === JSON.stringify(filesOf(before)),
    };
  }

  it.each(badImages)(
    'refuses %s by name, and with skipBad lists it, adding nothing',
    async (name) => {
      const { refusal, outcome, unchanged } = await importImagesFolder((folder) =>
        copyFile(path.join(BAD_IMAGES, name), path.join(folder, name)),
      );
      expect(refusal).toBeInstanceOf(StudioError);
      expect((refusal as StudioError).message).toContain(name);
      expect(outcome.added).toBe(0);
      expect(outcome.failed).toHaveLength(1);
      expect(outcome.failed[0]!.file).toContain(name);
      expect(outcome.failed[0]!.reason.length).toBeGreaterThan(0);
      expect(unchanged).toBe(true);
    },
  );

  it('refuses a sparse 2 GiB .jpg by its size, before hashing it', async () => {
    const { outcome, unchanged } = await importImagesFolder(async (folder) => {
      await writeFile(path.join(folder, 'huge.jpg'), '');
      await truncate(path.join(folder, 'huge.jpg'), 2 * GiB);
    });
    expect(outcome.added).toBe(0);
    expect(outcome.failed).toEqual([
      {
        file: expect.stringMatching(/huge\.jpg$/),
        reason: expect.stringMatching(
          /huge\.jpg: 2\.0 GiB is too large for an image file \(the limit is 640 MiB\)/,
        ),
      },
    ]);
    expect(unchanged).toBe(true);
  });

  it('refuses an image that is a link leading out of the folder, and follows one inside', async () => {
    const { outcome } = await importImagesFolder(async (folder) => {
      await copyFile(FACE_JPG, path.join(folder, 'inside.jpg'));
      await symlink(path.join(outside, 'face.jpg'), path.join(folder, 'escape.jpg'));
      // A link that stays inside the folder is followed (here its content is a duplicate).
      await symlink(path.join(folder, 'inside.jpg'), path.join(folder, 'link-inside.jpg'));
    });
    expect(outcome.added).toBe(1);
    expect(outcome.duplicates).toBe(1);
    expect(outcome.failed).toEqual([
      {
        file: expect.stringMatching(/escape\.jpg$/),
        reason: expect.stringMatching(
          new RegExp(`escape\\.jpg: really lies at ${outside}/face\\.jpg, outside the folder`),
        ),
      },
    ]);
  });
});
