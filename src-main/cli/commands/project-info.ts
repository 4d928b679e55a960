/**
 * `face-studio project info DIR`: prints the project's summary as JSON, with `missingImages`: how
 * many images' files cannot be found (a referenced folder moved or deleted), a few of them and the
 * folders they were in. When some are missing, stderr says so in a sentence too.
 */
import { checkImageFiles } from '../../core/library/missing-images';
import { ProjectSession } from '../../core/project-session';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { PROJECT_INFO_USAGE } from '../usage';

export async function projectInfo(args: string[], io: CliIo): Promise<void> {
  const { positionals } = parseCommandArgs(args, {}, PROJECT_INFO_USAGE);
  const [dir, ...extra] = positionals;
  if (!dir) throw new UsageError('Missing the project folder DIR', PROJECT_INFO_USAGE);
  if (extra.length > 0) throw new UsageError(`Unexpected argument ${extra[0]}`, PROJECT_INFO_USAGE);

  const session = new ProjectSession();
  try {
    const summary = await session.open(dir);
    const check = await checkImageFiles(session.require());
    const missing = check.missing.size;
    if (missing > 0) {
      io.err(
        `${missing} of ${check.total} images cannot be found; they were in ${check.folders.join(', ')}. ` +
          'Move the folder back, or import the images again (the app copies them into the project).',
      );
    }
    const missingImages = { count: missing, examples: check.examples, folders: check.folders };
    io.out(JSON.stringify({ ...summary, missingImages }, null, 2));
  } finally {
    await session.close();
  }
}
