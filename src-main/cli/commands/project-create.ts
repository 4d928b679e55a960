/** `face-studio project create DIR --name N`: makes a project folder and prints its summary. */
import { ProjectSession } from '../../core/project-session';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { PROJECT_CREATE_USAGE } from '../usage';

export async function projectCreate(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      name: { type: 'string' },
      landmarks: { type: 'string', default: 'ibug68' },
      attributes: { type: 'string' },
    },
    PROJECT_CREATE_USAGE,
  );
  const [dir, ...extra] = positionals;
  if (!dir) throw new UsageError('Missing the project folder DIR', PROJECT_CREATE_USAGE);
  if (extra.length > 0)
    throw new UsageError(`Unexpected argument ${extra[0]}`, PROJECT_CREATE_USAGE);
  const name = values.name?.trim();
  if (!name) throw new UsageError('Missing --name', PROJECT_CREATE_USAGE);

  const session = new ProjectSession();
  try {
    const summary = await session.create(dir, {
      name,
      landmarkSchema: values.landmarks,
      attributeSchema: values.attributes ?? null,
    });
    io.out(JSON.stringify(summary, null, 2));
  } finally {
    await session.close();
  }
}
