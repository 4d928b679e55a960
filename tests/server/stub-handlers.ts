/**
 * A handler table for bridge tests that need no project: every channel answers a fixed valid
 * value, and the folders sent to the path-carrying channels are recorded to check confinement.
 */
import type { HandlerTable } from '../../src-main/main/dispatch';
import type { ProjectSummary } from '../../src-main/shared/domain';

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
    labelledCount: 0,
  };
}

function emptyStats() {
  return {
    total: 0,
    splits: { pool: 0, train: 0, val: 0, test: 0 },
    labelled: 0,
    flagged: 0,
    noFace: 0,
    curated: 0,
    expressions: {},
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
    'library:assignSplits': async () => emptyStats(),
    'library:stats': async () => emptyStats(),
    'library:curate': async () => ({ jobId: 'job' }),
    'library:export': async (request) => {
      seenDirs.push(request.outDir);
      return { outDir: request.outDir, images: 0, faces: 0, files: 0 };
    },
    'labels:get': async () => null,
    'labels:save': async () => ({ saved: true }),
    // Not exercised here: the labeller's e2e spec covers it over the real bridge.
    'schema:get': async () => {
      throw new Error('schema:get is not stubbed');
    },
    'system:info': async () => ({
      version: '9.9.9',
      mode: 'browser',
      backend: null,
      backendError: null,
    }),
    'dialog:pickFolder': async () => ({ dir: null, supported: false }),
  };
}
