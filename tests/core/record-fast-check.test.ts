import { describe, expect, it, vi } from 'vitest';
import {
  driftedSchemas,
  fastLabelsFile,
  fastProjectFile,
  isExactFaceAnnotation,
  isExactImageRecord,
} from '../../src-main/core/record-fast-check';
import { FaceAnnotation, ImageRecord, LabelsFile } from '../../src-main/shared/domain';
import type * as Domain from '../../src-main/shared/domain';
import { faceWithCounter, imageId, imageRecord } from '../support/project-data';

/** Every way to change one field (or add one) that the checks must judge like zod does. */
const ODD_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  2,
  3,
  Number.POSITIVE_INFINITY,
  Number.NaN,
  '',
  'x',
  'a'.repeat(64),
  true,
  [],
  ['no-face'],
  ['bogus'],
  {},
  { x: 1, y: 2, width: 3, height: 4 },
  { x: 1, y: 2, width: -3, height: 4 },
  'z'.repeat(10_001),
  'human',
  'model',
  'template',
  false,
];

type Raw = Record<string, unknown>;

/** The value with `key` replaced (or deleted) at the path, copied. */
function withField(value: Raw, path: readonly (string | number)[], replacement: unknown): Raw {
  const copy = structuredClone(value);
  let target: Raw = copy;
  for (const step of path.slice(0, -1)) target = target[step] as Raw;
  const last = path.at(-1)!;
  if (replacement === undefined) delete target[last];
  else target[last] = replacement;
  return copy;
}

function agreesWithZod(
  check: (value: unknown) => boolean,
  schema: { safeParse(value: unknown): { success: boolean; data?: unknown } },
  value: unknown,
): void {
  const zod = schema.safeParse(value);
  if (check(value)) {
    // Accepted: zod must accept it too and give back an equal object.
    expect(zod.success, JSON.stringify(value).slice(0, 200)).toBe(true);
    expect(zod.data).toEqual(value);
  }
}

describe('record fast checks', () => {
  it('know exactly the fields of the domain schemas, so the fast path is on', () => {
    // A field added to domain.ts must be added to CHECKED_FIELDS and its check.
    expect(driftedSchemas()).toEqual([]);
  });

  it('name a schema that gained a field, and turn the fast path off', async () => {
    vi.resetModules();
    vi.doMock('../../src-main/shared/domain', async (importOriginal) => {
      const actual = await importOriginal<typeof Domain>();
      return { ...actual, Box: actual.Box.extend({ angle: actual.Box.shape.x }) };
    });
    try {
      const drifted = await import('../../src-main/core/record-fast-check');
      expect(drifted.driftedSchemas()).toEqual(['Box']);
      expect(drifted.FAST_CHECKS).toBe(false);
    } finally {
      vi.doUnmock('../../src-main/shared/domain');
      vi.resetModules();
    }
  });

  it('accept the records the store writes', () => {
    expect(isExactImageRecord(imageRecord(1))).toBe(true);
    expect(
      isExactImageRecord({ ...imageRecord(1), face: null, flags: ['no-face'], subject: 's' }),
    ).toBe(true);
    expect(isExactImageRecord({ ...imageRecord(1), source: '/photos/a.jpg' })).toBe(true);
    expect(isExactFaceAnnotation(faceWithCounter(imageId(1), 1))).toBe(true);
    const face = { ...faceWithCounter(imageId(1), 1), box: { x: 1, y: 2, width: 3, height: 4 } };
    expect(isExactFaceAnnotation({ ...face, classes: { pose: 'frontal' } })).toBe(true);
  });

  it('never accept an image record that zod rejects or would change', () => {
    const base = imageRecord(1) as unknown as Raw;
    const paths = [
      ['id'],
      ['path'],
      ['source'],
      ['width'],
      ['height'],
      ['split'],
      ['subject'],
      ['face'],
      ['flags'],
      ['extra'],
      ['face', 'box'],
      ['face', 'score'],
      ['face', 'box', 'width'],
      ['face', 'crop', 'x'],
      ['face', 'extra'],
    ];
    let rejected = 0;
    for (const path of paths) {
      for (const value of ODD_VALUES) {
        const changed = withField(base, path, value);
        agreesWithZod(isExactImageRecord, ImageRecord, changed);
        if (!isExactImageRecord(changed)) rejected += 1;
      }
    }
    expect(rejected).toBeGreaterThan(paths.length * 10);
  });

  it('never accept a face that zod rejects or would change', () => {
    const base = faceWithCounter(imageId(1), 1, 5) as unknown as Raw;
    const paths = [
      ['imageId'],
      ['points'],
      ['box'],
      ['attributes'],
      ['classes'],
      ['expression'],
      ['note'],
      ['updatedAt'],
      ['revision'],
      ['extra'],
      ['points', 0],
      ['points', 1, 'x'],
      ['points', 1, 'v'],
      ['points', 1, 'source'],
      ['points', 1, 'confirmed'],
      ['points', 1, 'predicted'],
      ['points', 1, 'uncertainty'],
      ['points', 1, 'extra'],
      ['attributes', 'smiling'],
    ];
    for (const path of paths) {
      for (const value of ODD_VALUES) {
        agreesWithZod(isExactFaceAnnotation, FaceAnnotation, withField(base, path, value));
      }
    }
    // Defaults zod would fill in send the face to zod.
    expect(isExactFaceAnnotation(withField(base, ['note'], undefined))).toBe(false);
    expect(isExactFaceAnnotation(withField(base, ['points', 1, 'v'], 3))).toBe(false);
    expect(isExactFaceAnnotation(withField(base, ['revision'], undefined))).toBe(false);
    expect(isExactFaceAnnotation(withField(base, ['revision'], 7))).toBe(true);
  });

  it('give faces saved before revisions existed revision 0, as zod would, on the fast path', () => {
    const { revision: _dropped, ...legacy } = faceWithCounter(imageId(1), 1);
    const file = { schemaVersion: 1, faces: { [imageId(1)]: legacy } };
    const expected = { schemaVersion: 1, faces: { [imageId(1)]: { ...legacy, revision: 0 } } };
    expect(LabelsFile.parse(structuredClone(file))).toEqual(expected);
    expect(fastLabelsFile(file)).toEqual(expected);
  });

  it('hand whole files to zod when one item is off', () => {
    const faces = { [imageId(1)]: faceWithCounter(imageId(1), 1) };
    expect(fastLabelsFile({ schemaVersion: 1, faces })).toEqual({ schemaVersion: 1, faces });
    // A face under another image's id.
    expect(
      fastLabelsFile({ schemaVersion: 1, faces: { [imageId(2)]: faces[imageId(1)] } }),
    ).toBeNull();
    expect(fastLabelsFile({ schemaVersion: 1, faces, extra: 1 })).toBeNull();
    const meta = {
      schemaVersion: 1,
      id: 'p',
      name: 'n',
      createdAt: 'now',
      landmarkSchema: 'ibug68',
      attributeSchema: null,
    };
    const project = { meta, images: [imageRecord(1)], runs: [], models: [] };
    expect(fastProjectFile(project)).toEqual(project);
    expect(fastProjectFile({ ...project, meta: { ...meta, name: '' } })).toBeNull();
    expect(fastProjectFile({ ...project, images: [{ ...imageRecord(1), width: 0 }] })).toBeNull();
  });
});
