/**
 * Keeps a browser-mode studio's file access inside one folder. When `serve` runs with a projects
 * root, the folders sent to `project:create`, `project:open`, `library:importFolder`,
 * `library:export` and `models:export` must resolve (symlinks included) strictly inside it;
 * `~` is expanded and relative paths are taken relative to it. Everything else passes through.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { HandlerTable } from '../app/dispatch';
import { StudioError } from '../shared/errors';
import { expandHome } from '../core/user-path';
import { liesInside } from '../core/real-path';

export function confineProjectDirs(handlers: HandlerTable, projectsRoot: string): HandlerTable {
  return {
    ...handlers,
    'project:create': async (request) =>
      handlers['project:create']({
        ...request,
        dir: await resolveInsideRoot(projectsRoot, request.dir),
      }),
    'project:open': async (request) =>
      handlers['project:open']({
        ...request,
        dir: await resolveInsideRoot(projectsRoot, request.dir),
      }),
    'library:importFolder': async (request) =>
      handlers['library:importFolder']({
        ...request,
        dir: await resolveInsideRoot(projectsRoot, request.dir),
      }),
    'library:export': async (request) =>
      handlers['library:export']({
        ...request,
        outDir: await resolveInsideRoot(projectsRoot, request.outDir),
      }),
    'models:export': async (request) =>
      handlers['models:export']({
        ...request,
        outDir: await resolveInsideRoot(projectsRoot, request.outDir),
      }),
  };
}

/** The real path of `dir` (which may not exist yet), refused unless it lies inside the root. */
export async function resolveInsideRoot(projectsRoot: string, dir: string): Promise<string> {
  let root: string;
  try {
    root = await realpath(projectsRoot);
  } catch (error) {
    throw new StudioError('io', `The projects folder ${projectsRoot} cannot be read`, {
      cause: error,
    });
  }
  const target = await realpathOfDeepestExisting(path.resolve(root, expandHome(dir)));
  if (target === root || !liesInside(root, target)) {
    throw new StudioError(
      'forbidden',
      `${dir} is outside the projects folder ${projectsRoot}: this studio only reads and writes folders inside it`,
    );
  }
  return target;
}

/**
 * Resolves symlinks in the longest existing prefix of `target` and appends the rest, so a new
 * project folder under a symlink that points elsewhere is judged by where it would really land.
 */
async function realpathOfDeepestExisting(target: string): Promise<string> {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      const real = await realpath(current);
      return path.join(real, ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return target;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}
