/**
 * `labels:save` through the real handler table: a save names the revision of the face it edited,
 * gets the new revision back, and is refused as a `conflict` when that face was saved since;
 * `labels:template` places the template on a face.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResponseOf } from '../../../src-main/shared/ipc-contract';
import { humanPoint } from '../../../src-main/shared/point-provenance';
import { createTestStudio, type TestStudio } from './studio-fixture';

let studio: TestStudio;
beforeEach(async () => {
  studio = await createTestStudio();
});
afterEach(async () => {
  await studio.close();
});

function face(imageId: string, x: number) {
  return {
    imageId,
    points: Array.from({ length: 5 }, (_, i) => humanPoint(x + i, 50, 2)),
    updatedAt: '2026-12-02T10:00:00.000Z',
  };
}

describe('labels:save', () => {
  it('answers the new revision, which the next save names', async () => {
    const imageId = studio.images[0]!.id;
    expect(
      await studio.value('labels:save', { face: face(imageId, 10), baseRevision: null }),
    ).toEqual({ saved: true, revision: 1 });
    expect(await studio.value('labels:save', { face: face(imageId, 20), baseRevision: 1 })).toEqual(
      { saved: true, revision: 2 },
    );
    expect(await studio.value('labels:get', { imageId })).toMatchObject({
      revision: 2,
      points: face(imageId, 20).points,
    });
  });

  it('refuses a save from a view older than the stored face, and keeps the stored face', async () => {
    const imageId = studio.images[1]!.id;
    await studio.value('labels:save', { face: face(imageId, 10), baseRevision: null });
    // A second window that read "no face" before the first one saved.
    const stale = await studio.invoke('labels:save', {
      face: face(imageId, 99),
      baseRevision: null,
    });
    expect(stale).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await studio.value('labels:get', { imageId })).toMatchObject({
      revision: 1,
      points: face(imageId, 10).points,
    });
  });

  it('pushes labels:changed with each durable face at its new revision', async () => {
    const [first, second] = studio.images.map((image) => image.id) as [string, string];
    await studio.value('labels:save', { face: face(first, 10), baseRevision: null });
    await studio.value('labels:save', { face: face(second, 10), baseRevision: null });
    await studio.value('labels:save', { face: face(first, 11), baseRevision: 1 });
    const changed = studio.eventsOf('labels:changed').flatMap((event) => event.faces);
    expect(changed).toEqual([
      { imageId: first, revision: 1 },
      { imageId: second, revision: 1 },
      { imageId: first, revision: 2 },
    ]);
  });

  it('requires the base revision: a save that names none is refused by the contract', async () => {
    const imageId = studio.images[2]!.id;
    const missing = await studio.invoke('labels:save', { face: face(imageId, 10) });
    expect(missing).toMatchObject({
      ok: false,
      error: {
        code: 'invalid-payload',
        message: expect.stringContaining('baseRevision') as unknown,
      },
    });
    const negative = await studio.invoke('labels:save', {
      face: face(imageId, 10),
      baseRevision: -1,
    });
    expect(negative).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(await studio.value('labels:get', { imageId })).toBeNull();
  });
});

describe('labels:template', () => {
  it('answers the template in the box the page holds, saying why the eyes were not used', async () => {
    // The fixture's images are records without files: the eyes cannot be looked for.
    const imageId = studio.images[0]!.id;
    const box = { x: 10, y: 20, width: 40, height: 50 };
    const answer = await studio.value<ResponseOf<'labels:template'>>('labels:template', {
      imageId,
      box,
    });
    expect(answer.fit).toBe('box');
    expect(answer.source).toBe('schema');
    expect(answer.why).toMatch(/eyes could not be found/);
    expect(answer.points).toHaveLength(5);
    for (const [x, y] of answer.points) {
      expect(x).toBeGreaterThanOrEqual(box.x);
      expect(x).toBeLessThanOrEqual(box.x + box.width);
      expect(y).toBeGreaterThanOrEqual(box.y);
      expect(y).toBeLessThanOrEqual(box.y + box.height);
    }
  });

  it('refuses an image the project does not hold', async () => {
    const answer = await studio.invoke('labels:template', { imageId: 'e'.repeat(64) });
    expect(answer).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });
});
