/**
 * `face-studio project info DIR`: prints the project's summary as JSON, read without the project's
 * lock, so it works while the studio (or another command) has the project open. It adds `splits`:
 * per split, its images and how many are labelled, still to review and unlabelled; and
 * `missingImages`: how many images' files cannot be found (a referenced folder moved or deleted), a
 * few of them and the folders they were in. When some are missing, stderr says so in a sentence too.
 */
import { checkImageFiles } from '../../core/library/missing-images';
import { splitCounts } from '../../core/library/split-counts';
import { ProjectStore } from '../../core/project-store';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { PROJECT_INFO_USAGE } from '../usage';

export async function projectInfo(args: string[], io: CliIo): Promise<void> {
  const { positionals } = parseCommandArgs(args, {}, PROJECT_INFO_USAGE);
  const [dir, ...extra] = positionals;
  if (!dir) throw new UsageError('Missing the project folder DIR', PROJECT_INFO_USAGE);
  if (extra.length > 0) throw new UsageError(`Unexpected argument ${extra[0]}`, PROJECT_INFO_USAGE);

  const store = await ProjectStore.open(dir, { readOnly: true });
  try {
    const check = await checkImageFiles(store);
    const missing = check.missing.size;
    if (missing > 0) {
      io.err(
        `${missing} of ${check.total} images cannot be found; they were in ${check.folders.join(', ')}. ` +
          'Move the folder back, or import the images again (the app copies them into the project).',
      );
    }
    const missingImages = { count: missing, examples: check.examples, folders: check.folders };
    const splits = splitCounts(store);
    io.out(JSON.stringify({ ...store.summary(), splits, missingImages }, null, 2));
  } finally {
    await store.close();
  }
}
