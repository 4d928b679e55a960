/**
 * The bad-input corpus: each small file in tests/fixtures/bad-input/formats is fed to its importer,
 * which must refuse it with an error that names the file and the line (or, for JSON, the file and
 * the JSON path), and the problem. The CRLF and BOM variants must import.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCelebaAttributes } from '../../../src-main/core/formats/celeba';
import { parseCoco } from '../../../src-main/core/formats/coco';
import { parseDataYaml } from '../../../src-main/core/formats/data-yaml';
import { parseDlibXml } from '../../../src-main/core/formats/dlib-xml';
import { parseMtfl } from '../../../src-main/core/formats/mtfl';
import { parsePtsFile } from '../../../src-main/core/formats/pts';
import { parseStudioJson } from '../../../src-main/core/formats/studio-json';
import { decodeXmlBytes } from '../../../src-main/core/formats/xml-reader';
import { parseYoloLabel } from '../../../src-main/core/formats/yolo-pose';
import { InputProblemsError, ProblemList } from '../../../src-main/core/problems';
import { StudioError } from '../../../src-main/shared/errors';
import { BAD_INPUT } from './data-paths';

type Importer = (text: string, file: string) => unknown;

function throwing<T>(what: (problems: ProblemList) => T, file: string): T {
  const problems = new ProblemList();
  const result = what(problems);
  problems.throwIfAny(`Cannot import ${file}`);
  return result;
}

const importers: Record<string, Importer> = {
  pts: (text, file) => parsePtsFile(text, file, { pointCount: 68 }),
  coco: (text, file) => parseCoco(text, file, { pointCount: 3 }),
  mtfl: (text, file) => parseMtfl(text, file),
  celeba: (text, file) => parseCelebaAttributes(text, file),
  dlib: (text, file) => parseDlibXml(text, file, { pointCount: 68 }),
  yolo: (text, file) =>
    throwing(
      (p) =>
        parseYoloLabel(
          text,
          file,
          { kptShape: [3, 3], names: ['face'] },
          { width: 100, height: 80 },
          p,
        ),
      file,
    ),
  yaml: (text, file) => throwing((p) => parseDataYaml(text, file, p), file),
  studio: (text, file) => parseStudioJson(text, file, { pointCount: 5 }),
};

/** [fixture, importer, where and what the error must say]. */
const rejected: [string, string, RegExp][] = [
  ['pts-67-points.pts', 'pts', /pts-67-points\.pts:2: 67 points, the schema has 68/],
  ['pts-nan.pts', 'pts', /pts-nan\.pts:10: not a finite number: "NaN 12\.5"/],
  ['pts-infinity.pts', 'pts', /pts-infinity\.pts:4: not a finite number/],
  ['pts-three-values.pts', 'pts', /pts-three-values\.pts:24: expected "x y", found 3/],
  [
    'pts-truncated-header.pts',
    'pts',
    /pts-truncated-header\.pts:3: expected "\{" after the header/,
  ],
  ['pts-no-count.pts', 'pts', /pts-no-count\.pts:2: expected "n_points: N"/],
  ['pts-missing-close.pts', 'pts', /pts-missing-close\.pts:40: file ends before the closing "\}"/],
  ['pts-count-mismatch.pts', 'pts', /pts-count-mismatch\.pts:2: n_points is 70 but 68 found/],
  ['coco-missing-file-name.json', 'coco', /coco-missing-file-name\.json: images\[1\]\.file_name: /],
  [
    'coco-missing-keypoints.json',
    'coco',
    /coco-missing-keypoints\.json: annotations\[0\]\.keypoints: /,
  ],
  [
    'coco-unknown-image-id.json',
    'coco',
    /coco-unknown-image-id\.json: annotations\[1\] \(id 2\): image_id 7 is not in images/,
  ],
  ['coco-duplicate-ids.json', 'coco', /coco-duplicate-ids\.json: images: duplicate id 1/],
  [
    'coco-traversal.json',
    'coco',
    /coco-traversal\.json: images\[0\]\.file_name: .*leaves the dataset root/,
  ],
  ['coco-absolute.json', 'coco', /coco-absolute\.json: images\[0\]\.file_name: .*is absolute/],
  [
    'coco-windows-absolute.json',
    'coco',
    /coco-windows-absolute\.json: images\[1\]\.file_name: .*is absolute/,
  ],
  [
    'coco-visibility.json',
    'coco',
    /coco-visibility\.json: annotations\[1\] \(id 2\): keypoint 1 \(right_eye\) has visibility 3/,
  ],
  [
    'coco-keypoint-count.json',
    'coco',
    /coco-keypoint-count\.json: annotations\[1\] \(id 2\): 6 keypoint values, expected 9/,
  ],
  [
    'coco-skeleton-range.json',
    'coco',
    /coco-skeleton-range\.json: categories\[0\]\.skeleton\[1\]: point out of range/,
  ],
  ['coco-negative-id.json', 'coco', /coco-negative-id\.json: annotations\[0\]\.id: /],
  ['coco-truncated.txt', 'coco', /coco-truncated\.txt:\d+: not valid JSON/],
  ['coco-nan.txt', 'coco', /coco-nan\.txt:22: not valid JSON: Unexpected token 'N'/],
  ['mtfl-columns.txt', 'mtfl', /mtfl-columns\.txt:2: expected 15 columns, found 14/],
  ['mtfl-non-numeric.txt', 'mtfl', /mtfl-non-numeric\.txt:3: x3 is not a finite number: "4x5"/],
  ['mtfl-nan.txt', 'mtfl', /mtfl-nan\.txt:1: x4 is not a finite number: "NaN"/],
  [
    'mtfl-codes.txt',
    'mtfl',
    /mtfl-codes\.txt:1: Male must be 1 or 2, not "3"\n.*mtfl-codes\.txt:1: pose must be 1\.\.5, not "6"/,
  ],
  ['mtfl-traversal.txt', 'mtfl', /mtfl-traversal\.txt:1: .*leaves the dataset root/],
  ['celeba-count.txt', 'celeba', /celeba-count\.txt:1: the count says 3 images but 2 rows follow/],
  [
    'celeba-row-width.txt',
    'celeba',
    /celeba-row-width\.txt:4: expected a file name and 3 values, found 3 fields/,
  ],
  ['celeba-value.txt', 'celeba', /celeba-value\.txt:3: Male must be -1 or 1, not "0"/],
  ['celeba-no-count.txt', 'celeba', /celeba-no-count\.txt:1: expected the image count/],
  ['dlib-doctype.xml', 'dlib', /dlib-doctype\.xml:2: DOCTYPE declarations are not allowed/],
  ['dlib-entity.xml', 'dlib', /dlib-entity\.xml:4: unknown entity &xxe;/],
  ['dlib-part-range.xml', 'dlib', /dlib-part-range\.xml:7: <part> 68 is out of range/],
  ['dlib-box-attr.xml', 'dlib', /dlib-box-attr\.xml:5: <box> has no "height"/],
  ['dlib-traversal.xml', 'dlib', /dlib-traversal\.xml:4: .*leaves the dataset root/],
  ['dlib-absolute.xml', 'dlib', /dlib-absolute\.xml:4: .*is absolute/],
  ['dlib-mismatched.xml', 'dlib', /dlib-mismatched\.xml:8: <\/image> closes <box> \(line 5\)/],
  [
    'dlib-non-numeric.xml',
    'dlib',
    /dlib-non-numeric\.xml:7: <part> x="abc" is not a finite number/,
  ],
  ['yolo-out-of-range.txt', 'yolo', /yolo-out-of-range\.txt:2: cx 1\.2 is outside 0\.\.1/],
  [
    'yolo-point-range.txt',
    'yolo',
    /yolo-point-range\.txt:1: keypoint 1 \(-0\.1, 0\.4\) is outside 0\.\.1/,
  ],
  ['yolo-columns.txt', 'yolo', /yolo-columns\.txt:1: expected 14 values .*found 13/],
  [
    'yolo-visibility.txt',
    'yolo',
    /yolo-visibility\.txt:1: keypoint 2 visibility 3 is not 0, 1 or 2/,
  ],
  ['yolo-nan.txt', 'yolo', /yolo-nan\.txt:1: value 4 is not a finite number: "nan"/],
  ['yolo-class.txt', 'yolo', /yolo-class\.txt:1: class 3 is not one of 0\.\.0/],
  [
    'dlib-deep-nesting.xml',
    'dlib',
    /dlib-deep-nesting\.xml:4: elements are nested more than 100 deep/,
  ],
  ['yolo-no-kpt-shape.yaml', 'yaml', /yolo-no-kpt-shape\.yaml: no kpt_shape/],
  ['yolo-bad-flip.yaml', 'yaml', /yolo-bad-flip\.yaml:2: flip_idx is not an involution/],
  ['yolo-bad-shape.yaml', 'yaml', /yolo-bad-shape\.yaml:1: kpt_shape must be \[points, 2 or 3\]/],
  ['studio-newer-version.json', 'studio', /studio-newer-version\.json: version 3 is newer/],
  [
    'studio-traversal.json',
    'studio',
    /studio-traversal\.json: images\[0\]\.file: .*leaves the dataset root/,
  ],
  [
    'studio-bad-visibility.json',
    'studio',
    /studio-bad-visibility\.json: images\[0\]\.faces\[0\]\.points\[2\]\.v: /,
  ],
];

