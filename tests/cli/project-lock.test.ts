/**
 * Two processes on one project. `face-studio serve` holds a project open; `face-studio import` on
 * it fails naming the server and leaves project.json byte-identical (it used to add its images and
 * report them, and the server's next write put the old index back); `project info` still reads it;
 * once the server stops, the import works. `pretrain` runs while another process holds the
 * project and writes none of its files (it used to open the project and compact its labels).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src-main/core/project-lock';
import { ProjectStore } from '../../src-main/core/project-store';
import { createTinyProject } from '../support/tiny-project';
import { TINY_TEST_CONFIG } from '../support/engine-helpers';
import { faceWithCounter } from '../support/project-data';
import { CHILD_TEST_TIMEOUT_MS, runCli, spawnServe } from './run-cli';

let workDir: string;
const live = new Set<ChildProcessWithoutNullStreams>();

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-lock-'));
});
afterAll(async () => {
  for (const child of live) child.kill('SIGKILL');
  await rm(workDir, { recursive: true, force: true });
});

/** Starts `serve` and resolves with its URL once it printed it; rejects if it ends first. */
async function startServe(
  projects: string,
): Promise<{ child: ChildProcessWithoutNullStreams; url: string; exited: Promise<number | null> }> {
  const child = await spawnServe(workDir, projects);
  live.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}/.exec(stdout);
      if (match) resolve(match[0]);
    });
    void exited.then((code) => reject(new Error(`serve ended (${code}): ${stdout}${stderr}`)));
  });
  return { child, url, exited };
}

async function invoke(url: string, channel: string, payload: unknown): Promise<unknown> {
  const response = await fetch(new URL('/api/invoke', url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-studio-token': new URL(url).searchParams.get('token') ?? '',
    },
    body: JSON.stringify({ channel, payload }),
  });
  return response.json();
}

describe('a project held by another process', { timeout: CHILD_TEST_TIMEOUT_MS * 2 }, () => {
  it('refuses a CLI import while serve has the project open, and takes it once serve stops', async () => {
    const projects = path.join(workDir, 'projects');
    const project = path.join(projects, 'faces');
    const made = await ProjectStore.create(project, {
      name: 'Faces',
      landmarkSchema: 'ibug68',
      attributeSchema: null,
    });
    await made.close();
    const source = path.join(workDir, 'new-images');
    await mkdir(source);
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } })
      .png()
      .toFile(path.join(source, 'face.png'));

    const serve = await startServe(projects);
    expect(await invoke(serve.url, 'project:open', { dir: project })).toMatchObject({
      ok: true,
      value: { imageCount: 0 },
    });
    const before = await readFile(path.join(project, 'project.json'));

    const refused = await runCli(['import', source, '--project', project]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `face-studio: The project ${project} is open in face-studio serve, pid ${serve.child.pid} ` +
        `on host ${os.hostname()} since `,
    );
    expect(refused.stdout).toBe('');
    expect(await readFile(path.join(project, 'project.json'))).toEqual(before);
    expect(await readdir(path.join(project, 'cache', 'thumbs'))).toEqual([]);

    // A reading command works from a snapshot meanwhile.
    const info = await runCli(['project', 'info', project]);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ dir: project, imageCount: 0 });

    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(await readdir(project)).not.toContain(LOCK_FILE);

    const imported = await runCli(['import', source, '--project', project]);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ added: 1 });
    const after = await runCli(['project', 'info', project]);
    expect(JSON.parse(after.stdout)).toMatchObject({ imageCount: 1 });
  });

  it('runs pretrain while another process holds the project, writing none of its files', async () => {
    const project = path.join(workDir, 'tiny');
    await createTinyProject(project, 4);
    const configFile = path.join(workDir, 'micro.json');
    await writeFile(configFile, JSON.stringify(TINY_TEST_CONFIG));
    // This process holds the project, with a label save still in its journal.
    const holder = await ProjectStore.open(project, { labelDebounceMs: 0 });
    try {
      const image = holder.listImages()[0]!;
      await holder.saveFace(faceWithCounter(image.id, 1, 5));
      const files = ['project.json', 'labels.json', 'labels.journal.jsonl', LOCK_FILE];
      const before = await Promise.all(files.map((name) => readFile(path.join(project, name))));

      const result = await runCli([
        'pretrain',
        '--project',
        project,
        '--config',
        configFile,
        '--set',
        'maxSteps=1',
        '--set',
        'model.depth=1',
      ]);
      expect(result.stderr).not.toContain('is open in');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ type: 'done', result: { step: 1 } });
      const after = await Promise.all(files.map((name) => readFile(path.join(project, name))));
      expect(after).toEqual(before);
    } finally {
      await holder.close();
    }
  });
});
