/**
 * `face-studio serve` started the way a user starts it (bin/face-studio.js, a random port): the
 * end-to-end tests' global set-up and the library scroll bench share it.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServeProcess {
  server: ChildProcessByStdio<null, Readable, Readable>;
  /** The tokened URL the server printed. */
  url: string;
}

/**
 * Starts the server on `dataDir` and `projectsRoot` and resolves with the URL it prints; its
 * stderr goes on to this process's. Rejects, with what it printed, if it exits first or prints no
 * URL within `timeoutMs`.
 */
export async function startServe(
  dataDir: string,
  projectsRoot: string,
  timeoutMs: number,
): Promise<ServeProcess> {
  const server = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'bin', 'face-studio.js'),
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--projects-root',
      projectsRoot,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  server.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stderr.write(chunk);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`face-studio serve printed no URL in time:\n${output}`)),
      timeoutMs,
    );
    server.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /https?:\/\/\S+\?token=[\w-]+/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`face-studio serve exited with ${code} before printing a URL:\n${output}`));
    });
  });
  return { server, url };
}
