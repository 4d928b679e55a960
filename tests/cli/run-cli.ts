/** Runs bin/face-studio.js in a child process, as a user's shell would. */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli as runCliHere } from '../../src-main/cli/run';

/**
 * Each child pays Node + tsx start-up, 1–4 s on the shared 2-core CI machine, and a test runs up
 * to three of them.
 */
export const CHILD_TEST_TIMEOUT_MS = 90_000;

export const BIN = fileURLToPath(new URL('../../bin/face-studio.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function spawnCli(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { stdio: 'pipe' });
}

/**
 * Starts `serve` over the projects root `projects`, its data in `<workDir>/data` and a stand-in
 * page in `<workDir>/renderer`, so the test does not depend on the renderer build.
 */
export async function spawnServe(
  workDir: string,
  projects: string,
): Promise<ChildProcessWithoutNullStreams> {
  const rendererDir = path.join(workDir, 'renderer');
  await mkdir(rendererDir, { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), '<title>Stand-in page</title>');
  return spawnCli([
    'serve',
    '--data-dir',
    path.join(workDir, 'data'),
    '--projects-root',
    projects,
    '--renderer-dir',
    rendererDir,
  ]);
}

/** The CLI in this process: for error paths that stop before any model loads (no child start-up). */
export async function runCliInProcess(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCliHere(args, {
    io: { out: (text) => out.push(text), err: (text) => err.push(text) },
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** What `pretrain` and `finetune` print on stdout when a run ends; `R` is the command's result. */
export interface TrainingSummary<R> {
  runId: string;
  type: string;
  modelDir: string;
  result: R;
}

/** A training command's summary, its run folder under `projectDir`, and that folder's entries. */
export async function trainingRun<R>(
  result: CliResult,
  projectDir: string,
): Promise<{ summary: TrainingSummary<R>; runDir: string; files: string[] }> {
  const summary = JSON.parse(result.stdout) as TrainingSummary<R>;
  const runDir = path.join(projectDir, 'runs', summary.runId);
  return { summary, runDir, files: (await readdir(runDir)).sort() };
}
