/**
 * `face-studio import DIR --project P [--format F] [--split S] [--subject-pattern RE] [--curate]
 * [--lazy-thumbnails] [--skip-bad] [--overwrite-labels] [--copy]`: imports images or a labelled
 * set into a project, printing progress to stderr and a JSON summary to stdout. Bad input fails
 * with every problem listed and nothing written (exit 1); `--skip-bad` lets an `images` import go
 * on without the files it cannot decode (listed on stderr). A labelled set imported again keeps
 * the faces the user changed unless `--overwrite-labels` is given; the summary counts both.
 * `--split` puts every image of the import in one split; without it a labelled set's `train/`,
 * `val/` and `test/` folders set theirs and the rest go to the pool. stderr ends with the counts
 * per split, and says how to assign splits when the labelled faces all landed in the pool.
 *
 * The images are referenced where they are unless `--copy` is given (the app copies by default).
 * The command line is where large public sets are imported by scripts, often on a lab machine
 * where the set already sits on a shared disk: copying 100k images there would double the disk
 * and the time without being asked. `face-studio project info` names the images a moved folder
 * took away.
 */
import { ProjectStore } from '../../core/project-store';
import { imagesProgressText } from '../../shared/progress-text';
import { importIntoProject } from '../../core/library/library-service';
import { UndecodableImagesError } from '../../core/library/undecodable-images';
import { StudioError } from '../../shared/errors';
import { Split } from '../../shared/domain';
import { ImportFormat, type ImportFaceCounts } from '../../shared/library';
import {
  describeSplitCounts,
  splitCounts,
  type SplitCounts,
} from '../../core/library/split-counts';
import { parseCommandArgs, parseFormatOption, UsageError, type CliIo } from '../cli-io';
import { IMPORT_USAGE } from '../usage';

export async function libraryImport(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      project: { type: 'string' },
      format: { type: 'string', default: 'images' },
      'subject-pattern': { type: 'string' },
      split: { type: 'string' },
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
  const format = parseFormatOption(values.format, ImportFormat.options, IMPORT_USAGE);
  let subjectPattern: RegExp | undefined;
  if (values['subject-pattern'] !== undefined) {
    try {
      subjectPattern = new RegExp(values['subject-pattern']);
    } catch (error) {
      throw new UsageError(`--subject-pattern: ${(error as Error).message}`, IMPORT_USAGE);
    }
  }

  const split = values.split === undefined ? undefined : Split.safeParse(values.split);
  if (split && !split.success) {
    throw new UsageError(
      `--split ${values.split}: expected ${Split.options.join(', ')}`,
      IMPORT_USAGE,
    );
  }

  const store = await ProjectStore.open(values.project);
  try {
    const outcome = await importIntoProject(store, {
      dir,
      format,
      curate: values.curate,
      thumbnails: values['lazy-thumbnails'] ? 'lazy' : 'eager',
      skipBad: values['skip-bad'],
      overwriteLabels: values['overwrite-labels'],
      placement: values.copy ? 'copy' : 'reference',
      ...(subjectPattern ? { subjectPattern } : {}),
      ...(split?.success ? { split: split.data } : {}),
      onProgress: (p) =>
        io.err(p.total === 0 ? `${p.stage}…` : `${p.stage} ${imagesProgressText(p)}`),
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
    if (format !== 'images') io.err(describeFaces(outcome.faces));
    if (!outcome.cancelled) describeSplits(io, splitCounts(store), values.project);
    io.out(JSON.stringify(outcome, null, 2));
  } finally {
    await store.close();
  }
}

/**
 * The project's splits after the import, and what to do when its labelled faces all sit in the
 * pool, where training does not look.
 */
function describeSplits(io: CliIo, counts: SplitCounts, project: string): void {
  io.err(`splits: ${describeSplitCounts(counts)}`);
  if (counts.pool.labelled > 0 && counts.train.labelled === 0) {
    io.err(
      `The ${counts.pool.labelled} labelled faces are in the pool, where training does not look: ` +
        `assign them with \`face-studio splits --project ${project}\` (80/10/10 by default), ` +
        'or import with --split train',
    );
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
