/**
 * `face-studio import DIR --project P [--format F] [--subject-pattern RE] [--curate]
 * [--lazy-thumbnails] [--skip-bad] [--overwrite-labels] [--copy]`: imports images or a labelled
 * set into a project, printing progress to stderr and a JSON summary to stdout. Bad input fails
 * with every problem listed and nothing written (exit 1); `--skip-bad` lets an `images` import go
 * on without the files it cannot decode (listed on stderr). A labelled set imported again keeps
 * the faces the user changed unless `--overwrite-labels` is given; the summary counts both.
 *
 * The images are referenced where they are unless `--copy` is given (the app copies by default).
 * The command line is where large public sets are imported by scripts, often on a lab machine
 * where the set already sits on a shared disk: copying 100k images there would double the disk
 * and the time without being asked. `face-studio project info` names the images a moved folder
 * took away.
 */
import { ProjectStore } from '../../core/project-store';
import { formatDuration } from '../progress-text';
import { importIntoProject } from '../../core/library/library-service';
import { UndecodableImagesError } from '../../core/library/undecodable-images';
import { StudioError } from '../../shared/errors';
import { ImportFormat, type ImportFaceCounts } from '../../shared/library';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { IMPORT_USAGE } from '../usage';

export async function libraryImport(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      project: { type: 'string' },
      format: { type: 'string', default: 'images' },
      'subject-pattern': { type: 'string' },
      curate: { type: 'boolean', default: false },
      'lazy-thumbnails': { type: 'boolean', default: false },
      'skip-bad': { type: 'boolean', default: false },
      'overwrite-labels': { type: 'boolean', default: false },
      copy: { type: 'boolean', default: false },
    },
    IMPORT_USAGE,
  );
  const [dir, ...extra] = positionals;
  if (!dir) throw new UsageError('Missing the folder to import DIR', IMPORT_USAGE);
  if (extra.length > 0) throw new UsageError(`Unexpected argument ${extra[0]}`, IMPORT_USAGE);
  if (!values.project) throw new UsageError('Missing --project', IMPORT_USAGE);
  if (values['skip-bad'] && values.format !== 'images') {
    throw new UsageError(
      '--skip-bad is for --format images: a labelled set is imported whole or not at all',
      IMPORT_USAGE,
    );
  }
  const format = ImportFormat.safeParse(values.format);
  if (!format.success) {
    throw new UsageError(
      `Unknown --format ${JSON.stringify(values.format)} (${ImportFormat.options.join(', ')})`,
      IMPORT_USAGE,
    );
  }
  let subjectPattern: RegExp | undefined;
  if (values['subject-pattern'] !== undefined) {
    try {
      subjectPattern = new RegExp(values['subject-pattern']);
    } catch (error) {
      throw new UsageError(`--subject-pattern: ${(error as Error).message}`, IMPORT_USAGE);
    }
  }

  const store = await ProjectStore.open(values.project);
  try {
    const outcome = await importIntoProject(store, {
      dir,
      format: format.data,
      curate: values.curate,
      thumbnails: values['lazy-thumbnails'] ? 'lazy' : 'eager',
      skipBad: values['skip-bad'],
      overwriteLabels: values['overwrite-labels'],
      placement: values.copy ? 'copy' : 'reference',
      ...(subjectPattern ? { subjectPattern } : {}),
      onProgress: (p) =>
        io.err(
          p.total === 0
            ? `${p.stage}…`
            : `${p.stage} ${p.done}/${p.total} images · ${p.rate.toFixed(1)} images/s · ETA ${formatDuration(p.etaSeconds)}`,
        ),
    }).catch((error: unknown) => {
      if (error instanceof UndecodableImagesError && error.goodImages > 0) {
        throw new StudioError(
          error.code,
          `${error.message}\nRun again with --skip-bad to import the ${error.goodImages} good images and skip these.`,
        );
      }
      throw error;
    });
    for (const failure of outcome.failed) io.err(`skipped ${failure.file}: ${failure.reason}`);
    if (format.data !== 'images') io.err(describeFaces(outcome.faces));
    io.out(JSON.stringify(outcome, null, 2));
  } finally {
    await store.close();
  }
}

/** `faces: 3 added, 1 unchanged, 2 kept (your edits won; --overwrite-labels replaces them)…` */
function describeFaces(faces: ImportFaceCounts): string {
  const kept =
    faces.kept > 0
      ? `${faces.kept} kept (they differ from the file: your edits won; --overwrite-labels replaces them)`
      : '0 kept';
  return `faces: ${faces.added} added, ${faces.unchanged} unchanged, ${kept}, ${faces.overwritten} overwritten`;
}
