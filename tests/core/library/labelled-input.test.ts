/**
 * Reading a labelled set through the format registry: a folder without the chosen format's files
 * is refused with the format it looks like, so the user can pick the right one; an expression
 * named by another name of a class of the project's set is read as that class.
 */
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readLabelledInput } from '../../../src-main/core/library/labelled-input';
import { InputProblemsError } from '../../../src-main/core/problems';
import { serialiseStudioJson } from '../../../src-main/core/formats/studio-json';
import {
  builtinAttributeSchema,
  builtinLandmarkSchema,
} from '../../../src-main/core/schemas/builtin';
import { DATA } from '../formats/data-paths';

const options = { landmarks: builtinLandmarkSchema('five'), attributes: null };

describe('reading a labelled set', () => {
  it('names the format a folder looks like when it has none of the chosen one’s files', async () => {
    await expect(readLabelledInput(path.join(DATA, 'mtfl'), 'coco', options)).rejects.toThrow(
      /holds neither annotations\.json nor any \.json file; it looks like MTFL \(format mtfl\)$/,
    );
    await expect(readLabelledInput(path.join(DATA, 'ck48'), 'celeba', options)).rejects.toThrow(
      /it looks like Expression class folders \(format class-folders\)$/,
    );
    // The hint wraps the format's own error, kept as its cause.
    const error = (await readLabelledInput(path.join(DATA, 'mtfl'), 'coco', options).catch(
      (e: unknown) => e,
    )) as Error & { cause: Error };
    expect(error.cause).toBeInstanceOf(Error);
    expect(`${error.cause.message}; it looks like MTFL (format mtfl)`).toBe(error.message);
  });

  it('says nothing more when the folder looks like no other format', async () => {
    const images = path.join(DATA, 'mtfl', 'lfw_5590');
    await expect(readLabelledInput(images, 'mtfl', options)).rejects.toThrow(
      /holds no MTFL list \(training\.txt, testing\.txt\)$/,
    );
  });
});

