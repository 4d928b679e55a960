/**
 * Starts the training process with Node's `child_process.fork`: outside Electron (serve mode,
 * the CLI, tests). From TypeScript sources it runs the worker's `.ts` entry through tsx; from a
 * build it runs the built `training-process.js` next to this file.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TrainingProcess, TrainingSpawner } from './training-host';

export interface NodeSpawnerOptions {
  /** The worker entry; defaults to the TS source or the built file, see `defaultTrainingEntry`. */
  entry?: string;
  /** Environment of the child (e.g. FACE_STUDIO_BACKEND); defaults to this process's. */
  env?: NodeJS.ProcessEnv;
}

const runningFromSources = import.meta.url.endsWith('.ts');

export function defaultTrainingEntry(): string {
  return fileURLToPath(
    new URL(
      runningFromSources ? '../workers/training-process.ts' : './training-process.js',
      import.meta.url,
    ),
  );
}

export function nodeTrainingSpawner(options: NodeSpawnerOptions = {}): TrainingSpawner {
  const entry = options.entry ?? defaultTrainingEntry();
  // tsx is resolved from here, not from the child's cwd, so the child starts from any folder.
  const execArgv = entry.endsWith('.ts')
    ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]
    : [];
  return (): TrainingProcess => {
    const child = fork(entry, [], {
      execArgv,
      env: options.env ?? process.env,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    type ExitListener = Parameters<TrainingProcess['onExit']>[0];
    const exitListeners: ExitListener[] = [];
    let ended = false;
    const end = (code: number | null, signal: string | null) => {
      if (ended) return;
      ended = true;
      for (const listener of exitListeners) listener({ code, signal });
    };
    child.once('exit', end);
    // A failed spawn or a send on a closed channel lands here; after a failed spawn Node may
    // never emit 'exit', so that case ends the process too.
    child.on('error', (error) => {
      console.error('[training-process]', error);
      if (child.pid === undefined) end(null, null);
    });
    return {
      send: (message) => child.send(message),
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => exitListeners.push(listener),
      kill: () => child.kill('SIGKILL'),
    };
  };
}
