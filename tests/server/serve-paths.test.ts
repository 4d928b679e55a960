/**
 * Paths and numbers that reach a served studio from the page: folder fields with `~` or a relative
 * path, an image of the open project that is a symlink leading out of `--projects-root`, and a
 * label save with absurd coordinates. Two studios are served: one confined to a projects root and
 * one open. The training process is a stand-in that only obeys shutdown.
 */
import { copyFile, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectSession } from '../../src-main/core/project-session';
import { serveStudio, type ServedStudio } from '../../src-main/server/serve';
import { idleTrainingProcess } from '../app/fake-training';
import { createMediaProject, MEDIA_FILES, sniff } from '../core/library/media-project';

let workDir: string;
let root: string;
let confined: ServedStudio;
let open: ServedStudio;
let ids: Record<keyof typeof MEDIA_FILES, string>;
const savedHome = process.env.HOME;

beforeAll(async () => {
  workDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'serve-paths-')));
  root = path.join(workDir, 'root');
  const rendererDir = path.join(workDir, 'renderer');
  await mkdir(rendererDir);
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Studio</title>');
  const maker = new ProjectSession();
  ids = await createMediaProject(maker, path.join(root, 'project'), path.join(root, 'in'));
  await maker.close();
  // Since the import, the JPEG has become a link to a file outside the projects root.
  const outside = path.join(workDir, 'outside');
  await mkdir(outside);
  await copyFile(path.join(root, 'in', MEDIA_FILES.jpeg), path.join(outside, 'secret.jpg'));
  await rm(path.join(root, 'in', MEDIA_FILES.jpeg));
  await symlink(path.join(outside, 'secret.jpg'), path.join(root, 'in', MEDIA_FILES.jpeg));
  // `~` is the home folder of the user the studio runs as; here, the projects root.
  process.env.HOME = root;
  const common = { port: 0, rendererDir, trainingSpawner: idleTrainingProcess };
  confined = await serveStudio({
    ...common,
    dataDir: path.join(workDir, 'd1'),
    projectsRoot: root,
  });
  open = await serveStudio({ ...common, dataDir: path.join(workDir, 'd2') });
}, 60_000);

afterAll(async () => {
  process.env.HOME = savedHome;
  await confined?.close();
  await open?.close();
  await rm(workDir, { recursive: true, force: true });
});

async function invoke(studio: ServedStudio, channel: string, payload: unknown): Promise<unknown> {
  const response = await fetch(new URL('/api/invoke', studio.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-studio-token': studio.bridge.token },
    body: JSON.stringify({ channel, payload }),
  });
  return response.json();
}

function media(studio: ServedStudio, kind: string, id: string): Promise<Response> {
  return fetch(new URL(`/media/${kind}/${id}?token=${studio.bridge.token}`, studio.url));
}

describe('folder fields', () => {
  it('expands ~ to the home folder', async () => {
    for (const studio of [open, confined]) {
      expect(await invoke(studio, 'project:open', { dir: '~/project' })).toMatchObject({
        ok: true,
        value: { dir: path.join(root, 'project') },
      });
    }
  });

  it('refuses a relative path instead of using the server’s working directory', async () => {
    for (const dir of ['project', 'faces/helen', './project']) {
      expect(await invoke(open, 'project:open', { dir })).toEqual({
        ok: false,
        error: {
          code: 'invalid-payload',
          message: `The project folder "${dir}" is a relative path: use an absolute path, e.g. ${path.join(root, 'faces')} (~ is expanded)`,
        },
      });
    }
    expect(await invoke(open, 'project:create', { dir: 'new', name: 'n' })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', message: expect.stringContaining('relative path') },
    });
  });
});

describe('GET /media under a projects root', () => {
  it('does not serve an image that is a link leading out of the root', async () => {
    expect(
      await invoke(confined, 'project:open', { dir: path.join(root, 'project') }),
    ).toMatchObject({ ok: true });
    for (const kind of ['image', 'thumb']) {
      expect((await media(confined, kind, ids.jpeg)).status, kind).toBe(404);
    }
    const inside = await media(confined, 'image', ids.png);
    expect(inside.status).toBe(200);
    expect(sniff(new Uint8Array(await inside.arrayBuffer()))).toBe('png');
  });

  it('serves it where nothing is confined (the studio of the user who owns the files)', async () => {
    expect(await invoke(open, 'project:open', { dir: path.join(root, 'project') })).toMatchObject({
      ok: true,
    });
    const response = await media(open, 'image', ids.jpeg);
    expect(response.status).toBe(200);
    expect(sniff(new Uint8Array(await response.arrayBuffer()))).toBe('jpeg');
  });
});

describe('labels:save over the bridge', () => {
  it('refuses coordinates of ±1e308, naming the image and the point', async () => {
    await invoke(open, 'project:open', { dir: path.join(root, 'project') });
    const person = { v: 2, source: 'human', confirmed: true } as const;
    const points = Array.from({ length: 68 }, (_, i) => ({ x: 10 + i, y: 20 + i, ...person }));
    points[3] = { x: 1e308, y: -1e308, ...person };
    const face = { imageId: ids.png, points, attributes: {}, expression: null, updatedAt: '' };
    expect(await invoke(open, 'labels:save', { face, baseRevision: null })).toEqual({
      ok: false,
      error: {
        code: 'invalid-payload',
        message: expect.stringMatching(
          new RegExp(
            `^Cannot save the face for image ${ids.png} \\(.*face\\.png\\): point 3 \\(x 1e\\+308, y -1e\\+308\\) is too far outside the image`,
          ),
        ),
      },
    });
    expect(await invoke(open, 'labels:get', { imageId: ids.png })).toEqual({
      ok: true,
      value: null,
    });
  });
});
