/**
 * The library's handlers: the grid's pages and stats, background imports and curation (progress
 * and outcome as `library:importProgress` / `library:importDone` events), splits and export.
 */
import type { HandlerTable } from '../dispatch';
import { checkImportSource } from '../../core/library/import-source-check';
import { LibraryJobs } from '../../core/library/library-jobs';
import { exportProjectLabels } from '../../core/library/library-export';
import {
  assignProjectSplits,
  curateProject,
  importIntoProject,
  libraryStats,
  setSplit,
} from '../../core/library/library-service';
import { keepFaces } from '../../core/library/keep-faces';
import { absoluteFolder } from '../../core/user-path';
import { checkImageFiles, knownMissingImages } from '../../core/library/missing-images';
import type { StudioContext } from './studio-context';

type LibraryChannel = Extract<keyof HandlerTable, `library:${string}`>;

export function createLibraryHandlers(ctx: StudioContext): Pick<HandlerTable, LibraryChannel> {
  const jobs = new LibraryJobs({
    progress: (jobId, progress) => ctx.emit('library:importProgress', { jobId, ...progress }),
    done: (outcome) => {
      ctx.emit('library:importDone', outcome);
      // The header's image and label counts changed.
      const summary = ctx.session.summary();
      if (summary) ctx.emit('project:changed', summary);
    },
  });

  return {
    'library:list': async (request) => {
      const store = ctx.session.require();
      // Asked for missing files before any check ran: check now rather than answer "none".
      const missing =
        knownMissingImages(store) ??
        (request.filter.missing !== undefined ? (await checkImageFiles(store)).missing : undefined);
      return store.library.query(request.filter, request.offset, request.limit, missing);
    },
    'library:importFolder': async (request) => {
      const store = ctx.session.require();
      const dir = absoluteFolder(request.dir, 'The folder to import');
      // A missing or empty folder, or one without images, is refused here, at once, rather than
      // by a job that finds nothing (the job checks again: the folder may change meanwhile).
      await checkImportSource(dir, request.format);
      const jobId = jobs.start(async (control) => {
        const outcome = await importIntoProject(store, {
          dir,
          format: request.format,
          curate: request.curate,
          skipBad: request.skipBad,
          overwriteLabels: request.overwriteLabels,
          placement: request.placement,
          ...(request.subjectPattern ? { subjectPattern: new RegExp(request.subjectPattern) } : {}),
          ...control,
        });
        // Images whose thumbnails the import left to later get them now, in the background.
        void ctx.session.makeThumbnailsAhead();
        return outcome;
      });
      return { jobId };
    },
    'library:cancelImport': async (request) => ({ cancelled: jobs.cancel(request.jobId) }),
    'library:curate': async () => {
      const store = ctx.session.require();
      return { jobId: jobs.start((control) => curateProject(store, control)) };
    },
    'library:setSplit': async (request) => ({
      updated: await setSplit(ctx.session.require(), request.imageIds, request.split),
    }),
    'library:keepFaces': async (request) => ({
      updated: await keepFaces(ctx.session.require(), request.imageIds),
    }),
    'library:assignSplits': async (request) =>
      assignProjectSplits(ctx.session.require(), {
        fractions: request.fractions,
        seed: request.seed,
        ...(request.subjectPattern ? { subjectPattern: new RegExp(request.subjectPattern) } : {}),
      }),
    'library:stats': async () => libraryStats(ctx.session.require()),
    'library:checkFiles': async () => {
      // The page asks right after its first page of the grid: the thumbnails come first.
      const check = await checkImageFiles(ctx.session.require(), { inBackground: true });
      return {
        total: check.total,
        missing: check.missing.size,
        examples: check.examples,
        folders: check.folders,
      };
    },
    'library:export': async (request) =>
      exportProjectLabels(
        ctx.session.require(),
        request.format,
        absoluteFolder(request.outDir, 'The export folder'),
        { unconfirmed: request.unconfirmed },
      ),
  };
}
