/** `face-studio project info DIR`: prints the project's summary as JSON. */
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
    io.out(JSON.stringify(await session.open(dir), null, 2));
  } finally {
    await session.close();
  }
}
