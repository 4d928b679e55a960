/**
 * `serveStudio` wires the project session to the bridge: a label save that reaches the disk is
 * pushed to every connected page as `labels:flushed`, so the header's labelled count can follow,
 * and as `labels:changed` with the face's new revision, so another tab showing it reloads it.
 * The training process is a stand-in that only obeys shutdown; this is about the wiring.
 */
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serveStudio, type ServedStudio } from '../../src-main/server/serve';
import { idleTrainingProcess } from '../app/fake-training';
import { createMediaProject } from '../core/library/media-project';
import { ProjectSession } from '../../src-main/core/project-session';

let workDir: string;
let studio: ServedStudio;
let imageId: string;
/** A second project, so each test starts from a project no other test has labelled. */
let otherImageId: string;

beforeAll(async () => {
  workDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'serve-test-')));
  const rendererDir = path.join(workDir, 'renderer');
  await mkdir(rendererDir);
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Studio</title>');
  // A project with images, made beforehand and closed, for the served studio to open.
  const maker = new ProjectSession();
  const ids = await createMediaProject(
    maker,
    path.join(workDir, 'project'),
    path.join(workDir, 'in'),
  );
  imageId = ids.jpeg;
  const otherIds = await createMediaProject(
    maker,
    path.join(workDir, 'other-project'),
    path.join(workDir, 'other-in'),
  );
  otherImageId = otherIds.jpeg;
  await maker.close();
  studio = await serveStudio({
    port: 0,
    dataDir: path.join(workDir, 'data'),
    rendererDir,
    trainingSpawner: idleTrainingProcess,
  });
}, 60_000);

afterAll(async () => {
  await studio?.close();
  await rm(workDir, { recursive: true, force: true });
});

async function invoke(channel: string, payload: unknown): Promise<unknown> {
  const response = await fetch(new URL('/api/invoke', studio.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-studio-token': studio.bridge.token },
    body: JSON.stringify({ channel, payload }),
  });
  return response.json();
}

describe('serveStudio', () => {
  it('pushes labels:flushed with the number of faces written after labels:save', async () => {
    expect(await invoke('project:open', { dir: path.join(workDir, 'project') })).toMatchObject({
      ok: true,
      value: { labelledCount: 0 },
    });
    const socket = new WebSocket(
      `ws://127.0.0.1:${studio.bridge.port}/api/events?token=${studio.bridge.token}`,
    );
    try {
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const flushed = new Promise<unknown>((resolve) =>
        socket.on('message', (data) => {
          const message = JSON.parse(String(data)) as { event: string; payload: unknown };
          if (message.event === 'labels:flushed') resolve(message.payload);
        }),
      );
      const points = Array.from({ length: 68 }, (_, i) => ({
        x: 10 + i,
        y: 20 + i,
        v: 2,
        source: 'human',
        confirmed: true,
      }));
      const saved = await invoke('labels:save', {
        face: {
          imageId,
          points,
          attributes: {},
          expression: null,
          updatedAt: new Date().toISOString(),
        },
        baseRevision: null,
      });
      expect(saved).toEqual({ ok: true, value: { saved: true, revision: 1 } });
      expect(await flushed).toEqual({ count: 1 });
      expect(await invoke('project:current', {})).toMatchObject({
        ok: true,
        value: { labelledCount: 1 },
      });
    } finally {
      socket.terminate();
    }
  });

  it('pushes labels:changed to every page and refuses a save from a stale page', async () => {
    expect(
      await invoke('project:open', { dir: path.join(workDir, 'other-project') }),
    ).toMatchObject({
      ok: true,
    });
    const url = `ws://127.0.0.1:${studio.bridge.port}/api/events?token=${studio.bridge.token}`;
    const pages = [new WebSocket(url), new WebSocket(url)];
    const imageId = otherImageId;
    try {
      await Promise.all(
        pages.map(
          (page) =>
            new Promise((resolve, reject) => {
              page.once('open', resolve);
              page.once('error', reject);
            }),
        ),
      );
      // Both pages read the face: none yet.
      expect(await invoke('labels:get', { imageId })).toEqual({ ok: true, value: null });
      const heard = pages.map(
        (page) =>
          new Promise<unknown>((resolve) =>
            page.on('message', (data) => {
              const message = JSON.parse(String(data)) as { event: string; payload: unknown };
              if (message.event === 'labels:changed') resolve(message.payload);
            }),
          ),
      );
      const face = (x: number) => ({
        imageId,
        points: Array.from({ length: 68 }, (_, i) => ({
          x: x + i,
          y: 20 + i,
          v: 2,
          source: 'human',
          confirmed: true,
        })),
        updatedAt: new Date().toISOString(),
      });
      expect(await invoke('labels:save', { face: face(30), baseRevision: null })).toEqual({
        ok: true,
        value: { saved: true, revision: 1 },
      });
      const changed = { faces: [{ imageId, revision: 1 }] };
      expect(await Promise.all(heard)).toEqual([changed, changed]);

      // The other page still holds the revision read before: its save is refused.
      expect(await invoke('labels:save', { face: face(90), baseRevision: null })).toMatchObject({
        ok: false,
        error: { code: 'conflict' },
      });
      expect(await invoke('labels:get', { imageId })).toMatchObject({
        ok: true,
        value: { revision: 1, points: face(30).points },
      });
    } finally {
      pages.forEach((page) => page.terminate());
    }
  });
});
