/**
 * Starts the training process as an Electron `utilityProcess` (a Node child Electron manages and
 * ends with the app). Runs the built worker `training-process.js`, which electron-vite emits
 * beside `index.js` in out/main.
 */
import { utilityProcess } from 'electron';
import { fileURLToPath } from 'node:url';
import type { TrainingProcess, TrainingSpawner } from '../app/training-host';

export function builtTrainingEntry(): string {
  return fileURLToPath(new URL('./training-process.js', import.meta.url));
}

export function electronTrainingSpawner(entry: string = builtTrainingEntry()): TrainingSpawner {
  return (): TrainingProcess => {
    const child = utilityProcess.fork(entry, [], {
      serviceName: 'Face Studio training',
      stdio: 'inherit',
      env: process.env,
    });
    child.on('error', (type, location) => {
      console.error(`[training-process] ${type} at ${location}`);
    });
    return {
      send: (message) => child.postMessage(message),
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.once('exit', (code) => listener({ code, signal: null })),
      kill: () => child.kill(),
    };
  };
}
