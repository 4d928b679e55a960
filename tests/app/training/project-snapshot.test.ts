/**
 * The training side's read of a project goes through ProjectStore's one reader, opened read-only:
 * it sees exactly what the studio's store sees (label journal replayed, edits not yet compacted),
 * reads while the studio holds the project's lock, and refuses a project of a newer schema
 * version by name.
 */
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../../src-main/core/project-store';
import { readLabelledFaces } from '../../../src-main/app/training/finetune-faces';
import { readProjectSnapshot } from '../../../src-main/app/training/project-snapshot';
import {
  pretrainSourcesOf,
  readPretrainSources,
} from '../../../src-main/app/training/pretrain-sources';
import { PROJECT_SCHEMA_VERSION } from '../../../src-main/shared/domain';
import {
  createLabelledProject,
  type LabelledProjectImage,
} from '../../engine/data/labelled-project';

let root: string;
let dir: string;
let images: LabelledProjectImage[];
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-snapshot-'));
  dir = path.join(root, 'project');
  images = await createLabelledProject(dir, { train: 3, val: 1, pool: 1 });
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readProjectSnapshot', () => {
  it('sees exactly what the open store sees, edits still in the label journal included', async () => {
    const store = await ProjectStore.open(dir);
    try {
      const face = store.getFace(images[0]!.id)!;
      await store.saveFace({ ...face, note: 'edited', attributes: { Smiling: false } });
      await store.saveFace({ ...store.getFace(images[1]!.id)!, expression: 'happy' });
      await store.flush();
      // The studio holds the lock and has not compacted: the edits are only in the journal.
      expect((await stat(path.join(dir, 'labels.journal.jsonl'))).size).toBeGreaterThan(0);
      const labels = JSON.parse(await readFile(path.join(dir, 'labels.json'), 'utf8'));
      expect(labels.faces[images[0]!.id]?.note).not.toBe('edited');

      const snapshot = await readProjectSnapshot(dir);
      expect(snapshot.meta).toEqual(store.meta);
      expect(snapshot.images).toEqual(store.listImages());
      for (const image of store.listImages()) {
        expect(snapshot.faces.get(image.id) ?? null).toEqual(store.getFace(image.id));
      }
      expect(snapshot.faces.get(images[0]!.id)?.note).toBe('edited');
      expect(await readPretrainSources(dir)).toEqual(pretrainSourcesOf(store));
    } finally {
      await store.close();
    }
  });

  it('refuses a project of a newer schema version, naming the file and the version', async () => {
    const newer = path.join(root, 'newer');
    await cp(dir, newer, { recursive: true });
    const file = path.join(newer, 'project.json');
    const project = JSON.parse(await readFile(file, 'utf8'));
    project.meta.schemaVersion = PROJECT_SCHEMA_VERSION + 1;
    await writeFile(file, JSON.stringify(project));
    const message = new RegExp(
      `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was written by a newer Face Studio ` +
        `\\(schema version ${PROJECT_SCHEMA_VERSION + 1}`,
    );
    await expect(readLabelledFaces(newer, 'landmarks')).rejects.toThrow(message);
    await expect(readPretrainSources(newer)).rejects.toThrow(message);
    // Nothing was written: the file is as it was left.
    expect(JSON.parse(await readFile(file, 'utf8')).meta.schemaVersion).toBe(
      PROJECT_SCHEMA_VERSION + 1,
    );
  });
});
