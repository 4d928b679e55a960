import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMAGE_LINES_FILE, ImageTable, decodeImageLines } from '../../src-main/core/image-table';
import type { LineBase } from '../../src-main/core/image-table';
import { identityOf } from '../../src-main/core/stable-read';
import { PROJECT_CHECK_FILE } from '../../src-main/core/project-check';
import { ProjectJsonFile } from '../../src-main/core/project-file';
import type { ProjectDocument } from '../../src-main/core/project-file';
import { FAST_CHECKS } from '../../src-main/core/record-fast-check';
import { PROJECT_SCHEMA_VERSION } from '../../src-main/shared/domain';
import type { ImageRecord, ProjectMeta } from '../../src-main/shared/domain';
import { imageRecord } from '../support/project-data';

const meta: ProjectMeta = {
  schemaVersion: PROJECT_SCHEMA_VERSION,
  id: '00000000-0000-4000-8000-000000000000',
  name: 'File',
  createdAt: '2026-12-04T00:00:00.000Z',
  landmarkSchema: 'ibug68',
  attributeSchema: null,
};

let dir: string;
let file: string;
let told: { table: ImageTable; written: LineBase }[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'project-file-'));
  file = path.join(dir, 'project.json');
  told = [];
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function adapter(): ProjectJsonFile {
  return new ProjectJsonFile(file, (table, written) => told.push({ table, written }));
}

function documentOf(records: ImageRecord[]): ProjectDocument {
  return { meta, images: ImageTable.fromRecords(records), runs: [], models: [] };
}

describe('ProjectJsonFile', () => {
  it('is never read through lowdb, and says so naming the file', async () => {
    await expect(adapter().read()).rejects.toThrow(
      `${file} is read by ProjectStore.open, not lowdb`,
    );
  });

  it('writes project.json, then the checked note and the sidecar for exact records', async () => {
    expect(FAST_CHECKS).toBe(true);
    const records = [imageRecord(1), imageRecord(2)];
    const document = documentOf(records);
    await adapter().write(document);
    const text = await readFile(file, 'utf8');
    expect(JSON.parse(text)).toEqual({ meta, images: records, runs: [], models: [] });
    const identity = identityOf(await stat(file, { bigint: true }));
    expect(JSON.parse(await readFile(path.join(dir, PROJECT_CHECK_FILE), 'utf8'))).toEqual({
      format: 1,
      projectIdentity: identity,
    });
    const lines = decodeImageLines(await readFile(path.join(dir, IMAGE_LINES_FILE)));
    expect(lines?.projectBytes).toBe(Buffer.byteLength(text));
    expect(told).toHaveLength(1);
    expect(told[0]!.table).toBe(document.images);
  });

  it('writes neither note nor sidecar when a record does not pass the fast checks', async () => {
    // An unknown key: zod would strip it, so the record as written is not one that reads back.
    const odd = { ...imageRecord(2), extra: 1 } as unknown as ImageRecord;
    await adapter().write(documentOf([imageRecord(1), odd]));
    expect(JSON.parse(await readFile(file, 'utf8')).images[1].extra).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['project.json']);
    expect(told).toEqual([]);
  });

  it('writes the note but no sidecar when a path cannot be searched as bytes', async () => {
    const lone = { ...imageRecord(2), path: 'images/\ud800.jpg' };
    await adapter().write(documentOf([imageRecord(1), lone]));
    expect((await readdir(dir)).sort()).toEqual([PROJECT_CHECK_FILE, 'project.json'].sort());
    expect(told).toEqual([]);
  });
});
