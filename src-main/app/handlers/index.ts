/**
 * Every request handler of the studio, built over a context so the same table serves Electron IPC
 * and the browser bridge. Handlers hold no Electron imports: what differs between the two hosts
 * (the folder picker, how events reach windows) comes in through `StudioContext`
 * (studio-context.ts).
 */
import type { HandlerTable } from '../dispatch';
import type { StudioContext } from './studio-context';
import { createCompareHandlers } from './compare';
import { createJobHandlers, LiveJobBoard, watchedContext } from './jobs';
import { createLibraryHandlers } from './library';
import { createModelHandlers } from './models';
import { createPrelabelHandlers } from './prelabel';
import { createSchemaHandlers } from './schema';
import { createTrainingHandlers } from './training';
import { fittedTemplate } from '../../core/labelling/fitted-template';
import { labellingSchemas, labellingTemplate } from '../../core/labelling/labelling-schemas';
import { absoluteFolder } from '../../core/user-path';

export function createHandlers(host: StudioContext): HandlerTable {
  // Every push passes the board, which keeps the background jobs a reloaded page asks for.
  const board = new LiveJobBoard(() => host.session.summary()?.dir ?? null);
  const ctx = watchedContext(host, board);
  return {
    'project:create': async (request) => {
      const summary = await ctx.session.create(absoluteFolder(request.dir, 'The project folder'), {
        name: request.name,
        landmarkSchema: request.landmarkSchema,
        attributeSchema: request.attributeSchema,
      });
      await ctx.recent.add(summary.dir, summary.meta.name);
      ctx.emit('project:changed', summary);
      return summary;
    },
    'project:open': async (request) => {
      const summary = await ctx.session.open(absoluteFolder(request.dir, 'The project folder'));
      await ctx.recent.add(summary.dir, summary.meta.name);
      ctx.emit('project:changed', summary);
      return summary;
    },
    'project:close': async () => {
      const closed = await ctx.session.close();
      if (closed) ctx.emit('project:changed', null);
      return { closed };
    },
    'project:current': async () => ctx.session.summary(),
    'project:recent': async () => ctx.recent.list(),
    'project:forget': async (request) => ctx.recent.forget(request.dir),
    ...createLibraryHandlers(ctx),
    'labels:get': async (request) => ctx.session.require().readFace(request.imageId),
    'labels:save': async (request) => {
      const revision = await ctx.session
        .require()
        .saveFace(request.face, { baseRevision: request.baseRevision });
      return { saved: true, revision };
    },
    'labels:template': async (request) =>
      fittedTemplate(ctx.session.require(), request, async () => {
        // Loaded on the first T press, not at start: the net and tfjs take a moment.
        const { sharedFaceAnchorFinder } = await import('../../core/labelling/face-anchors');
        return sharedFaceAnchorFinder();
      }),
    ...createPrelabelHandlers(ctx),
    'schema:get': async () => labellingSchemas(ctx.session.require()),
    'schema:template': async () => labellingTemplate(ctx.session.require()),
    ...createSchemaHandlers(),
    ...createTrainingHandlers(ctx),
    ...createModelHandlers(ctx),
    ...createCompareHandlers(ctx),
    ...createJobHandlers(ctx, board),
    'system:info': async () => {
      const { report, error } = ctx.backend();
      return { version: ctx.version, mode: ctx.mode, backend: report, backendError: error };
    },
    'dialog:pickFolder': async (request) => ctx.pickFolder(request.title),
  };
}
