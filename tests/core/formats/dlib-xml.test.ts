import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseDlibXml,
  readDlibXmlFile,
  serialiseDlibXml,
} from '../../../src-main/core/formats/dlib-xml';
import { DATA, maxPointError } from './data-paths';

const DIR = join(DATA, 'fixtures', 'dlib-faces');

/** Counts read straight from the text, independently of the parser. */
async function countTags(file: string): Promise<{ images: number; boxes: number; parts: number }> {
  const text = await readFile(join(DIR, file), 'latin1');
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  return { images: count(/<image\s/g), boxes: count(/<box\s/g), parts: count(/<part\s/g) };
}

describe('dlib imglab XML', () => {
  it.each(['training_with_face_landmarks.xml', 'testing_with_face_landmarks.xml'])(
    'imports %s: every box a face with 68 points',
    async (file) => {
      const expected = await countTags(file);
      const set = await readDlibXmlFile(join(DIR, file), { pointCount: 68 });
      const faces = set.flatMap((i) => i.faces);
      expect(set).toHaveLength(expected.images);
      expect(faces).toHaveLength(expected.boxes);
      expect(faces.every((f) => f.points.length === 68 && f.box !== undefined)).toBe(true);
      const labelled = faces.flatMap((f) => f.points).filter((p) => p.v === 2).length;
      expect(labelled).toBe(expected.parts);
      expect(set.every((i) => i.width! > 0 && i.height! > 0)).toBe(true);
    },
  );

  it('imports a detection-only file as faces with boxes and no points', async () => {
    const expected = await countTags('training.xml');
    const set = await readDlibXmlFile(join(DIR, 'training.xml'));
    const faces = set.flatMap((i) => i.faces);
    expect(faces).toHaveLength(expected.boxes);
    expect(faces.every((f) => f.points.length === 0)).toBe(true);
  });

  it('gives back its own export (integer pixels) exactly', async () => {
    const set = await readDlibXmlFile(join(DIR, 'testing_with_face_landmarks.xml'), {
      pointCount: 68,
    });
    const once = parseDlibXml(serialiseDlibXml(set), 'once.xml', { pointCount: 68 });
    const twice = parseDlibXml(serialiseDlibXml(once), 'twice.xml', { pointCount: 68 });
    const points = (s: typeof set) => s.flatMap((i) => i.faces.flatMap((f) => f.points));
    expect(maxPointError(points(once), points(set))).toBeLessThan(1e-3);
    expect(maxPointError(points(twice), points(once))).toBeLessThan(1e-3);
    expect(twice.flatMap((i) => i.faces.map((f) => f.box))).toEqual(
      set.flatMap((i) => i.faces.map((f) => f.box)),
    );
  });

  it('rounds fractional points to dlib integers and leaves unlabelled points out', () => {
    const xml = serialiseDlibXml([
      {
        file: "it's & <odd>.jpg",
        faces: [
          {
            points: [
              { x: 10.6, y: 20.2, v: 2 },
              { x: 0, y: 0, v: 0 },
            ],
          },
        ],
      },
    ]);
    const [image] = parseDlibXml(xml, 'odd.xml', { pointCount: 2 });
    expect(image!.file).toBe("it's & <odd>.jpg");
    expect(image!.faces[0]!.points).toEqual([
      { x: 11, y: 20, v: 2 },
      { x: 0, y: 0, v: 0 },
    ]);
  });

  it('matches parts by schema point name, and skips comments, CDATA and ignore boxes', () => {
    const xml = `<?xml version='1.0'?><!-- made by hand --><dataset><name><![CDATA[a <b>]]></name>
      <images><image file='a.jpg'><box top='1' left='2' width='3' height='4' ignore='1'/>
      <box top='1' left='2' width='3' height='4'><part name='nose' x='5' y='6'/></box></image></images></dataset>`;
    const [image] = parseDlibXml(xml, 'named.xml', { pointNames: ['left_eye', 'nose'] });
    expect(image!.faces).toHaveLength(1);
    expect(image!.faces[0]!.points).toEqual([
      { x: 0, y: 0, v: 0 },
      { x: 5, y: 6, v: 2 },
    ]);
  });

  describe('bad input, by exact message', () => {
    const wrap = (image: string) =>
      `<dataset><images>\n<image file="a.jpg"${image}</image>\n</images></dataset>`;
    function messageOf(text: string): string {
      try {
        parseDlibXml(text, 'a.xml');
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('parsed');
    }

    it('reads a number attribute with spaces around it', () => {
      const text = wrap(
        '><box top="1" left="2" width="3" height="4"><part name="0" x=" 12 " y="7"/></box>',
      );
      expect(parseDlibXml(text, 'a.xml')).toEqual([
        {
          file: 'a.jpg',
          faces: [{ points: [{ x: 12, y: 7, v: 2 }], box: { x: 2, y: 1, width: 3, height: 4 } }],
        },
      ]);
    });

    it('names a box attribute that is not a number', () => {
      expect(messageOf(wrap('><box top="abc" left="2" width="3" height="4"/>'))).toBe(
        'Cannot import a.xml: 1 problem\na.xml:2: <box> top="abc" is not a finite number',
      );
    });

    it('names an image size that is not an integer', () => {
      expect(messageOf(wrap(' width="1.5">'))).toBe(
        'Cannot import a.xml: 1 problem\na.xml:2: <image> width="1.5" is not an integer',
      );
    });

    it('names a root that is not <dataset>', () => {
      expect(messageOf('<foo/>')).toBe(
        'Cannot import a.xml: 2 problems\n' +
          'a.xml:1: the root is <foo>, not <dataset>\n' +
          'a.xml:1: <dataset> has no <images>',
      );
    });

    it('says which file is not well-formed XML', () => {
      expect(messageOf('<dataset><images>')).toBe(
        'Cannot import a.xml: 1 problem\na.xml:1: <images> (line 1) is not closed',
      );
    });
  });
});
