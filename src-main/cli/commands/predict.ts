/**
 * `face-studio predict --model DIR --out DIR [--format F] IMAGES_OR_FOLDERS…`: runs an exported
 * model on image files (folders are searched recursively): detects the face, crops it by the
 * model card's policy, predicts, and writes `predictions.json` (every face, box, points with
 * their uncertainty, raw scores) or label files in an annotation format with the images beside
 * them. Progress goes to stderr, a JSON summary to stdout. An unreadable image is skipped and
 * named; a missing input, model or a non-empty output folder fails (exit 1); a wrong call exits 2.
 */
import { scanImageFiles } from '../../core/library/scan';
import { chooseBackend } from '../../engine/backend';
import { chooseGraphRunner } from '../../engine/export/graph-runner';
import { loadExportedModel, readModelCard } from '../../engine/export/load-model';
import { predictFaces } from '../../engine/predict/predict-faces';
import {
  formatMismatch,
  PredictFormat,
  requireEmptyPredictionsFolder,
  writePredictions,
} from '../../engine/predict/write-predictions';
import { StudioError } from '../../shared/errors';
import { parseCommandArgs, parseFormatOption, UsageError, type CliIo } from '../cli-io';
import { PREDICT_USAGE } from '../usage';

export async function predictCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      model: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string', default: 'json' },
      batch: { type: 'string', default: '16' },
      'whole-image': { type: 'boolean', default: false },
      'labels-only': { type: 'boolean', default: false },
    },
    PREDICT_USAGE,
  );
  if (!values.model) throw new UsageError('Missing --model', PREDICT_USAGE);
  if (!values.out) throw new UsageError('Missing --out', PREDICT_USAGE);
  if (positionals.length === 0)
    throw new UsageError('Missing the images or folders to predict on', PREDICT_USAGE);
  const format = parseFormatOption(values.format, PredictFormat.options, PREDICT_USAGE);
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new UsageError(`--batch ${values.batch}: expected a positive integer`, PREDICT_USAGE);

  // The card first: a format that cannot hold the model's output is a wrong call, found at once.
  const card = await readModelCard(values.model);
  const mismatch = formatMismatch(format, card);
  if (mismatch) throw new UsageError(mismatch, PREDICT_USAGE);

  // Found now, not after minutes of predicting (writing checks again).
  await requireEmptyPredictionsFolder(values.out);
  const files = await imageFilesIn(positionals);
  const backend = await chooseBackend();
  // ONNX Runtime runs the graph when it loads (faster on CPU: npm run bench:onnx).
  const model = await loadExportedModel(values.model, { runner: await chooseGraphRunner() });
  io.err(
    `backend ${backend.name} · runner ${model.runner} · model ${card.id} (${card.task}) · ` +
      `${files.length} images`,
  );
  try {
    const outcome = await predictFaces(
      model,
      files.map((file) => ({ file })),
      {
        batchSize,
        noFace: values['whole-image'] ? 'whole-image' : 'skip',
        onProgress: ({ done, total }) => io.err(`${done}/${total} images`),
      },
    );
    for (const { file } of outcome.noFace) io.err(`no face found in ${file}`);
    for (const { message } of outcome.failed) io.err(`skipped ${message}`);
    const written = await writePredictions(outcome, card, values.out, {
      format,
      copyImages: !values['labels-only'],
    });
    io.out(JSON.stringify({ model: card.id, ...written }, null, 2));
  } finally {
    model.dispose();
  }
}

/** Every image file named or under a named folder, in a stable order; a missing path fails. */
async function imageFilesIn(paths: readonly string[]): Promise<string[]> {
  const unreadable: string[] = [];
  const files: string[] = [];
  for await (const file of scanImageFiles(paths, {
    onUnreadable: (path, error) =>
      unreadable.push(`${path} (${error instanceof Error ? error.message : String(error)})`),
  })) {
    files.push(file);
  }
  if (unreadable.length > 0)
    throw new StudioError('not-found', `Cannot read ${unreadable.join(', ')}`);
  if (files.length === 0)
    throw new StudioError('not-found', `No image files in ${paths.join(', ')}`);
  return [...new Set(files)];
}
