/**
 * `face-studio project consolidate DIR`: copies every image the project references in place into
 * the project's `images/` folder, so it no longer breaks when those folders move. Progress goes to
 * stderr, a JSON summary to stdout: `copied`, and `missing` (images whose file was already gone,
 * left as they were).
 */
import { consolidateProject } from '../../core/library/library-service';
import { ProjectStore } from '../../core/project-store';
import { imagesProgressText } from '../../shared/progress-text';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { PROJECT_CONSOLIDATE_USAGE } from '../usage';

export async function projectConsolidate(args: string[], io: CliIo): Promise<void> {
  const { positionals } = parseCommandArgs(args, {}, PROJECT_CONSOLIDATE_USAGE);
  const [dir, ...extra] = positionals;
  if (!dir) throw new UsageError('Missing the project folder DIR', PROJECT_CONSOLIDATE_USAGE);
  if (extra.length > 0) {
    throw new UsageError(`Unexpected argument ${extra[0]}`, PROJECT_CONSOLIDATE_USAGE);
  }

  const store = await ProjectStore.open(dir);
  try {
    const outcome = await consolidateProject(store, {
      onProgress: (p) => io.err(imagesProgressText(p, 'images copied')),
    });
    if (outcome.missing.length > 0) {
      io.err(`${outcome.missing.length} images cannot be found and stay referenced`);
    }
    io.out(JSON.stringify(outcome, null, 2));
  } finally {
    await store.close();
  }
}
