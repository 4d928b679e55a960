/**
 * Starts `face-studio serve` the way a user would (bin/face-studio.js, random port) with a fresh
 * data folder and projects root, reads the tokened URL it prints, and hands it to the tests
 * through the environment. The returned function stops the server and removes the folders.
 */
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServe } from '../support/serve-process';

/** Start-up loads tsx and spawns the training process; give a slow CI machine room. */
const START_TIMEOUT_MS = 60_000;

export default async function globalSetup(): Promise<() => Promise<void>> {
  const workDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'face-studio-e2e-')));
  const dataDir = path.join(workDir, 'data');
  const projectsRoot = path.join(workDir, 'projects');
  await mkdir(projectsRoot, { recursive: true });

  const { server, url } = await startServe(dataDir, projectsRoot, START_TIMEOUT_MS);

  process.env.STUDIO_URL = url;
  process.env.STUDIO_PROJECTS_ROOT = projectsRoot;
  // The training process is a descendant of this one: the crash test finds and kills it.
  process.env.STUDIO_SERVER_PID = String(server.pid);

  return async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await rm(workDir, { recursive: true, force: true });
  };
}
