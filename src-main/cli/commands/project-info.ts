/**
 * `face-studio project info DIR`: prints the project's summary as JSON, read without the project's
 * lock, so it works while the studio (or another command) has the project open.
 */
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
    io.out(JSON.stringify(store.summary(), null, 2));
  } finally {
    await store.close();
  }
}
