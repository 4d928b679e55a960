import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_CHECK_FILE } from '../../src-main/core/project-check';
import { PROJECT_FILE, ProjectStore } from '../../src-main/core/project-store';
import type { NewProject } from '../../src-main/core/project-store';
import { imageRecord } from '../support/project-data';

const init: NewProject = { name: 'Checked', landmarkSchema: 'ibug68', attributeSchema: null };

describe('project.checked.json', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'fs-checked-'));
    dir = path.join(root, 'project');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function identity(file: string): Promise<string> {
    const info = await stat(file, { bigint: true });
    return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}`;
  }

  /** project.json with its first record's width made invalid (0). */
  async function breakRecord(): Promise<void> {
    const file = path.join(dir, PROJECT_FILE);
    const text = await readFile(file, 'utf8');
    const broken = text.replace(`"width":${imageRecord(0).width}`, '"width":0');
    expect(broken).not.toBe(text);
    await writeFile(file, broken);
  }

  async function project(): Promise<void> {
    const store = await ProjectStore.create(dir, init);
    await store.putImages([0, 1, 2].map((n) => imageRecord(n)));
    await store.close();
  }

  it('is written after project.json with its identity, and a reopen reads the same records', async () => {
    await project();
    const note = JSON.parse(await readFile(path.join(dir, PROJECT_CHECK_FILE), 'utf8')) as {
      projectIdentity: string;
    };
    expect(note.projectIdentity).toBe(await identity(path.join(dir, PROJECT_FILE)));
    const store = await ProjectStore.open(dir);
    expect(store.listImages().map((record) => record.id)).toEqual(
      [0, 1, 2].map((n) => imageRecord(n).id),
    );
    expect(store.library.size).toBe(3);
    await store.close();
  });

  it('is written at open for records that passed their checks when no note vouched for them', async () => {
    await project();
    await rm(path.join(dir, PROJECT_CHECK_FILE));
    const store = await ProjectStore.open(dir);
    await store.close();
    const note = JSON.parse(await readFile(path.join(dir, PROJECT_CHECK_FILE), 'utf8')) as {
      projectIdentity: string;
    };
    expect(note.projectIdentity).toBe(await identity(path.join(dir, PROJECT_FILE)));
  });

  it('vouches for nothing once project.json is written by anything else: its records are checked', async () => {
    await project();
    await breakRecord();
    await expect(ProjectStore.open(dir)).rejects.toThrow(/project\.json is invalid: images\.0/);
  });

  it('is trusted only for the identity it records (so a hand edit that kept it is not checked)', async () => {
    await project();
    await breakRecord();
    // The note rewritten to the edited file's identity: the open skips the record checks.
    await writeFile(
      path.join(dir, PROJECT_CHECK_FILE),
      JSON.stringify({ format: 1, projectIdentity: await identity(path.join(dir, PROJECT_FILE)) }),
    );
    const store = await ProjectStore.open(dir);
    expect(store.listImages()[0]?.width).toBe(0);
    await store.close();
    // A read-only open does not trust it.
    await expect(ProjectStore.open(dir, { readOnly: true })).rejects.toThrow(
      /project\.json is invalid: images\.0/,
    );
  });
});
