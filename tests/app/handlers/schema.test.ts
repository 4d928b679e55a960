/**
 * The custom landmark schema from a window: `schema:checkLandmarks` answers the schema a file's
 * text holds, or refuses it with the file and every problem named (the core validator's words);
 * `project:create` with that schema writes it into the project, which opens with it again.
 */
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src-main/app/dispatch';
import { ProjectSession } from '../../../src-main/core/project-session';
import { CUSTOM_LANDMARKS_FILE } from '../../../src-main/core/schemas/project-landmarks';
import type { InvokeChannel } from '../../../src-main/shared/ipc-contract';
import { LandmarkSchema } from '../../../src-main/shared/schemas';
import { idleHandlers } from './studio-fixture';

const LAB12_FILE = path.join(import.meta.dirname, '../../fixtures/schemas/landmarks.lab12.json');

let work: string;
let session: ProjectSession;
let invoke: (channel: InvokeChannel, payload: unknown) => ReturnType<typeof dispatch>;
let lab12Text: string;

beforeEach(async () => {
  work = await realpath(await mkdtemp(path.join(os.tmpdir(), 'studio-schema-handlers-')));
  session = new ProjectSession();
  const handlers = idleHandlers(session, work);
  invoke = (channel, payload) => dispatch(handlers, channel, payload);
  lab12Text = await readFile(LAB12_FILE, 'utf8');
});
afterEach(async () => {
  await session.close();
  await rm(work, { recursive: true, force: true });
});

describe('schema:checkLandmarks', () => {
  it('answers the schema a valid file holds, as the file has it', async () => {
    const result = await invoke('schema:checkLandmarks', {
      file: 'landmarks.lab12.json',
      text: lab12Text,
    });
    expect(result).toEqual({ ok: true, value: JSON.parse(lab12Text) });
  });

  it('refuses text that is not JSON, naming the file', async () => {
    const result = await invoke('schema:checkLandmarks', { file: 'lab.json', text: '{"id": ' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid-payload');
    expect(result.error.message).toMatch(/^lab\.json: not JSON: /);
  });

  it('refuses a schema with every problem named under the file', async () => {
    const raw = LandmarkSchema.parse(JSON.parse(lab12Text));
    const bad = {
      ...raw,
      points: raw.points.map((name, i) => (i === 3 ? raw.points[0]! : name)),
      mirror: [...raw.mirror, [0, 5]],
      normaliser: [4, 12],
    };
    const result = await invoke('schema:checkLandmarks', {
      file: 'bad.json',
      text: JSON.stringify(bad),
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const message = result.error.message;
    expect(message).toContain('Invalid landmark schema bad.json: 4 problems');
    expect(message).toContain(
      'bad.json: points[3]: duplicate name "left_brow_outer" (also points[0])',
    );
    expect(message).toContain(
      'bad.json: mirror[5]: not an involution — point 0 is paired with 3 and with 5',
    );
    expect(message).toContain('bad.json: normaliser[1]: point 12 is out of range 0..11');
  });
});

describe('project:create with a custom schema', () => {
  it('writes the schema into the project, which names it and opens with it', async () => {
    const lab12 = LandmarkSchema.parse(JSON.parse(lab12Text));
    const dir = path.join(work, 'lab');
    const created = await invoke('project:create', { dir, name: 'Lab', landmarkSchema: lab12 });
    expect(created).toMatchObject({ ok: true, value: { meta: { landmarkSchema: 'lab12' } } });
    const written: unknown = JSON.parse(
      await readFile(path.join(dir, CUSTOM_LANDMARKS_FILE), 'utf8'),
    );
    expect(written).toEqual(lab12);
    await invoke('project:close', {});
    await invoke('project:open', { dir });
    expect((await invoke('schema:get', {})) as unknown).toEqual({
      ok: true,
      value: { landmarks: lab12, attributes: null },
    });
    expect((await invoke('schema:template', {})) as unknown).toEqual({
      ok: true,
      value: { template: lab12.template, templateSource: 'schema' },
    });
  });

  it('refuses a custom schema the core validator refuses, and creates nothing', async () => {
    const lab12 = LandmarkSchema.parse(JSON.parse(lab12Text));
    const dir = path.join(work, 'bad');
    const result = await invoke('project:create', {
      dir,
      name: 'Bad',
      landmarkSchema: { ...lab12, edges: [[2, 2]] },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toContain(
      'landmark schema "lab12": edges[0]: joins point 2 to itself',
    );
    expect(await invoke('project:current', {})).toEqual({ ok: true, value: null });
  });
});