/** [fixture, importer, faces expected]: line-ending and byte-order-mark variants that must read. */
const accepted: [string, string, number][] = [
  ['pts-crlf.pts', 'pts', 68],
  ['pts-bom.pts', 'pts', 68],
  ['pts-headerless.pts', 'pts', 68],
  ['mtfl-crlf-bom.txt', 'mtfl', 2],
  ['celeba-crlf.txt', 'celeba', 2],
  ['dlib-bom-crlf.xml', 'dlib', 1],
  ['coco-bom.json', 'coco', 2],
  ['yolo-crlf.txt', 'yolo', 2],
];

/**
 * Fixtures a parser accepts but the import refuses, once it reads the image beside them (its real
 * size bounds the coordinates and must match a declared one) or the folder: their messages are
 * checked in tests/core/library/bad-input-project.test.ts.
 */
const refusedOnImport = [
  'pts-huge-coordinate.pts',
  'coco-huge-coordinate.json',
  'coco-declared-size.json',
  'mtfl-huge-coordinate.txt',
  'dlib-huge-coordinate.xml',
  'dlib-declared-size.xml',
  'studio-huge-coordinate.json',
  'studio-declared-size.json',
  'celeba-missing-image.txt',
];

async function load(name: string): Promise<string> {
  const bytes = await readFile(join(BAD_INPUT, name));
  return name.endsWith('.xml')
    ? decodeXmlBytes(bytes)
    : new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
}

