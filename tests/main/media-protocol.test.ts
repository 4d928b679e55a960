/**
 * Electron's studio-media:// scheme against the mocked electron module and a real project
 * session: it serves the open project's thumbnails and images by id and answers 404 to anything
 * else (its privileged registration: privileged-schemes.test.ts).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock'));

import { protocol, resetElectronMock } from './electron-mock';
import { ProjectSession } from '../../src-main/core/project-session';
import { handleMediaRequests, MEDIA_SCHEME } from '../../src-main/main/media-protocol';
import {
  createMediaProject,
  sniff,
  thumbnailSizeOf,
  type MediaFormat,
} from '../core/library/media-project';

let workDir: string;
let session: ProjectSession;
let ids: Record<MediaFormat, string>;

beforeAll(async () => {
  workDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'media-protocol-')));
  session = new ProjectSession();
  ids = await createMediaProject(session, path.join(workDir, 'project'), path.join(workDir, 'in'));
}, 60_000);

afterAll(async () => {
  await session?.close();
  await rm(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  resetElectronMock();
});

function handlerFor(projects: ProjectSession) {
  handleMediaRequests(projects);
  const handler = protocol.handlers.get(MEDIA_SCHEME);
  if (!handler) throw new Error('no handler for studio-media');
  return (url: string) => handler(new Request(url));
}

describe('studio-media://', () => {
  it('serves a thumbnail of the open project as WebP', async () => {
    const fetchMedia = handlerFor(session);
    const response = await fetchMedia(`studio-media://thumb/${ids.jpeg}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/webp');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(sniff(bytes)).toBe('webp');
    // The HELEN JPEG is larger than a thumbnail: its longer side comes down to exactly 256.
    const image = session.require().getImage(ids.jpeg)!;
    expect(Math.max(image.width, image.height)).toBeGreaterThan(256);
    const meta = await sharp(bytes).metadata();
    const want = thumbnailSizeOf(image.width, image.height);
    expect(Math.max(meta.width!, meta.height!)).toBe(want.long);
    expect(Math.abs(Math.min(meta.width!, meta.height!) - want.short)).toBeLessThanOrEqual(1);
  });

  it('serves JPEG as it is and a PPM as PNG', async () => {
    const fetchMedia = handlerFor(session);
    const jpeg = await fetchMedia(`studio-media://image/${ids.jpeg}`);
    expect(jpeg.headers.get('content-type')).toBe('image/jpeg');
    expect(sniff(new Uint8Array(await jpeg.arrayBuffer()))).toBe('jpeg');
    const ppm = await fetchMedia(`studio-media://image/${ids.ppm}`);
    expect(ppm.headers.get('content-type')).toBe('image/png');
    const png = new Uint8Array(await ppm.arrayBuffer());
    expect(sniff(png)).toBe('png');
    expect(await sharp(png).metadata()).toMatchObject({ width: 150, height: 225 });
  });

  it('answers 404 to bad ids, unknown ids, other kinds and hosts', async () => {
    const fetchMedia = handlerFor(session);
    const stranger = createHash('sha256').update('not in this project').digest('hex');
    for (const url of [
      'studio-media://thumb/abc',
      `studio-media://thumb/${ids.jpeg.slice(2)}`,
      'studio-media://thumb/..%2f..%2fproject.json',
      'studio-media://image/../../project.json',
      `studio-media://thumb/${stranger}`,
      `studio-media://file/${ids.jpeg}`,
      `studio-media://evil.example/${ids.jpeg}`,
      `studio-media://thumb/${ids.jpeg}/more`,
    ]) {
      const response = await fetchMedia(url);
      expect(response.status, url).toBe(404);
      expect(response.headers.get('content-type') ?? '', url).not.toMatch(/^image\//);
    }
  });

  it('answers 404 while no project is open', async () => {
    const fetchMedia = handlerFor(new ProjectSession());
    expect((await fetchMedia(`studio-media://thumb/${ids.jpeg}`)).status).toBe(404);
  });
});
