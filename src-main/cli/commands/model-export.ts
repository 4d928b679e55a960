/**
 * `face-studio export --model M [--project P] --format onnx|tfjs OUT`: writes a trained model into
 * the new or empty folder OUT. M is a model folder, or with `--project` a model id of that
 * project. `onnx`: model.onnx with the card and the backbones' licence notices beside it
 * (engine/export/onnx/export-onnx.ts); `tfjs`: the TF.js graph folder as it is.
 */
import path from 'node:path';
import { chooseBackend } from '../../engine/backend';
import {
  exportOnnxModel,
  exportTfjsModel,
  checkNewOrEmpty,
} from '../../engine/export/onnx/export-onnx';
import { modelDir } from '../../engine/jobs/run-folder';
import { parseCommandArgs, parseFormatOption, UsageError, type CliIo } from '../cli-io';
import { EXPORT_USAGE } from '../usage';

const MODEL_FORMATS = ['onnx', 'tfjs'] as const;

export async function modelExport(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    { model: { type: 'string' }, project: { type: 'string' }, format: { type: 'string' } },
    EXPORT_USAGE,
  );
  const [out, ...extra] = positionals;
  if (!out) throw new UsageError('Missing the output folder OUT', EXPORT_USAGE);
  if (extra.length > 0) throw new UsageError(`Unexpected argument ${extra[0]}`, EXPORT_USAGE);
  if (!values.model) throw new UsageError('Missing --model', EXPORT_USAGE);
  const format = parseFormatOption(values.format, MODEL_FORMATS, EXPORT_USAGE);
  const source = values.project
    ? modelDir(values.project, values.model)
    : path.resolve(values.model);
  const target = path.resolve(out);
  await checkNewOrEmpty(target);
  // The converter runs the TF.js graph once to read its shapes: on the backend predict takes.
  if (format === 'onnx') await chooseBackend();
  const summary =
    format === 'onnx'
      ? await exportOnnxModel(source, target)
      : await exportTfjsModel(source, target);
  io.out(JSON.stringify({ model: source, format, ...summary }, null, 2));
}
