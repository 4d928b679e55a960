/**
 * dlib imglab XML: `<dataset><images><image file='…' width height><box top left width height
 * [ignore='1']><part name='00' x y/>…</box></image></images></dataset>`. Integer pixels, 0-based.
 * Part names are point indices (`00`…`67`), or the schema's point names; a part left out is a
 * point not labelled (v 0). Boxes marked `ignore` are regions a detector should skip, not faces.
 */
import { StudioError } from '../../shared/errors';
import { readAnnotationBytes } from '../input-files';
import { ProblemList } from '../problems';
import { carrying, type LabelFormat } from './format';
import { anyEndsWith, filesEndingWith, labelledIn, readEach, withSplitOf } from './label-files';
import type { FormatPoint, LabelledFace, LabelledSet } from './model';
import { faceBox } from './model';
import { checkRelativePath } from './relative-path';
import { parseFiniteNumber } from './text-lines';
import type { XmlElement } from './xml-reader';
import { decodeXmlBytes, escapeXml, readXml } from './xml-reader';

export interface DlibOptions {
  /** Point names in schema order; parts named so are matched by name, numbers by index. */
  pointNames?: readonly string[];
  /** The schema's point count (default: the names' count, or the highest part index + 1). */
  pointCount?: number;
}

function numberAttribute(
  element: XmlElement,
  key: string,
  file: string,
  problems: ProblemList,
  integer = false,
): number | null {
  const raw = element.attributes[key];
  if (raw === undefined) {
    problems.add(file, element.line, `<${element.name}> has no "${key}"`);
    return null;
  }
  const value = parseFiniteNumber(raw.trim());
  if (value === null || (integer && !Number.isInteger(value))) {
    problems.add(
      file,
      element.line,
      `<${element.name}> ${key}="${raw}" is not ${integer ? 'an integer' : 'a finite number'}`,
    );
    return null;
  }
  return value;
}

interface RawFace {
  face: LabelledFace;
  parts: { index: number; x: number; y: number }[];
}

/** A whole file, or a StudioError naming every bad element by line. */
export function parseDlibXml(text: string, file: string, options: DlibOptions = {}): LabelledSet {
  const problems = new ProblemList();
  const root = readXml(text, file, problems);
  problems.throwIfAny(`Cannot import ${file}`);
  if (root!.name !== 'dataset')
    problems.add(file, root!.line, `the root is <${root!.name}>, not <dataset>`);
  const imagesElement = root!.children.find((c) => c.name === 'images');
  if (!imagesElement) problems.add(file, root!.line, '<dataset> has no <images>');
  const byName = new Map((options.pointNames ?? []).map((name, i) => [name, i]));
  let highest = -1;

  const images: { file: string; width?: number; height?: number; faces: RawFace[] }[] = [];
  for (const image of imagesElement?.children ?? []) {
    if (image.name !== 'image') continue;
    const name = image.attributes.file;
    const path =
      name === undefined ? { problem: '<image> has no "file"' } : checkRelativePath(name);
    if ('problem' in path) problems.add(file, image.line, path.problem);
    const record: (typeof images)[number] = { file: 'problem' in path ? '' : path.path, faces: [] };
    for (const key of ['width', 'height'] as const) {
      if (image.attributes[key] === undefined) continue;
      const value = numberAttribute(image, key, file, problems, true);
      if (value !== null && value > 0) record[key] = value;
      else if (value !== null) problems.add(file, image.line, `<image> ${key} must be positive`);
    }
    for (const box of image.children) {
      if (box.name !== 'box') continue;
      const [top, left, width, height] = ['top', 'left', 'width', 'height'].map((k) =>
        numberAttribute(box, k, file, problems),
      );
      if (box.attributes.ignore === '1') continue;
      const raw: RawFace = { face: { points: [] }, parts: [] };
      if (top != null && left != null && width != null && height != null) {
        if (width < 0 || height < 0)
          problems.add(file, box.line, '<box> width and height must not be negative');
        raw.face.box = { x: left, y: top, width: Math.max(width, 0), height: Math.max(height, 0) };
      }
      const seen = new Set<number>();
      for (const part of box.children) {
        if (part.name !== 'part') continue;
        const partName = part.attributes.name;
        const index =
          partName === undefined
            ? undefined
            : (byName.get(partName) ?? (/^\d+$/.test(partName) ? Number(partName) : undefined));
        if (index === undefined) {
          problems.add(
            file,
            part.line,
            `<part> name "${partName ?? ''}" is neither a point index nor a point name`,
          );
          continue;
        }
        const limit =
          options.pointCount ?? (options.pointNames ? options.pointNames.length : undefined);
        if (limit !== undefined && index >= limit) {
          problems.add(
            file,
            part.line,
            `<part> ${partName} is out of range: the schema has ${limit} points`,
          );
          continue;
        }
        if (seen.has(index))
          problems.add(file, part.line, `<part> ${partName} appears twice in this box`);
        seen.add(index);
        const x = numberAttribute(part, 'x', file, problems);
        const y = numberAttribute(part, 'y', file, problems);
        if (x !== null && y !== null) raw.parts.push({ index, x, y });
        highest = Math.max(highest, index);
      }
      record.faces.push(raw);
    }
    images.push(record);
  }
  problems.throwIfAny(`Cannot import ${file}`);

  const count = options.pointCount ?? options.pointNames?.length ?? highest + 1;
  return images.map(({ faces, ...image }) => ({
    ...image,
    faces: faces.map(({ face, parts }) => {
      if (parts.length === 0) return face;
      const points: FormatPoint[] = Array.from({ length: count }, () => ({ x: 0, y: 0, v: 0 }));
      for (const { index, x, y } of parts) points[index] = { x, y, v: 2 };
      return { ...face, points };
    }),
  }));
}

