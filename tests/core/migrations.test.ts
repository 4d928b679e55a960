/**
 * The app's own migrations, on a project as an older Face Studio wrote it (the generic machinery,
 * with made-up steps, is tested in project-store.test.ts and labels-journal.test.ts).
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeJournalLine, JOURNAL_FILE } from '../../src-main/core/labels-journal';
import { ProjectStore } from '../../src-main/core/project-store';
import { LabelsFile, PROJECT_SCHEMA_VERSION } from '../../src-main/shared/domain';
import { imageId, imageRecord } from '../support/project-data';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-migrate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A version 1 face: `predicted` marked a model's (with uncertainty) or template's guess. */
function v1Face(n: number, points: Record<string, unknown>[]): Record<string, unknown> {
  return {
    imageId: imageId(n),
    points,
    attributes: {},
    expression: null,
    note: '',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** project.json as version 1 wrote it, with images 0 … count − 1. */
function v1ProjectJson(landmarkSchema: string, count: number): string {
  return JSON.stringify({
    meta: {
      schemaVersion: 1,
      id: 'v1',
      name: 'Version 1',
      createdAt: '2026-01-01T00:00:00.000Z',
      landmarkSchema,
      attributeSchema: null,
    },
    images: Array.from({ length: count }, (_, n) => imageRecord(n)),
    runs: [],
    models: [],
  });
}

const POINTS = Array.from({ length: 68 }, (_, i) => i);

/** Writes a version 1 project (68 points) with faces 0 (a person's) and 1 (pre-labelled). */
async function writeV1Project(): Promise<{ project: string; labels: string }> {
  const project = v1ProjectJson('ibug68', 2);
  const labels = JSON.stringify({
    schemaVersion: 1,
    faces: {
      [imageId(0)]: v1Face(
        0,
        POINTS.map((i) => ({ x: i, y: i, v: 2 })),
      ),
      [imageId(1)]: v1Face(
        1,
        POINTS.map((i) => ({ x: i, y: 1, v: 2, predicted: true, uncertainty: 0.1 })),
      ),
    },
  });
  await writeFile(path.join(dir, 'project.json'), project);
  await writeFile(path.join(dir, 'labels.json'), labels);
  return { project, labels };
}

/** What the store holds of faces 0 and 1: who placed their first point, and whether confirmed. */
function provenance(store: ProjectStore): unknown[] {
  return [0, 1].map((n) => {
    const point = store.getFace(imageId(n))!.points[0]!;
    return [point.source, point.confirmed];
  });
}

const MIGRATED = [
  ['human', true],
  ['model', false],
];

describe('migration from version 1: who placed each point', () => {
  it('turns predicted points into unconfirmed model or template points, after a byte-exact backup', async () => {
    expect(PROJECT_SCHEMA_VERSION).toBe(2);
    const project = v1ProjectJson('my-lab-3', 4);
    const faces = {
      // Placed by a person.
      [imageId(0)]: v1Face(0, [
        { x: 1, y: 2, v: 2 },
        { x: 3, y: 4, v: 1 },
        { x: 0, y: 0, v: 0 },
      ]),
      // Pre-labelled; the person confirmed point 0 (which dropped its flag and doubt).
      [imageId(1)]: v1Face(1, [
        { x: 5, y: 6, v: 2 },
        { x: 7, y: 8, v: 2, predicted: true, uncertainty: 0.03 },
        { x: 9, y: 10, v: 2, predicted: true, uncertainty: 0 },
      ]),
      // A template dropped into the face box: predicted, no doubt.
      [imageId(2)]: v1Face(2, [
        { x: 11, y: 12, v: 2, predicted: true },
        { x: 13, y: 14, v: 2, predicted: true },
        { x: 15, y: 16, v: 2, predicted: true },
      ]),
    };
    // Spaced, as no Face Studio writes it: the backup must hold these very bytes.
    const labels = JSON.stringify({ schemaVersion: 1, faces }, null, 3);
    await writeFile(path.join(dir, 'project.json'), project);
    await writeFile(path.join(dir, 'labels.json'), labels);
    // The project's own three-point schema, beside project.json.
    await writeFile(
      path.join(dir, 'landmark-schema.json'),
      JSON.stringify({
        id: 'my-lab-3',
        name: 'Three points',
        points: ['a', 'b', 'c'],
        groups: [],
        edges: [],
        mirror: [],
        normaliser: [0, 1],
        template: [
          [0, 0],
          [1, 0],
          [0.5, 1],
        ],
      }),
    );
    // An edit still in a version 1 journal: pre-labelled, then a person confirmed nothing.
    const journalFace = v1Face(3, [
      { x: 1, y: 1, v: 2, predicted: true, uncertainty: 0.5 },
      { x: 2, y: 2, v: 2, predicted: true, uncertainty: 0.25 },
      { x: 3, y: 3, v: 2, predicted: true, uncertainty: 0.125 },
    ]);
    await writeFile(path.join(dir, JOURNAL_FILE), encodeJournalLine(1, [journalFace]));

    const store = await ProjectStore.open(dir);
    try {
      const backups = await readdir(path.join(dir, 'backup'));
      expect(backups).toHaveLength(1);
      const backup = path.join(dir, 'backup', backups[0]!);
      expect(await readFile(path.join(backup, 'labels.json'), 'utf8')).toBe(labels);
      expect(await readFile(path.join(backup, 'project.json'), 'utf8')).toBe(project);

      expect(store.getFace(imageId(0))!.points).toEqual([
        { x: 1, y: 2, v: 2, source: 'human', confirmed: true },
        { x: 3, y: 4, v: 1, source: 'human', confirmed: true },
        { x: 0, y: 0, v: 0, source: 'human', confirmed: true },
      ]);
      expect(store.getFace(imageId(1))!.points).toEqual([
        { x: 5, y: 6, v: 2, source: 'human', confirmed: true },
        { x: 7, y: 8, v: 2, source: 'model', confirmed: false, uncertainty: 0.03 },
        { x: 9, y: 10, v: 2, source: 'model', confirmed: false, uncertainty: 0 },
      ]);
      expect(store.getFace(imageId(2))!.points.map((p) => [p.source, p.confirmed])).toEqual([
        ['template', false],
        ['template', false],
        ['template', false],
      ]);
      expect(store.getFace(imageId(3))!.points.map((p) => [p.source, p.confirmed])).toEqual([
        ['model', false],
        ['model', false],
        ['model', false],
      ]);
      // One face a person labelled; three still to review. Version 1 counted all four.
      expect(store.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 3 });

      const onDisk = LabelsFile.parse(
        JSON.parse(await readFile(path.join(dir, 'labels.json'), 'utf8')),
      );
      expect(onDisk.schemaVersion).toBe(2);
      expect(onDisk.faces[imageId(3)]!.points[0]).toEqual({
        x: 1,
        y: 1,
        v: 2,
        source: 'model',
        confirmed: false,
        uncertainty: 0.5,
      });
    } finally {
      await store.close();
    }
    // Opened again: nothing left to migrate, no second backup.
    await (await ProjectStore.open(dir)).close();
    expect(await readdir(path.join(dir, 'backup'))).toHaveLength(1);
  });

  it('finishes a migration cut between its two writes, backing up the labels it wrote too', async () => {
    const { project } = await writeV1Project();
    await (await ProjectStore.open(dir)).close();
    const labelsV2 = await readFile(path.join(dir, 'labels.json'), 'utf8');
    expect(JSON.parse(labelsV2)).toMatchObject({ schemaVersion: 2 });
    // The crash: labels.json (and its summary) at version 2, project.json not yet written.
    await writeFile(path.join(dir, 'project.json'), project);

    const store = await ProjectStore.open(dir);
    try {
      // Version 2's labels are taken as they are, not upgraded twice.
      expect(provenance(store)).toEqual(MIGRATED);
      const backups = await readdir(path.join(dir, 'backup'));
      expect(backups).toHaveLength(2);
      const second = backups.find((name) => backups.every((other) => other <= name))!;
      // Both files, as the open found them: the labels a person made are in the backup too.
      expect(await readFile(path.join(dir, 'backup', second, 'project.json'), 'utf8')).toBe(
        project,
      );
      expect(await readFile(path.join(dir, 'backup', second, 'labels.json'), 'utf8')).toBe(
        labelsV2,
      );
    } finally {
      await store.close();
    }
    const migrated = JSON.parse(await readFile(path.join(dir, 'project.json'), 'utf8')) as {
      meta: { schemaVersion: number };
    };
    expect(migrated.meta.schemaVersion).toBe(2);
  });

  it('migrates a version 1 labels.json put back beside a version 2 project.json', async () => {
    const { labels } = await writeV1Project();
    await (await ProjectStore.open(dir)).close();
    // An older copy of labels.json restored by hand (a backup's, or another machine's).
    await writeFile(path.join(dir, 'labels.json'), labels);

    const store = await ProjectStore.open(dir);
    try {
      expect(provenance(store)).toEqual(MIGRATED);
      expect(store.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 1 });
    } finally {
      await store.close();
    }
    const onDisk = LabelsFile.parse(
      JSON.parse(await readFile(path.join(dir, 'labels.json'), 'utf8')),
    );
    expect(onDisk.schemaVersion).toBe(2);
  });
});
