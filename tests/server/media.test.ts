/**
 * The bridge's GET /media/<kind>/<id> over a real project session: only with the token, only ids
 * the open project lists (never a path), each format with its own content type, and BMP and PPM
 * (which browsers do not show) converted to PNG.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectSession } from '../../src-main/core/project-session';
import { startBridge, type Bridge } from '../../src-main/server/bridge';
import { findMediaFile } from '../../src-main/server/media-files';
import {
  createMediaProject,
  MEDIA_FILES,
  sniff,
  thumbnailSizeOf,
  type MediaFormat,
} from '../core/library/media-project';
import { stubHandlers } from './stub-handlers';

interface BinaryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function get(port: number, urlPath: string): Promise<BinaryResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: urlPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

let workDir: string;
let session: ProjectSession;
let bridge: Bridge;
let ids: Record<MediaFormat, string>;
let imagesDir: string;
const PROJECT_SECRET = 'not an image: the project folder must stay unreachable';

const withToken = (urlPath: string) => `${urlPath}?token=${bridge.token}`;

beforeAll(async () => {
  workDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'bridge-media-')));
  const rendererDir = path.join(workDir, 'renderer');
  await mkdir(rendererDir, { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Studio</title>');
  session = new ProjectSession();
  bridge = await startBridge({
    port: 0,
    rendererDir,
    handlers: stubHandlers([]),
    media: (kind, imageId) => findMediaFile(session, kind, imageId),
  });
  imagesDir = path.join(workDir, 'images');
  ids = await createMediaProject(session, path.join(workDir, 'project'), imagesDir);
  await writeFile(path.join(workDir, 'project', 'secret.txt'), PROJECT_SECRET);
}, 60_000);

afterAll(async () => {
  await bridge?.close();
  await session?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('GET /media/…', () => {
  it('refuses a request without the token (401) or with a wrong one (403)', async () => {
    const missing = await get(bridge.port, `/media/image/${ids.jpeg}`);
    expect(missing.status).toBe(401);
    expect(sniff(missing.body)).toBe('other');
    const wrong = await get(bridge.port, `/media/image/${ids.jpeg}?token=${'x'.repeat(32)}`);
    expect(wrong.status).toBe(403);
    expect(sniff(wrong.body)).toBe('other');
  });

  it('answers 404 for ids that are not sha256 hex, and for other kinds', async () => {
    for (const attempt of [
      '/media/image/abc',
      `/media/image/${ids.jpeg.slice(1)}`,
      `/media/image/${ids.jpeg.toUpperCase()}`,
      `/media/image/${ids.jpeg}x`,
      '/media/image/..%2f..%2fproject%2fsecret.txt',
      '/media/image/..%2fproject.json',
      '/media/thumb/../../project/secret.txt',
      `/media/file/${ids.jpeg}`,
      `/media/image/${ids.jpeg}/extra`,
      `/media/IMAGE/${ids.jpeg}`,
    ]) {
      const response = await get(bridge.port, withToken(attempt));
      expect(response.status, attempt).toBe(404);
      expect(response.body.toString('latin1'), attempt).not.toContain(PROJECT_SECRET);
    }
  });

  it('answers 404 for a well-formed id the open project does not list', async () => {
    const stranger = createHash('sha256').update('an image of another project').digest('hex');
    expect((await get(bridge.port, withToken(`/media/image/${stranger}`))).status).toBe(404);
    expect((await get(bridge.port, withToken(`/media/thumb/${stranger}`))).status).toBe(404);
  });

  it('serves JPEG, PNG and WebP images as they are, with their content type', async () => {
    const expected = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' } as const;
    for (const [format, contentType] of Object.entries(expected) as [
      'jpeg' | 'png' | 'webp',
      string,
    ][]) {
      const response = await get(bridge.port, withToken(`/media/image/${ids[format]}`));
      expect(response.status, format).toBe(200);
      expect(response.headers['content-type'], format).toBe(contentType);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(sniff(response.body), format).toBe(format);
      expect(response.body.equals(await readFile(path.join(imagesDir, MEDIA_FILES[format])))).toBe(
        true,
      );
    }
  });

  it('converts BMP and PPM images to PNG of the same size', async () => {
    for (const [format, width, height] of [
      ['bmp', 160, null],
      ['ppm', 150, 225],
    ] as const) {
      const response = await get(bridge.port, withToken(`/media/image/${ids[format]}`));
      expect(response.status, format).toBe(200);
      expect(response.headers['content-type'], format).toBe('image/png');
      expect(sniff(response.body), format).toBe('png');
      const meta = await sharp(response.body).metadata();
      expect(meta.width, format).toBe(width);
      if (height !== null) expect(meta.height, format).toBe(height);
    }
  });

  it('serves a WebP thumbnail of every format, made on first request', async () => {
    for (const format of Object.keys(MEDIA_FILES) as MediaFormat[]) {
      const response = await get(bridge.port, withToken(`/media/thumb/${ids[format]}`));
      expect(response.status, format).toBe(200);
      expect(response.headers['content-type'], format).toBe('image/webp');
      expect(sniff(response.body), format).toBe('webp');
      const meta = await sharp(response.body).metadata();
      const image = session.require().getImage(ids[format])!;
      const want = thumbnailSizeOf(image.width, image.height);
      const [long, short] = want.landscape
        ? [meta.width!, meta.height!]
        : [meta.height!, meta.width!];
      expect(long, format).toBe(want.long);
      expect(Math.abs(short - want.short), format).toBeLessThanOrEqual(1);
    }
  });

  it('answers 404 once the project is closed', async () => {
    await session.close();
    try {
      expect((await get(bridge.port, withToken(`/media/image/${ids.jpeg}`))).status).toBe(404);
    } finally {
      // Open again: the other tests share the session and may run after this one.
      await session.open(path.join(workDir, 'project'));
    }
    expect((await get(bridge.port, withToken(`/media/image/${ids.jpeg}`))).status).toBe(200);
  });
});
