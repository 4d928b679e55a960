import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabelsFile, ProjectFile } from '../../src-main/shared/domain';
import { imageId } from '../support/project-data';

const run = promisify(execFile);
const child = path.join(import.meta.dirname, 'fixtures', 'read-only-child.ts');
/**
 * Root writes into a chmod 0o555 folder anyway, so as root the child runs as `nobody` (65534),
 * for whom the permission holds. As any other user the child runs as that user.
 */
const asRoot = process.getuid?.() === 0;
const NOBODY = 65_534;

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'fs-readonly-'));
  if (asRoot) await chown(work, NOBODY, NOBODY);
});
afterEach(async () => {
  await chmod(path.join(work, 'project'), 0o755).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

describe('a read-only project folder', () => {
  it('gives a named io error on every write and loses nothing', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child, work], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
      timeout: 60_000,
    });
    const outcome = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    // The check is only meaningful where permissions apply to the child.
    expect(outcome.uid).not.toBe(0);

    const dir = path.join(work, 'project');
    const readOnlyReason = /the folder .* is read-only or not writable \((EACCES|EPERM|EROFS)\)/;
    expect(outcome.saveFace).toMatchObject({ code: 'io' });
    expect((outcome.saveFace as { message: string }).message).toMatch(
      new RegExp(
        `^Cannot write ${path.join(dir, 'labels.journal.jsonl')}: ${readOnlyReason.source}`,
      ),
    );
    expect(outcome.putImages).toMatchObject({ code: 'io' });
    expect((outcome.putImages as { message: string }).message).toMatch(
      new RegExp(
        `^Cannot write ${path.join(dir, 'images.journal.jsonl')}: ${readOnlyReason.source}`,
      ),
    );
    expect(outcome.create).toMatchObject({ code: 'io' });
    expect((outcome.create as { message: string }).message).toMatch(
      new RegExp(`^Cannot create ${path.join(work, 'read-only', 'runs')}: `),
    );
    expect(outcome.keptInMemory).toBe('2');
    expect(outcome.flushedAfterChmod).toBe(true);

    // The failed label edit was kept in memory and written by close() once the folder was
    // writable; close() also folded the journal into labels.json. The failed index edit changed
    // nothing: an image edit reaches memory only once its journal line is durable.
    const labels = LabelsFile.parse(
      JSON.parse(await readFile(path.join(dir, 'labels.json'), 'utf8')),
    );
    expect(labels.faces[imageId(1)]?.note).toBe('2');
    await expect(stat(path.join(dir, 'labels.journal.jsonl'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    const project = ProjectFile.parse(
      JSON.parse(await readFile(path.join(dir, 'project.json'), 'utf8')),
    );
    expect(project.images.map((image) => image.id)).toEqual([imageId(1)]);
    expect(outcome.imagesAfterFailure).toEqual([imageId(1)]);
  });
});