/** Reads a file in its declared encoding (dlib's own files say ISO-8859-1). */
export async function readDlibXmlFile(
  path: string,
  options: DlibOptions = {},
): Promise<LabelledSet> {
  return parseDlibXml(decodeXmlBytes(await readAnnotationBytes(path)), path, options);
}

/** The face's box, else its labelled points' box (the caller skips a face with neither). */
function boxOf(face: LabelledFace): { top: number; left: number; width: number; height: number } {
  const { x, y, width, height } = faceBox(face)!;
  return { top: y, left: x, width, height };
}

/**
 * imglab XML for a set, in UTF-8. dlib stores integer pixels, so positions are rounded; points not
 * labelled are left out; a face without a box gets its points' box.
 */
export function serialiseDlibXml(set: LabelledSet, name = 'Face Studio export'): string {
  const lines = [
    "<?xml version='1.0' encoding='UTF-8'?>",
    '<dataset>',
    `<name>${escapeXml(name)}</name>`,
    '<images>',
  ];
  const attr = (key: string, value: string | number) => `${key}='${escapeXml(String(value))}'`;
  for (const image of set) {
    const size =
      image.width && image.height
        ? ` ${attr('width', image.width)} ${attr('height', image.height)}`
        : '';
    lines.push(`  <image ${attr('file', image.file)}${size}>`);
    for (const face of image.faces) {
      if (!face.box && !face.points.some((p) => p.v > 0)) continue;
      const b = boxOf(face);
      const boxAttrs = (['top', 'left', 'width', 'height'] as const).map((k) =>
        attr(k, Math.round(b[k])),
      );
      const digits = Math.max(2, String(face.points.length - 1).length);
      const parts = face.points.flatMap((p, i) =>
        p.v > 0
          ? [
              `      <part ${attr('name', String(i).padStart(digits, '0'))} ${attr('x', Math.round(p.x))} ${attr('y', Math.round(p.y))}/>`,
            ]
          : [],
      );
      if (parts.length === 0) lines.push(`    <box ${boxAttrs.join(' ')}/>`);
      else lines.push(`    <box ${boxAttrs.join(' ')}>`, ...parts, '    </box>');
    }
    lines.push('  </image>');
  }
  lines.push('</images>', '</dataset>', '');
  return lines.join('\n');
}

/** Every `.xml` in the folder (a name with train/test sets the split). */
export const dlibFormat: LabelFormat = {
  id: 'dlib',
  name: 'dlib XML',
  expects: 'dlib .xml files and the images they name',
  carries: carrying({ points: true, visibility: 'labelled', boxes: true }),
  predictions: ['landmarks'],
  needsPoints: false,
  imageFolder: '',
  detect: ({ files }) => anyEndsWith(files, '.xml'),
  async read({ path, isFile, pointCount, labelFile }) {
    const files = isFile ? [path] : await filesEndingWith(path, '.xml');
    if (files.length === 0) throw new StudioError('not-found', `${path} holds no dlib .xml file`);
    return readEach(files, async (file) =>
      labelledIn(
        file,
        (await readDlibXmlFile(await labelFile(file), { pointCount })).map((image) =>
          withSplitOf(file, image),
        ),
      ),
    );
  },
  write: (set, { name }) => ({
    texts: [{ file: 'labels.xml', text: serialiseDlibXml(set, name) }],
  }),
};
