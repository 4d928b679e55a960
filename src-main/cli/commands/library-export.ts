/**
 * `face-studio export --project P --format F OUT`: writes the project's labels and images, from a
 * read-only snapshot of the project. With `--model M` it exports a model instead (model-export.ts).
 */
import { exportProjectLabels } from '../../core/library/library-export';
import { ProjectStore } from '../../core/project-store';
import { ExportFormat, UnconfirmedExport } from '../../shared/library';
import { parseCommandArgs, parseFormatOption, UsageError, type CliIo } from '../cli-io';
import { EXPORT_USAGE } from '../usage';

export async function libraryExport(args: string[], io: CliIo): Promise<void> {
  // `--model M`: a model, not the labels (model-export.ts).
  if (args.some((a) => a === '--model' || a.startsWith('--model=')))
    return (await import('./model-export')).modelExport(args, io);
  const { values, positionals } = parseCommandArgs(
    args,
    { project: { type: 'string' }, format: { type: 'string' }, unconfirmed: { type: 'string' } },
    EXPORT_USAGE,
  );
  const [out, ...extra] = positionals;
  if (!out) throw new UsageError('Missing the output folder OUT', EXPORT_USAGE);
  if (extra.length > 0) throw new UsageError(`Unexpected argument ${extra[0]}`, EXPORT_USAGE);
  if (!values.project) throw new UsageError('Missing --project', EXPORT_USAGE);
  const format = parseFormatOption(values.format, ExportFormat.options, EXPORT_USAGE);
  // Points no person confirmed: left out unless --unconfirmed mark (studio format only).
  const unconfirmed = UnconfirmedExport.safeParse(values.unconfirmed ?? 'leave-out');
  if (!unconfirmed.success) {
    throw new UsageError(
      `Unknown --unconfirmed ${values.unconfirmed} (${UnconfirmedExport.options.join(', ')})`,
      EXPORT_USAGE,
    );
  }
  // Read-only: an export works while the studio (or another command) holds the project.
  const store = await ProjectStore.open(values.project, { readOnly: true });
  try {
    const summary = await exportProjectLabels(store, format, out, {
      unconfirmed: unconfirmed.data,
    });
    io.out(JSON.stringify(summary, null, 2));
  } finally {
    await store.close();
  }
}
