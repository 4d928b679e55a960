/**
 * The backup taken before a project is upgraded: both files, byte for byte, so a user can go back
 * to the old version of the app with the old files.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateProject } from '../../src-main/core/migrations';
import type { Migration, RawJson } from '../../src-main/core/migrations';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-migrations-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const addNote: Migration = {
  from: 1,
  description: 'faces get a note',
  project: (raw) => raw,
  labels: (raw) => raw && { ...raw, faces: { ...(raw.faces as RawJson), note: '' } },
};

describe('migrateProject', () => {
  it('backs up project.json and labels.json byte for byte before migrating', async () => {
    const projectFile = path.join(dir, 'project.json');
    const labelsFile = path.join(dir, 'labels.json');
    // Odd spacing and key order: a backup that re-serialised the JSON would not match.
    const projectText = '{ "meta": {"schemaVersion": 1, "name": "Old"},\n  "images": [] }\n';
    const labelsText = '{"faces": {"a": {"x": 1.50}},   "schemaVersion": 1}';
    await writeFile(projectFile, projectText);
    await writeFile(labelsFile, labelsText);

    const result = await migrateProject(
      {
        dir,
        projectFile,
        labelsFile,
        project: JSON.parse(projectText) as RawJson,
        labels: JSON.parse(labelsText) as RawJson,
        projectVersion: 1,
        labelsVersion: 1,
        target: 2,
      },
      [addNote],
    );

    const backupDir = result.backupDir;
    if (backupDir === null) throw new Error('the migration took no backup');
    expect(path.dirname(backupDir)).toBe(path.join(dir, 'backup'));
    expect((await readdir(backupDir)).sort()).toEqual(['labels.json', 'project.json']);
    expect(await readFile(path.join(backupDir, 'project.json'), 'utf8')).toBe(projectText);
    expect(await readFile(path.join(backupDir, 'labels.json'), 'utf8')).toBe(labelsText);
    expect(result.labels).toMatchObject({ schemaVersion: 2, faces: { note: '' } });
    expect(result.applied).toEqual(['v1 -> v2: faces get a note']);
  });
});
