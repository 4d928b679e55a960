/**
 * A handler table for bridge tests that need no project: every channel answers a fixed valid
 * value, and the folders sent to the path-carrying channels are recorded to check confinement.
 */
import { emptyLibraryStats } from '../../src-main/shared/library';
import type { HandlerTable } from '../../src-main/app/dispatch';
import type { ProjectSummary } from '../../src-main/shared/domain';
import type { RunInfo } from '../../src-main/shared/training';

function summaryOf(dir: string): ProjectSummary {
  return {
    dir,
    meta: {
      schemaVersion: 1,
      id: 'p1',
      name: 'Stub',
      createdAt: '2025-01-01T00:00:00.000Z',
      landmarkSchema: 'ibug68',
      attributeSchema: null,
    },
    imageCount: 0,
    needsReviewCount: 0,
    labelledCount: 0,
  };
}

function stubRun(kind: RunInfo['kind']): RunInfo {
  return {
    id: 'run-1',
    kind,
    task: null,
    status: 'queued',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    step: 0,
    totalSteps: null,
    error: null,
    resumable: false,
    modelId: null,
    backboneId: null,
    metrics: null,
  };
}

/** Every channel answers a fixed valid value; project dirs are recorded to check confinement. */
export function stubHandlers(seenDirs: string[]): HandlerTable {
  return {
    'project:create': async (request) => {
      seenDirs.push(request.dir);
      return summaryOf(request.dir);
    },
    'project:open': async (request) => {
      seenDirs.push(request.dir);
      return summaryOf(request.dir);
    },
    'project:close': async () => ({ closed: false }),
    'project:current': async () => null,
    'project:recent': async () => [],
    'project:forget': async () => [],
    'library:list': async () => ({ total: 0, items: [] }),
    'library:importFolder': async (request) => {
      seenDirs.push(request.dir);
      return { jobId: 'job' };
    },
    'library:cancelImport': async () => ({ cancelled: false }),
    'library:setSplit': async () => ({ updated: 0 }),
    'library:keepFaces': async () => ({ updated: 0 }),
    'library:assignSplits': async () => emptyLibraryStats(),
    'library:stats': async () => emptyLibraryStats(),
    'library:checkFiles': async () => ({ total: 0, missing: 0, examples: [], folders: [] }),
    'library:curate': async () => ({ jobId: 'job' }),
    'library:export': async (request) => {
      seenDirs.push(request.outDir);
      return { outDir: request.outDir, images: 0, faces: 0, files: 0 };
    },
    'labels:get': async () => null,
    'labels:save': async () => ({ saved: true, revision: 1 }),
    'labels:prelabel': async () => ({ face: null, jobId: 'job' }),
    'labels:template': async () => ({ points: [], fit: 'box', source: 'schema' }),
    'training:configSchema': async () => ({ fields: [], defaults: {} }),
    'training:start': async (request) => stubRun(request.kind),
    'training:pause': async () => stubRun('pretrain'),
    'training:resume': async () => stubRun('pretrain'),
    'training:cancel': async () => stubRun('pretrain'),
    'training:runs': async () => [],
    'training:run': async () => ({
      run: stubRun('pretrain'),
      config: {},
      progress: [],
      validations: [],
      ced: null,
    }),
    'models:list': async () => [],
    'models:export': async (request) => {
      seenDirs.push(request.outDir);
      return { dir: request.outDir, files: 0 };
    },
    'models:delete': async () => ({ deleted: false }),
    'models:compareBackbones': async () => ({ jobId: 'compare-1' }),
    'models:cancelCompare': async () => ({ cancelled: false }),
    'models:comparison': async () => null,
    // Not exercised here: the labeller's e2e spec covers it over the real bridge.
    'schema:checkLandmarks': async () => {
      throw new Error('schema:checkLandmarks is not stubbed');
    },
    'schema:get': async () => {
      throw new Error('schema:get is not stubbed');
    },
    'schema:template': async () => {
      throw new Error('schema:template is not stubbed');
    },
    'jobs:live': async () => [],
    'system:info': async () => ({
      version: '9.9.9',
      mode: 'browser',
      backend: null,
      backendError: null,
    }),
    'dialog:pickFolder': async () => ({ dir: null, supported: false }),
  };
}