/** How many faces (or points, for .pts) an import gave, whatever the importer returns. */
function countOf(result: unknown): number {
  if (Array.isArray(result)) {
    return result.every((r) => 'faces' in r)
      ? result.flatMap((r) => r.faces).length
      : result.length;
  }
  return countOf((result as { set: unknown }).set);
}

describe('bad input to the format importers', () => {
  it.each(rejected)(
    'rejects %s (%s) naming the file, place and problem',
    async (file, kind, pattern) => {
      const text = await load(file);
      let error: unknown;
      try {
        importers[kind]!(text, file);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StudioError);
      expect(error).toBeInstanceOf(InputProblemsError);
      expect((error as StudioError).code).toBe('invalid-payload');
      expect((error as Error).message).toMatch(pattern);
    },
  );

  it.each(accepted)('imports %s (%s) despite CRLF / BOM', async (file, kind, count) => {
    const text = await load(file);
    expect(/\r\n|^\uFEFF/.test(text) || file.includes('headerless')).toBe(true);
    expect(countOf(importers[kind]!(text, file))).toBe(count);
  });

  it('reports every bad line of a file in one error, not just the first', async () => {
    const text = await load('mtfl-many-problems.txt');
    const error = (() => {
      try {
        parseMtfl(text, 'mtfl-many-problems.txt');
      } catch (e) {
        return e as InputProblemsError;
      }
      return null;
    })();
    expect(error?.problems.map((p) => p.line)).toEqual([2, 3, 5]);
    expect(error?.message).toMatch(/^Cannot import mtfl-many-problems\.txt: 3 problems/);
  });

  it('covers every fixture in the corpus', async () => {
    const listed = new Set([...rejected, ...accepted].map(([file]) => file));
    listed.add('mtfl-many-problems.txt');
    for (const file of refusedOnImport) listed.add(file);
    expect((await readdir(BAD_INPUT)).filter((f) => !listed.has(f))).toEqual([]);
  });
});
