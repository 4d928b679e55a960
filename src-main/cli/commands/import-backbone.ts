/**
 * `face-studio import-backbone FILE.safetensors --project P [--id MODEL_ID]`: brings a teacher
 * trained by the PyTorch cluster recipe back as the project's backbone models/<id>/
 * (engine/torch/import-teacher.ts), checked whole before anything is written. Prints a JSON
 * summary: the model id, its folder, and the backbone id fine-tuning and `compare` know it by.
 * Like `pretrain`, it writes only models/<id>/, never the project's own files.
 */
import path from 'node:path';
import { readProjectSnapshot } from '../../app/training/project-snapshot';
import { modelsDir } from '../../engine/jobs/run-folder';
import { importTeacher } from '../../engine/torch/import-teacher';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { IMPORT_BACKBONE_USAGE } from '../usage';

export async function importBackboneCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    { project: { type: 'string' }, id: { type: 'string' } },
    IMPORT_BACKBONE_USAGE,
  );
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? 'Missing the teacher file'
        : `Unexpected argument ${positionals[1]}`,
      IMPORT_BACKBONE_USAGE,
    );
  if (!values.project) throw new UsageError('Missing --project', IMPORT_BACKBONE_USAGE);
  const projectDir = path.resolve(values.project);
  await readProjectSnapshot(projectDir); // a project folder, or a clear error naming it
  const imported = await importTeacher(positionals[0]!, {
    modelsDir: modelsDir(projectDir),
    projectDir,
    ...(values.id ? { id: values.id } : {}),
  });
  const seg = imported.provenance.segments;
  io.err(
    `backbone ${imported.backboneId}: ${imported.provenance.steps} steps in ${seg.length} launch(es) ` +
      `on ${seg.map((s) => `${s.worldSize}×${s.device} at ${s.host}`).join(', ')}`,
  );
  io.out(JSON.stringify(imported, null, 2));
}