describe('expression names', () => {
  it("reads another name of a class (FER's angry, CK+'s happiness) as the set's class, and refuses others", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'labelled-expressions-'));
    try {
      const names = ['a.png', 'b.png', 'c.png'];
      for (const name of names) {
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
          .png()
          .toFile(path.join(dir, name));
      }
      const expressions = ['Angry', 'happiness', 'sleepy'];
      const write = (count: number) =>
        writeFile(
          path.join(dir, 'studio-labels.json'),
          serialiseStudioJson({
            landmarkSchema: null,
            attributeSchema: 'fer7',
            set: names
              .slice(0, count)
              .map((file, i) => ({ file, faces: [{ points: [], expression: expressions[i]! }] })),
          }),
        );
      const fer7 = {
        landmarks: builtinLandmarkSchema('five'),
        attributes: builtinAttributeSchema('fer7'),
      };
      await write(2);
      const input = await readLabelledInput(dir, 'studio', fer7);
      expect(input.images.map((image) => image.faces[0]!.expression)).toEqual(['anger', 'happy']);
      await write(3);
      await expect(readLabelledInput(dir, 'studio', fer7)).rejects.toThrow(
        /c\.png: expression "sleepy" is not one of anger, disgust/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("attributes against the project's set", () => {
  it('names an attribute or class outside the set, and a class value it does not list', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'labelled-attributes-'));
    try {
      for (const name of ['a.png', 'b.png']) {
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
          .png()
          .toFile(path.join(dir, name));
      }
      const write = (faces: object[]) =>
        writeFile(
          path.join(dir, 'studio-labels.json'),
          serialiseStudioJson({
            landmarkSchema: null,
            attributeSchema: 'mtfl',
            set: faces.map((face, i) => ({
              file: `${'ab'[i]}.png`,
              faces: [{ points: [], ...face }],
            })),
          }),
        );
      const mtfl = {
        landmarks: builtinLandmarkSchema('five'),
        attributes: builtinAttributeSchema('mtfl'),
      };
      await write([
        { attributes: { Male: true, Smiling: false }, classes: { pose: 'left' } },
        { attributes: { Eyeglasses: true }, classes: { pose: 'right profile' } },
      ]);
      const input = await readLabelledInput(dir, 'studio', mtfl);
      expect(input.images.map((image) => image.faces[0]!.classes)).toEqual([
        { pose: 'left' },
        { pose: 'right profile' },
      ]);
      // A project without an attribute set takes the labels' attributes unchecked.
      const unchecked = await readLabelledInput(dir, 'studio', { ...mtfl, attributes: null });
      expect(unchecked.images.map((image) => image.faces[0]!.attributes)).toEqual([
        { Male: true, Smiling: false },
        { Eyeglasses: true },
      ]);
      await write([
        {
          attributes: { Male: true, Young: true, pose: true },
          classes: { pose: 'upside down', mood: 'calm' },
        },
        { attributes: { Smiling: true }, classes: { pose: 'frontal' } },
      ]);
      let message = '';
      await readLabelledInput(dir, 'studio', mtfl).catch((error: Error) => {
        message = error.message;
      });
      expect(message).toBe(
        [
          `Cannot import the labelled set in ${dir}: 4 problems`,
          'a.png: attribute "Young" is not in the set mtfl',
          'a.png: attribute "pose" is not in the set mtfl',
          'a.png: pose "upside down" is not one of left profile, left, frontal, right, right profile',
          'a.png: attribute "mood" is not in the set mtfl',
        ].join('\n'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('class folders', () => {
  const ck7 = {
    landmarks: builtinLandmarkSchema('ibug68'),
    attributes: builtinAttributeSchema('ckplus7'),
  };

  it('takes the subject from the pattern given, not the CK+ file names', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'labelled-subject-'));
    try {
      await mkdir(path.join(dir, 'happy'));
      const file = 'S010_006_00000013.png';
      await cp(path.join(DATA, 'ck48', 'happy', file), path.join(dir, 'happy', file));
      const input = await readLabelledInput(dir, 'class-folders', {
        ...ck7,
        subjectPattern: /^S\d+_(\d+)_/,
      });
      expect(input.images.map((image) => [image.file, image.subject])).toEqual([
        ['happy/S010_006_00000013.png', '006'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names a file that is not an image by its path in the set, with the reason alone', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'labelled-not-image-'));
    try {
      await mkdir(path.join(dir, 'happy'));
      await writeFile(path.join(dir, 'happy', 'notes.png'), 'not an image');
      const error = (await readLabelledInput(dir, 'class-folders', ck7).catch(
        (e: unknown) => e,
      )) as InputProblemsError;
      expect(error).toBeInstanceOf(InputProblemsError);
      expect(error.problems).toEqual([
        { file: 'happy/notes.png', message: 'is not a JPEG, PNG, WebP, BMP or PPM image' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a label file the user names', () => {
  it('is read wherever it really lies', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'labelled-named-'));
    try {
      const set = path.join(dir, 'set');
      const elsewhere = path.join(dir, 'elsewhere');
      await mkdir(set);
      await mkdir(elsewhere);
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
        .png()
        .toFile(path.join(set, 'a.png'));
      await writeFile(
        path.join(elsewhere, 'labels.json'),
        serialiseStudioJson({
          landmarkSchema: null,
          attributeSchema: null,
          set: [{ file: 'a.png', faces: [{ points: [] }] }],
        }),
      );
      // The named file is a link out of the set's folder.
      await symlink(path.join(elsewhere, 'labels.json'), path.join(set, 'labels.json'));
      const input = await readLabelledInput(path.join(set, 'labels.json'), 'studio', options);
      expect(input.root).toBe(set);
      expect(input.images.map((image) => image.file)).toEqual(['a.png']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
