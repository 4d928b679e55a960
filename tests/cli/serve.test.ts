/**
 * `face-studio serve` in a child process: prints a tokened loopback URL that serves the studio,
 * refuses non-loopback hosts and bad ports, and exits cleanly on SIGTERM.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHILD_TEST_TIMEOUT_MS, runCli, spawnServe } from './run-cli';

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-serve-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('face-studio serve', { timeout: CHILD_TEST_TIMEOUT_MS }, () => {
  it('refuses a host that is not loopback, with exit code 2', async () => {
    for (const host of ['0.0.0.0', '192.168.1.10', 'example.com']) {
      const result = await runCli(['serve', '--host', host]);
      expect(result.code, host).toBe(2);
      expect(result.stderr, host).toContain('not a loopback address');
    }
  });

  it('refuses a port that is not an integer from 0 to 65535', async () => {
    for (const port of ['-1', '70000', 'http']) {
      const result = await runCli(['serve', `--port=${port}`]);
      expect(result.code, port).toBe(2);
      expect(result.stderr, port).toContain('--port');
    }
  });

  it('refuses a projects root that does not exist', async () => {
    const missing = path.join(workDir, 'no-such-root');
    const result = await runCli(['serve', '--projects-root', missing]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(missing);
  });

  it('prints a tokened URL that serves the page and the API, and stops on SIGTERM', async () => {
    const projects = path.join(workDir, 'projects');
    await mkdir(projects);
    const child = await spawnServe(workDir, projects);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${stdout}`)), 20_000);
        child.stdout.on('data', () => {
          const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}/.exec(stdout);
          if (match) {
            clearTimeout(timer);
            resolve(match[0]);
          }
        });
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Stand-in page</title>');
      const token = new URL(url).searchParams.get('token') ?? '';
      const info = await fetch(new URL('/api/invoke', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-studio-token': token },
        body: JSON.stringify({ channel: 'system:info', payload: {} }),
      });
      expect(await info.json()).toMatchObject({ ok: true, value: { mode: 'browser' } });
      expect((await fetch(new URL('/', url))).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses to start when the page is not built', async () => {
    const empty = path.join(workDir, 'empty-renderer');
    await mkdir(empty);
    const result = await runCli(['serve', '--renderer-dir', empty]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('npm run build:renderer');
  });
});
